// A trained classifier as the folder transformers.js loads for `text-classification`, and that
// onnxruntime runs: config.json (with id2label), the tokenizer files, onnx/model.onnx (fp32) and,
// with `quantize`, onnx/model_quantized.onnx (weight-only int8, transformers.js `dtype: 'q8'`).
// Written from the model's own weights by this package (ts/export/albert-graph.ts): no Python.
// The folder is built beside its final name and renamed into place, so a failure leaves nothing.
import { promises as fs } from 'fs';
import * as path from 'path';
import type { AlbertTokenizer } from '../data/tokenizer';
import { AlbertTrainerError, invalidArgument } from '../errors';
import { info } from '../info';
import { writeFolderAtomic } from '../io/atomic-write';
import type { AlbertForSequenceClassification } from '../model/albert';
import { writeAlbertConfig } from '../model/config';
import { albertGraph } from './albert-graph';
import { encodeModel } from './onnx-proto';

/**
 * ALBERT's special tokens and tokenizer class, as HF's AlbertTokenizerFast.save_pretrained writes
 * them. transformers.js pads with the pad_token it finds here; a hub tokenizer_config.json that
 * holds only model_max_length (albert-*-v2's) leaves it none. Keys the folder has win.
 */
const ALBERT_TOKENIZER_CONFIG = {
  tokenizer_class: 'AlbertTokenizer', bos_token: '[CLS]', eos_token: '[SEP]', unk_token: '<unk>', sep_token: '[SEP]', pad_token: '<pad>',
  cls_token: '[CLS]', mask_token: '[MASK]', do_lower_case: true, remove_space: true, keep_accents: false,
};

async function completeTokenizerConfig(dir: string): Promise<void> {
  const file = path.join(dir, 'tokenizer_config.json');
  const text = await fs.readFile(file, 'utf8').catch(() => '{}');
  const config = JSON.parse(text) as Record<string, unknown>;
  await fs.writeFile(file, `${JSON.stringify({ ...ALBERT_TOKENIZER_CONFIG, ...config }, null, 2)}\n`);
}

/** id2label and label2id written even when they are HF's defaults: transformers.js names its labels from them. */
async function withLabelNames(dir: string, model: AlbertForSequenceClassification): Promise<void> {
  const file = path.join(dir, 'config.json');
  const config = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
  await fs.writeFile(file, `${JSON.stringify({ ...config, id2label: model.config.id2label, label2id: model.config.label2id }, null, 2)}\n`);
}

export interface ExportOnnxOptions {
  /** The tokenizer whose files go beside the model (transformers.js needs tokenizer.json). */
  tokenizer: AlbertTokenizer;
  /** Also write onnx/model_quantized.onnx (int8 weights). Default false. */
  quantize?: boolean;
  /** Replace an existing folder (HF's --overwrite_output_dir). Default false: an existing folder is an error. */
  overwrite?: boolean;
}

export interface ExportedFiles {
  dir: string;
  /** Relative file name -> size in bytes. */
  files: Record<string, number>;
}

/** Writes the ONNX folder for `model` at `dir`. */
export async function exportOnnx(model: AlbertForSequenceClassification, dir: string, options: ExportOnnxOptions): Promise<ExportedFiles> {
  if (typeof dir !== 'string' || dir.length === 0) throw invalidArgument('a directory path', 'dir', dir);
  if (!options || typeof options.tokenizer?.save !== 'function') throw invalidArgument('an AlbertTokenizer', 'tokenizer', options?.tokenizer);
  if (model.disposed) throw new AlbertTrainerError('ERR_DISPOSED', 'this model was disposed; create or load a new one');
  const existing = await fs.stat(dir).catch(() => undefined);
  if (existing && !options.overwrite) {
    throw new AlbertTrainerError('ERR_IO', `${dir}: exists; choose another --output or pass --overwrite-output-dir (API: overwrite: true)`);
  }
  if (existing && !existing.isDirectory()) throw new AlbertTrainerError('ERR_IO', `${dir}: exists and is not a directory`);
  const shapes = new Map(model.parameters().map((p) => [p.name, p.shape]));
  const weights = { get: (name: string) => ({ values: model.getParameter(name), shape: shapes.get(name) as number[] }) };
  await writeFolderAtomic(dir, async (staging) => {
    await fs.mkdir(path.join(staging, 'onnx'));
    const variants: Array<[string, boolean]> = [['model.onnx', false], ...(options.quantize ? [['model_quantized.onnx', true] as [string, boolean]] : [])];
    for (const [name, quantize] of variants) {
      const bytes = encodeModel(albertGraph(model.config, weights, { quantize, producerVersion: info().version }));
      await fs.writeFile(path.join(staging, 'onnx', name), bytes);
    }
    await writeAlbertConfig(staging, model.config);
    await withLabelNames(staging, model);
    await options.tokenizer.save(staging);
    await completeTokenizerConfig(staging);
  }, { replace: existing !== undefined });
  const files: Record<string, number> = {};
  for (const name of ['config.json', 'onnx/model.onnx', 'onnx/model_quantized.onnx', 'tokenizer.json', 'tokenizer_config.json']) {
    const stat = await fs.stat(path.join(dir, name)).catch(() => undefined);
    if (stat) files[name] = stat.size;
  }
  return { dir, files };
}
