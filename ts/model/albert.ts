// AlbertForSequenceClassification: the public model class. HF names and numerics (the
// native core mirrors transformers' modeling_albert.py); HF directories in and out.
import { existsSync, promises as fs } from 'fs';
import * as path from 'path';
import { AlbertTrainerError, invalidArgument } from '../errors';
import { callNative, callNativeSync, native, type NativeAmp, type NativeDevice, type NativeLoadingInfo, type NativeModel } from '../native';
import { writeFolderAtomic } from '../io/atomic-write';
import { type Batch, validateBatch } from './batch';
import {
  type AlbertConfig,
  type AlbertConfigOverrides,
  albertConfig,
  albertConfigToJson,
  parseAlbertConfig,
  readAlbertConfig,
  toNativeConfig,
  writeAlbertConfig,
} from './config';

export const WEIGHTS_FILE = 'model.safetensors';
export const PYTORCH_WEIGHTS_FILE = 'pytorch_model.bin';
export const CONFIG_FILE = 'config.json';

/** What a pretrained load did, in HF's terms (`output_loading_info`). */
export type LoadingInfo = NativeLoadingInfo;

/**
 * The weights file of an HF folder, as HF's from_pretrained picks it: model.safetensors, else
 * pytorch_model.bin. Undefined when there is neither; a sharded checkpoint is an error.
 */
