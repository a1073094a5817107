// The model config: HF transformers' AlbertConfig (v5.18) with HF's own snake_case field names,
// so a config.json maps onto it 1:1. Everything is validated here, in TS; the native core
// trusts the NativeConfig it gets from toNativeConfig().
//
// HF semantics mirrored on purpose (each checked against the real library by test/model/config-hf.test.ts):
// - A missing field takes HF's default. Labels: id2label, when given, sets num_labels; a
//   num_labels given beside it that disagrees wins and renames the labels LABEL_0.. (HF warns,
//   then does exactly that); with no id2label, num_labels (default 2) makes LABEL_i names.
// - Fields HF does not know are kept verbatim in `extra` and written back (HF does the same:
//   it sets them as attributes and saves them).
// - transformers 5 dropped `position_embedding_type` from ALBERT (absolute positions only), so it
//   is no typed field: 'absolute' is accepted and kept in `extra`; any other value is refused.
// - config.json is written as save_pretrained writes it: only the base fields that differ from
//   PreTrainedConfig's defaults, sorted keys, 2-space indent, float fields as Python floats
//   (HF's strict loader refuses `"layer_norm_eps": 1` where it wants a float).
//
// Deliberately stricter than HF (which validates little and crashes later, or silently misbehaves):
// sizes, ranges, hidden_act, id2label keys 0..N-1, label2id a bijection onto 0..N-1, heads dividing
// hidden_size, num_hidden_groups <= num_hidden_layers (more groups than layers leaves groups that no
// layer uses: parameters with no gradient, a trap for optimizer parity), pad_token_id inside the
// vocabulary (HF's nn.Embedding(padding_idx=pad_token_id) throws otherwise), model_type 'albert'.
// One deviation: a label2id absent beside a given id2label becomes its inverse (HF leaves None).
import { promises as fs } from 'fs';
import * as path from 'path';
import { isNonNegativeSafeInteger, isPositiveSafeInteger } from '../checks';
import { AlbertTrainerError, describe } from '../errors';
import { writeFileAtomic } from '../io/atomic-write';
import { jsonErrorPosition, pythonJson } from './config-json';
import type { NativeConfig } from '../native';

/** Activations the native core implements (a subset of HF's ACT2FN, same names and formulas). */
export type HiddenAct = NativeConfig['hiddenAct'];

/** HF's problem_type values; null means "resolve from num_labels and the labels' dtype". */
export type ProblemType = NativeConfig['problemType'];

/** The transformers release whose config semantics this module mirrors; written as transformers_version. */
export const HF_TRANSFORMERS_VERSION = '5.18.0';

/** HF transformers' AlbertConfig for sequence classification, field for field, HF's names. */
export interface AlbertConfig {
  vocab_size: number; // V: rows of the word-embedding matrix
  embedding_size: number; // E: factorized embedding width, projected to H before the encoder
  hidden_size: number; // H
  num_hidden_layers: number; // L: layers run; layer i uses group int(i / (L / G))
  num_hidden_groups: number; // G: distinct parameter sets shared by the L layers
  num_attention_heads: number; // divides H
  intermediate_size: number; // FFN width
  inner_group_num: number; // attention+FFN blocks inside one group
  hidden_act: HiddenAct;
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  max_position_embeddings: number; // longest sequence T the position table covers
  type_vocab_size: number; // rows of the token-type table
  initializer_range: number; // std of the normal init of fresh weights
  layer_norm_eps: number;
  classifier_dropout_prob: number; // dropout before the classification head
  pad_token_id: number | null; // the word-embedding row HF keeps at zero gradient (padding_idx)
  bos_token_id: number | null;
  eos_token_id: number | number[] | null;
  tie_word_embeddings: boolean; // ties the MLM decoder to the word embeddings (no effect on classification)
  num_labels: number; // derived: the number of entries of id2label
  id2label: Record<string, string>; // keys "0".."num_labels-1"
  label2id: Record<string, number>;
  problem_type: ProblemType | null;
  architectures: string[] | null; // as read; the writer always says AlbertForSequenceClassification
  dtype: string | null; // the dtype the source says its weights are in (HF's legacy name: torch_dtype); written as float32
  extra: Record<string, unknown>; // fields HF's AlbertConfig does not declare, verbatim
}