export function findWeightsFile(dir: string): string | undefined {
  for (const name of [WEIGHTS_FILE, PYTORCH_WEIGHTS_FILE]) {
    if (existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  for (const index of [`${WEIGHTS_FILE}.index.json`, `${PYTORCH_WEIGHTS_FILE}.index.json`]) {
    if (existsSync(path.join(dir, index))) {
      throw new AlbertTrainerError('ERR_IO', `${path.join(dir, index)}: sharded checkpoints are not read; save it as one file (model.save_pretrained(dir, max_shard_size="50GB"))`);
    }
  }
  return undefined;
}

export interface ModelOptions {
  /** 'cpu' (default) or 'cuda' (needs an addon built against a CUDA libtorch). */
  device?: NativeDevice;
  /** Parameter dtype. Master weights are fp32; AMP is chosen per call. */
  dtype?: 'float32';
}

export interface FromConfigOptions extends ModelOptions {
  /** Seed of the weight initialization (HF's _init_weights: Normal(0, initializer_range)). Default 42. */
  seed?: number;
}

export interface FromPretrainedOptions extends ModelOptions {
  /**
   * false (default): HF's from_pretrained rules. A checkpoint of any ALBERT architecture loads;
   * the classifier (and the pooler of an AlbertForMaskedLM) it lacks is initialised from `seed`;
   * other heads' weights are left out; `loadingInfo` says what happened. true: every weight from
   * the file, nothing left over (what eval, predict and resume need: a trained classifier).
   */
  strict?: boolean;
  /** Seed of the init of the weights the checkpoint lacks. Default 42. */
  seed?: number;
  /** Re-initialise a classifier whose shape differs from the config's, instead of failing (HF's ignore_mismatched_sizes). */
  ignoreMismatchedSizes?: boolean;
  /** Label names that replace config.json's (HF: from_pretrained(..., id2label=...)); their count is num_labels. */
  id2label?: Record<string, string>;
}

export interface SavePretrainedOptions {
  /** The tokenizer to save beside the weights (its tokenizer.json, tokenizer_config.json, ...). */
  tokenizer?: { save(dir: string): Promise<void> };
}

export interface ForwardOptions {
  /** Autocast precision: 'off' (default), 'bf16' or 'fp16'. */
  amp?: NativeAmp;
}

export interface ForwardResult {
  /** (B, num_labels) row-major, fp32. */
  logits: Float32Array;
  /** Present when the batch has labels: HF's loss for the config's problem type. */
  loss?: number;
}

export interface ParameterInfo {
  name: string;
  shape: number[];
}

const AMPS: readonly NativeAmp[] = ['off', 'bf16', 'fp16'];

function resolveOptions(options: ModelOptions | undefined): { device: NativeDevice } {
  const device = options?.device ?? 'cpu';
  if (device !== 'cpu' && device !== 'cuda') throw invalidArgument("'cpu' or 'cuda'", 'device', device);
  if (options?.dtype !== undefined && options.dtype !== 'float32') {
    throw invalidArgument("'float32' (AMP is chosen per call with `amp`)", 'dtype', options.dtype);
  }
  return { device };
}

export function resolveAmp(amp: unknown): NativeAmp {
  if (amp === undefined) return 'off';
  if (!AMPS.includes(amp as NativeAmp)) throw invalidArgument("'off', 'bf16' or 'fp16'", 'amp', amp);
  return amp as NativeAmp;
}

/** `config` with other labels: id2label's names, label2id its inverse, num_labels its size. */
function withLabels(config: AlbertConfig, id2label: Record<string, string>, source: string): AlbertConfig {
  const json = albertConfigToJson(config);
  delete json.num_labels;
  json.id2label = id2label;
  json.label2id = Object.fromEntries(Object.entries(id2label).map(([id, name]) => [name, Number(id)]));
  return parseAlbertConfig(json, `${source} with the dataset's labels`);
}

export class AlbertForSequenceClassification {
  readonly config: AlbertConfig;
  /** The native model; for TrainingSession and other parts of this package. */
  readonly native: NativeModel;
  /** From fromPretrained: the weights it initialised, left out or re-initialised (all empty for a full checkpoint). */
  loadingInfo?: LoadingInfo;
  /** From fromPretrained: the weights file read. */
  checkpointFile?: string;

  private constructor(config: AlbertConfig, nativeModel: NativeModel) {
    this.config = config;
    this.native = nativeModel;
  }

  /** A randomly initialized model from an HF-style config (snake_case fields; missing ones take HF's defaults). */
  static fromConfig(config: AlbertConfig | AlbertConfigOverrides, options?: FromConfigOptions): AlbertForSequenceClassification {
    const seed = options?.seed ?? 42;
    if (!Number.isInteger(seed) || seed < 0) throw invalidArgument('non-negative integer', 'seed', seed);
    const { device } = resolveOptions(options);
    const resolved = 'extra' in config ? parseAlbertConfig(albertConfigToJson(config), 'config') : albertConfig(config);
    const { Model } = native();
    return new AlbertForSequenceClassification(resolved, callNativeSync(() => new Model(toNativeConfig(resolved), { seed, device })));
  }

  /**
   * Loads an HF directory: `config.json` and `model.safetensors` (else `pytorch_model.bin`, read
   * weights-only). See FromPretrainedOptions for the rules; every backbone tensor is the file's, bit for bit.
   */
  static async fromPretrained(dir: string, options?: FromPretrainedOptions): Promise<AlbertForSequenceClassification> {
    if (typeof dir !== 'string' || dir.length === 0) throw invalidArgument('a directory path', 'dir', dir);
    const { device } = resolveOptions(options);
    const seed = options?.seed ?? 42;
    if (!Number.isInteger(seed) || seed < 0) throw invalidArgument('non-negative integer', 'seed', seed);
    for (const flag of ['strict', 'ignoreMismatchedSizes'] as const) {
      if (options?.[flag] !== undefined && typeof options[flag] !== 'boolean') throw invalidArgument('a boolean', flag, options[flag]);
    }
    const configFile = path.join(dir, CONFIG_FILE);
    let config = await readAlbertConfig(configFile);
    if (options?.id2label !== undefined) config = withLabels(config, options.id2label, configFile);
    const weights = findWeightsFile(dir);
    if (!weights) throw new AlbertTrainerError('ERR_IO', `${path.join(dir, WEIGHTS_FILE)}: no such file (nor ${PYTORCH_WEIGHTS_FILE})`);
    const { Model } = native();
    const model = new AlbertForSequenceClassification(config, callNativeSync(() => new Model(toNativeConfig(config), { seed, device })));
    try {
      const strict = options?.strict ?? false;
      const info = await callNative(() => model.native.loadWeights(weights, { pretrained: !strict, ignoreMismatchedSizes: options?.ignoreMismatchedSizes ?? false }));
      model.loadingInfo = info;
      model.checkpointFile = weights;
    } catch (error) {
      model.dispose();
      throw error;
    }
    return model;
  }

  /**
   * Writes `config.json` and `model.safetensors` that HF's `from_pretrained` loads, and with
   * `tokenizer` its files too (a folder `predict` and HF's pipeline take as it is). A new folder
   * is built beside its final name and renamed into place, so a failure leaves nothing behind;
   * in an existing folder each file is replaced atomically.
   */
  async savePretrained(dir: string, options?: SavePretrainedOptions): Promise<void> {
    this.assertUsable();
    if (typeof dir !== 'string' || dir.length === 0) throw invalidArgument('a directory path', 'dir', dir);
    const existing = await fs.stat(dir).catch(() => undefined);
    if (existing && !existing.isDirectory()) throw new AlbertTrainerError('ERR_IO', `${dir}: exists and is not a directory`);
    const write = async (target: string) => {
      await callNative(() => this.native.saveWeights(path.join(target, WEIGHTS_FILE), {}));
      await writeAlbertConfig(target, this.config);
      await options?.tokenizer?.save(target);
    };
    if (existing) return write(dir);
    return writeFolderAtomic(dir, write);
  }

  /** Writes the weights alone (fp32 safetensors, HF names), atomically. */
  async saveWeights(file: string): Promise<void> {
    this.assertUsable();
    if (typeof file !== 'string' || file.length === 0) throw invalidArgument('a file path', 'file', file);
    return callNative(() => this.native.saveWeights(file, {}));
  }

  /** Replaces the weights from a safetensors file or pytorch_model.bin (strict; nothing changes unless it all fits). */
  async loadWeights(file: string): Promise<void> {
    this.assertUsable();
    if (typeof file !== 'string' || file.length === 0) throw invalidArgument('a file path', 'file', file);
    await callNative(() => this.native.loadWeights(file));
  }

  /** Eval-mode forward (no dropout, no gradients). */
  async forward(batch: Batch, options?: ForwardOptions): Promise<ForwardResult> {
    this.assertUsable();
    const amp = resolveAmp(options?.amp);
    const checked = validateBatch(batch, this.config);
    return callNative(() => this.native.forward(checked, { amp }));
  }

  /** Every parameter by HF state-dict name, in HF's order. */
  parameters(): ParameterInfo[] {
    this.assertUsable();
    return callNativeSync(() => this.native.parameters());
  }

  /** A copy of one parameter's values (fp32, row-major). */
  getParameter(name: string): Float32Array {
    this.assertUsable();
    if (typeof name !== 'string') throw invalidArgument('a parameter name', 'name', name);
    return callNativeSync(() => this.native.getParameter(name));
  }

  get device(): NativeDevice {
    return this.native.device;
  }

  get disposed(): boolean {
    return this.native.disposed;
  }

  /** Frees the weights now rather than at garbage collection. Further calls throw ERR_DISPOSED. */
  dispose(): void {
    callNativeSync(() => this.native.dispose());
  }

  private assertUsable(): void {
    if (this.native.disposed) {
      throw new AlbertTrainerError('ERR_DISPOSED', 'this model was disposed; create or load a new one');
    }
  }
}