/** The config.json fields albertConfig() accepts: any HF field, the rest from HF's defaults. */
export type AlbertConfigOverrides = Partial<Omit<AlbertConfig, 'extra'>>;

type ModelField = Exclude<keyof AlbertConfig, 'num_labels' | 'id2label' | 'label2id' | 'extra'>;

/** The fields PreTrainedConfig declares (the rest are AlbertConfig's): save_pretrained writes them only when not default. */
const BASE_FIELDS: readonly ModelField[] = ['problem_type', 'architectures', 'dtype'];

const HIDDEN_ACTS: readonly HiddenAct[] = ['gelu_new', 'gelu', 'relu', 'gelu_python', 'gelu_pytorch_tanh', 'silu', 'swish', 'tanh'];
const PROBLEM_TYPES: readonly ProblemType[] = ['single_label_classification', 'multi_label_classification', 'regression'];

/** HF AlbertConfig's defaults (the albert-xxlarge shape), as `AlbertConfig()` has them. */
const DEFAULTS: { [K in ModelField]: AlbertConfig[K] } = {
  vocab_size: 30000,
  embedding_size: 128,
  hidden_size: 4096,
  num_hidden_layers: 12,
  num_hidden_groups: 1,
  num_attention_heads: 64,
  intermediate_size: 16384,
  inner_group_num: 1,
  hidden_act: 'gelu_new',
  hidden_dropout_prob: 0,
  attention_probs_dropout_prob: 0,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  initializer_range: 0.02,
  layer_norm_eps: 1e-12,
  classifier_dropout_prob: 0.1,
  pad_token_id: 0,
  bos_token_id: 2,
  eos_token_id: 3,
  tie_word_embeddings: true,
  problem_type: null,
  architectures: null,
  dtype: null,
};

const DEFAULT_NUM_LABELS = 2; // PreTrainedConfig keeps 2 when neither num_labels nor id2label is given

/** config.json keys HF reads and does not write back as they were; never kept in `extra`. */
const CONSUMED_KEYS = new Set(['num_labels', 'id2label', 'label2id', 'model_type', 'torch_dtype', 'transformers_version', '_name_or_path', '_commit_hash']);

/** Fields HF types as float: written with a decimal point, as Python writes floats. */
const FLOAT_FIELDS = new Set(['hidden_dropout_prob', 'attention_probs_dropout_prob', 'classifier_dropout_prob', 'initializer_range', 'layer_norm_eps']);

const isInteger = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isProbability = (v: unknown): boolean => typeof v === 'number' && v >= 0 && v < 1;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const quoted = (names: readonly string[]): string => names.map((n) => JSON.stringify(n)).join(', ');

/** What each field must be: the words of the message, and the test. */
const FIELD_RULES: { [K in ModelField]: [expected: string, ok: (v: unknown) => boolean] } = {
  vocab_size: ['a positive integer', isPositiveSafeInteger],
  embedding_size: ['a positive integer', isPositiveSafeInteger],
  hidden_size: ['a positive integer', isPositiveSafeInteger],
  num_hidden_layers: ['a positive integer', isPositiveSafeInteger],
  num_hidden_groups: ['a positive integer', isPositiveSafeInteger],
  num_attention_heads: ['a positive integer', isPositiveSafeInteger],
  intermediate_size: ['a positive integer', isPositiveSafeInteger],
  inner_group_num: ['a positive integer', isPositiveSafeInteger],
  hidden_act: [`one of ${quoted(HIDDEN_ACTS)}`, (v) => HIDDEN_ACTS.includes(v as HiddenAct)],
  hidden_dropout_prob: ['a number in [0, 1)', isProbability],
  attention_probs_dropout_prob: ['a number in [0, 1)', isProbability],
  max_position_embeddings: ['a positive integer', isPositiveSafeInteger],
  type_vocab_size: ['a positive integer', isPositiveSafeInteger],
  initializer_range: ['a finite number >= 0', (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0],
  layer_norm_eps: ['a finite number > 0', (v) => typeof v === 'number' && Number.isFinite(v) && v > 0],
  classifier_dropout_prob: ['a number in [0, 1)', isProbability],
  pad_token_id: ['null or a non-negative integer', (v) => v === null || isNonNegativeSafeInteger(v)],
  bos_token_id: ['null or an integer', (v) => v === null || isInteger(v)],
  eos_token_id: ['null, an integer or an array of integers', (v) => v === null || isInteger(v) || (Array.isArray(v) && v.every(isInteger))],
  tie_word_embeddings: ['a boolean', (v) => typeof v === 'boolean'],
  problem_type: [`null or one of ${quoted(PROBLEM_TYPES)}`, (v) => v === null || PROBLEM_TYPES.includes(v as ProblemType)],
  architectures: ['null or an array of strings', (v) => v === null || (Array.isArray(v) && v.every((a) => typeof a === 'string'))],
  dtype: ['null or a string', (v) => v === null || typeof v === 'string'],
};

function configError(source: string, message: string): AlbertTrainerError {
  return new AlbertTrainerError('ERR_CONFIG', `${source}: ${message}`);
}

function fieldError(source: string, field: string, expected: string, received: unknown): AlbertTrainerError {
  return configError(source, `field "${field}": expected ${expected} but received ${describe(received)}`);
}

/** One field: its value from `json` if given (undefined counts as absent), else HF's default. */
function readField<K extends ModelField>(json: Record<string, unknown>, source: string, field: K): AlbertConfig[K] {
  const value = json[field] === undefined ? DEFAULTS[field] : json[field];
  const [expected, ok] = FIELD_RULES[field];
  if (!ok(value)) throw fieldError(source, field, expected, value);
  return value as AlbertConfig[K];
}

/** HF's dtype: `dtype`, else the legacy `torch_dtype`, else null. */
function readDtype(json: Record<string, unknown>, source: string): string | null {
  const legacy = json.torch_dtype ?? null;
  if (legacy !== null && typeof legacy !== 'string') throw fieldError(source, 'torch_dtype', 'null or a string', legacy);
  return readField(json, source, 'dtype') ?? legacy;
}

/** LABEL_0 .. LABEL_{n-1}, both ways, as HF's num_labels setter makes them. */
function defaultLabels(numLabels: number): Pick<AlbertConfig, 'num_labels' | 'id2label' | 'label2id'> {
  const names = Array.from({ length: numLabels }, (_, i) => `LABEL_${i}`);
  return {
    num_labels: numLabels,
    id2label: Object.fromEntries(names.map((name, i) => [String(i), name])),
    label2id: Object.fromEntries(names.map((name, i) => [name, i])),
  };
}

/** The class names in id order: id2label's, LABEL_i for an id it lacks. */
export function classNames(config: Pick<AlbertConfig, 'num_labels' | 'id2label'>): string[] {
  return Array.from({ length: config.num_labels }, (_, c) => config.id2label[String(c)] ?? `LABEL_${c}`);
}

/** id2label must name the ids 0..N-1, each once, with strings. */
function checkId2label(source: string, id2label: unknown): Record<string, string> {
  if (!isObject(id2label)) throw fieldError(source, 'id2label', 'an object from label ids to names', id2label);
  const ids = Object.keys(id2label);
  if (ids.length === 0) throw configError(source, 'field "id2label": expected at least one label but received an empty object');
  const stray = ids.find((id) => !/^(0|[1-9][0-9]*)$/.test(id) || Number(id) >= ids.length);
  if (stray !== undefined) {
    throw configError(source, `field "id2label": expected the label ids "0" to "${ids.length - 1}" as keys but found ${JSON.stringify(stray)}`);
  }
  for (const id of ids) {
    if (typeof id2label[id] !== 'string') throw fieldError(source, `id2label.${id}`, 'a string', id2label[id]);
  }
  return Object.fromEntries(ids.sort((a, b) => Number(a) - Number(b)).map((id) => [id, id2label[id] as string]));
}

/** label2id must map N names onto the ids 0..N-1, one each. */
function checkLabel2id(source: string, label2id: unknown, numLabels: number): Record<string, number> {
  const ids = isObject(label2id) ? Object.values(label2id) : [];
  const bijective = ids.length === numLabels && new Set(ids).size === numLabels && ids.every((id) => isNonNegativeSafeInteger(id) && id < numLabels);
  if (!isObject(label2id) || !bijective) {
    const received = isObject(label2id) ? JSON.stringify(label2id) : describe(label2id);
    throw configError(source, `field "label2id": expected an object mapping ${numLabels} label names onto the ids 0 to ${numLabels - 1}, one each, but received ${received}`);
  }
  return { ...label2id } as Record<string, number>;
}

/** HF's label semantics (PreTrainedConfig.__post_init__ and the num_labels setter). */
function readLabels(json: Record<string, unknown>, source: string): Pick<AlbertConfig, 'num_labels' | 'id2label' | 'label2id'> {
  const numLabels = json.num_labels ?? undefined;
  if (numLabels !== undefined && !isPositiveSafeInteger(numLabels)) throw fieldError(source, 'num_labels', 'a positive integer', numLabels);
  if (json.id2label === undefined || json.id2label === null) return defaultLabels(numLabels ?? DEFAULT_NUM_LABELS);
  const id2label = checkId2label(source, json.id2label);
  const count = Object.keys(id2label).length;
  if (numLabels !== undefined && numLabels !== count) return defaultLabels(numLabels);
  const label2id = json.label2id === undefined || json.label2id === null ? Object.fromEntries(Object.entries(id2label).map(([id, name]) => [name, Number(id)])) : json.label2id;
  return { num_labels: count, id2label, label2id: checkLabel2id(source, label2id, count) };
}

/** Rules between fields; HF checks none of them but the last, and crashes or misbehaves later. */
function checkConsistency(config: AlbertConfig, json: Record<string, unknown>, source: string): void {
  const { hidden_size, num_attention_heads, num_hidden_layers, num_hidden_groups, pad_token_id, vocab_size } = config;
  if (hidden_size % num_attention_heads !== 0) {
    throw configError(source, `fields "hidden_size" and "num_attention_heads": hidden_size (${hidden_size}) must be a multiple of num_attention_heads (${num_attention_heads})`);
  }
  if (num_hidden_groups > num_hidden_layers) {
    throw configError(
      source,
      `fields "num_hidden_groups" and "num_hidden_layers": num_hidden_groups (${num_hidden_groups}) must not exceed num_hidden_layers (${num_hidden_layers}); the extra groups would never be used`,
    );
  }
  if (pad_token_id !== null && pad_token_id >= vocab_size) {
    throw configError(source, `fields "pad_token_id" and "vocab_size": pad_token_id (${pad_token_id}) must be a token id below vocab_size (${vocab_size})`);
  }
  const positions = json.position_embedding_type;
  if (positions !== undefined && positions !== 'absolute') {
    throw configError(
      source,
      `field "position_embedding_type": ${JSON.stringify(positions)} is not supported by albert-trainer yet (transformers 5 ALBERT has only "absolute" position embeddings)`,
    );
  }
  if (config.problem_type === 'single_label_classification' && config.num_labels === 1) {
    throw configError(source, 'field "problem_type": "single_label_classification" requires num_labels > 1 but num_labels is 1; use "regression" for a single-output head');
  }
}

/**
 * Validates a parsed config.json (or overrides) into an AlbertConfig, HF's defaults for what is
 * missing. Throws ERR_CONFIG `<source>: field "<name>": expected ... but received ...`.
 */
export function parseAlbertConfig(json: unknown, source: string): AlbertConfig {
  if (!isObject(json)) throw configError(source, `expected a JSON object of config fields but received ${describe(json)}`);
  // Before any field: another model's config would otherwise fail on a field ALBERT reads differently.
  if (json.model_type !== undefined && json.model_type !== 'albert') {
    throw configError(source, `field "model_type": expected "albert" but received ${describe(json.model_type)}: this config is for another model`);
  }
  const fields = Object.fromEntries((Object.keys(DEFAULTS) as ModelField[]).map((field) => [field, readField(json, source, field)]));
  const extra = Object.fromEntries(Object.entries(json).filter(([key, value]) => !Object.hasOwn(DEFAULTS, key) && !CONSUMED_KEYS.has(key) && value !== undefined));
  const config = { ...fields, dtype: readDtype(json, source), ...readLabels(json, source), extra: structuredClone(extra) } as AlbertConfig;
  checkConsistency(config, json, source);
  return config;
}

/** HF's defaults with `overrides` applied, validated as a config.json would be (source 'config'). */
export function albertConfig(overrides: AlbertConfigOverrides = {}): AlbertConfig {
  return parseAlbertConfig(overrides, 'config');
}

/** Reads and validates a config.json. ERR_IO when unreadable; ERR_CONFIG `file:line:column` when not JSON. */
export async function readAlbertConfig(file: string): Promise<AlbertConfig> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (cause) {
    throw new AlbertTrainerError('ERR_IO', `${file}: cannot read the config: ${(cause as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw configError(`${file}:${jsonErrorPosition(text)}`, `malformed JSON (${(cause as Error).message})`);
  }
  return parseAlbertConfig(json, file);
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * The config.json object HF's save_pretrained writes for AlbertForSequenceClassification: every
 * ALBERT field, the base fields that differ from PreTrainedConfig's defaults, and `extra`.
 */
export function albertConfigToJson(config: AlbertConfig): Record<string, unknown> {
  const json: Record<string, unknown> = { ...structuredClone(config.extra) };
  for (const field of Object.keys(DEFAULTS) as ModelField[]) {
    if (!BASE_FIELDS.includes(field)) json[field] = structuredClone(config[field]);
  }
  Object.assign(json, {
    architectures: ['AlbertForSequenceClassification'],
    model_type: 'albert',
    dtype: 'float32', // albert-trainer saves its weights in fp32
    transformers_version: HF_TRANSFORMERS_VERSION,
  });
  const defaults = defaultLabels(DEFAULT_NUM_LABELS);
  if (config.problem_type !== null) json.problem_type = config.problem_type;
  if (!sameJson(config.id2label, defaults.id2label)) json.id2label = { ...config.id2label };
  if (!sameJson(config.label2id, defaults.label2id)) json.label2id = { ...config.label2id };
  return json;
}

/** config.json's text as HF writes it: albertConfigToJson, sorted keys, 2-space indent, trailing newline. */
export function formatAlbertConfig(config: AlbertConfig): string {
  return `${pythonJson(albertConfigToJson(config), '', FLOAT_FIELDS)}\n`;
}

/** Writes `<dir>/config.json` atomically (ts/io/atomic-write.ts); creates `dir`. ERR_IO on failure. */
export async function writeAlbertConfig(dir: string, config: AlbertConfig): Promise<string> {
  const file = path.join(dir, 'config.json');
  await fs.mkdir(dir, { recursive: true }).catch((cause: Error) => {
    throw new AlbertTrainerError('ERR_IO', `${file}: cannot write the config: ${cause.message}`);
  });
  await writeFileAtomic(file, formatAlbertConfig(config), 'the config');
  return file;
}

/** The config as the native core takes it; a null problem_type resolved as HF resolves it for integer labels. */
export function toNativeConfig(config: AlbertConfig): NativeConfig {
  return {
    vocabSize: config.vocab_size,
    embeddingSize: config.embedding_size,
    hiddenSize: config.hidden_size,
    numHiddenLayers: config.num_hidden_layers,
    numHiddenGroups: config.num_hidden_groups,
    numAttentionHeads: config.num_attention_heads,
    intermediateSize: config.intermediate_size,
    innerGroupNum: config.inner_group_num,
    hiddenAct: config.hidden_act,
    hiddenDropoutProb: config.hidden_dropout_prob,
    attentionProbsDropoutProb: config.attention_probs_dropout_prob,
    maxPositionEmbeddings: config.max_position_embeddings,
    typeVocabSize: config.type_vocab_size,
    initializerRange: config.initializer_range,
    layerNormEps: config.layer_norm_eps,
    classifierDropoutProb: config.classifier_dropout_prob,
    numLabels: config.num_labels,
    padTokenId: config.pad_token_id ?? -1,
    problemType: problemTypeOf(config),
  };
}

/** The problem type the model trains for: problem_type, or when null HF's choice for integer labels
 * (regression for one label, single-label classification for more). */
export function problemTypeOf(config: Pick<AlbertConfig, 'problem_type' | 'num_labels'>): ProblemType {
  return config.problem_type ?? (config.num_labels === 1 ? 'regression' : 'single_label_classification');
}
