// ts/model/config.ts against HF transformers' AlbertConfig itself: defaults, label semantics, and
// config.json both ways (ours loaded by HF, HF's loaded by ours), all from one reference run.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AlbertTrainerError } from '../../ts/errors';
import {
  AlbertConfig,
  HF_TRANSFORMERS_VERSION,
  albertConfig,
  albertConfigToJson,
  formatAlbertConfig,
  parseAlbertConfig,
  readAlbertConfig,
  toNativeConfig,
  writeAlbertConfig,
} from '../../ts/model/config';
import { SHARED_DATA } from '../helpers/paths';
import { runReference } from '../helpers/python';

/** HF's `config.to_dict()` plus num_labels. */
type HfView = Record<string, unknown>;
interface Reference {
  version: string;
  construct: HfView[];
  load: { config: HfView; text: string | null }[];
  save: HfView[];
}

/** Keys of HF's to_dict() that AlbertConfig deliberately does not model (HF metadata and runtime switches). */
const UNMODELLED_HF_KEYS = ['transformers_version', 'model_type', '_name_or_path', 'output_hidden_states', 'output_attentions', 'return_dict', 'chunk_size_feed_forward', 'is_encoder_decoder'];

const TINY = { vocab_size: 100, embedding_size: 16, hidden_size: 32, num_attention_heads: 4, intermediate_size: 64 };
const THREE_LABELS = { id2label: { 0: 'négatif', 1: 'neutral', 2: 'positive' }, label2id: { négatif: 0, neutral: 1, positive: 2 } };

/** Label semantics and defaults, each run through AlbertConfig(**kwargs) too. */
const CONSTRUCT_CASES: Record<string, unknown>[] = [
  {}, // 0: defaults
  { num_labels: 3 }, // 1: LABEL_0..2
  { ...THREE_LABELS }, // 2: id2label sets num_labels
  { ...THREE_LABELS, num_labels: 2 }, // 3: a disagreeing num_labels wins and renames
  { ...THREE_LABELS, num_labels: 3 }, // 4: an agreeing one changes nothing
  { num_labels: 1 }, // 5
  { label2id: { x: 0, y: 1 } }, // 6: label2id without id2label is replaced
  { torch_dtype: 'float16' }, // 7: legacy name of dtype
  { dtype: 'bfloat16', torch_dtype: 'float16' }, // 8: dtype wins
  { position_embedding_type: 'absolute', gap_size: 0, note: { kept: [1, 'two'] } }, // 9: unknown fields kept
];

/** Ours, written by writeAlbertConfig, then loaded and re-saved by HF. */
const WRITTEN: Record<string, AlbertConfig> = {
  groups: parseAlbertConfig(
    {
      ...TINY,
      num_hidden_layers: 4,
      num_hidden_groups: 2,
      inner_group_num: 2,
      ...THREE_LABELS,
      problem_type: 'single_label_classification',
      hidden_act: 'gelu',
      hidden_dropout_prob: 0.1,
      attention_probs_dropout_prob: 0.05,
      classifier_dropout_prob: 0,
      layer_norm_eps: 1e-5,
      initializer_range: 0.03,
      max_position_embeddings: 64,
      type_vocab_size: 1,
      pad_token_id: 1,
      bos_token_id: null,
      eos_token_id: [3, 4],
      architectures: ['AlbertForMaskedLM'],
      dtype: 'float16',
      gap_size: 0,
      note: 'kept',
    },
    'groups',
  ),
  plain: albertConfig({ ...TINY, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 37, initializer_range: 0, layer_norm_eps: 1 }),
  multi: albertConfig({ ...TINY, num_hidden_layers: 3, num_labels: 11, problem_type: 'multi_label_classification', hidden_act: 'relu', tie_word_embeddings: false }),
};

/** Saved by HF's save_pretrained, then read by ours. */
const HF_SAVED: Record<string, Record<string, unknown>> = {
  labels: {
    hidden_size: 48,
    num_attention_heads: 3,
    intermediate_size: 96,
    num_hidden_layers: 6,
    num_hidden_groups: 3,
    id2label: { 0: 'objective', 1: 'subjective' },
    label2id: { objective: 0, subjective: 1 },
    problem_type: 'single_label_classification',
    dtype: 'bfloat16',
    architectures: ['AlbertForSequenceClassification'],
    pad_token_id: null,
    hidden_act: 'gelu_pytorch_tanh',
  },
  defaults: {},
  noLabel2id: { id2label: { 0: 'a', 1: 'b', 2: 'c' } },
};

const REAL_CONFIGS = ['albert-base-v2.json', 'albert-large-v2.json'].map((name) => path.join(SHARED_DATA, 'albert-configs', name));

let tmp: string;
let ref: Reference;
const writtenDir = (name: string): string => path.join(tmp, 'ours', name);
const hfResaveDir = (name: string): string => path.join(tmp, 'hf-resave', name);
const hfSavedDir = (name: string): string => path.join(tmp, 'hf-saved', name);

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-config-test-'));
  for (const [name, config] of Object.entries(WRITTEN)) await writeAlbertConfig(writtenDir(name), config);
  ref = runReference<Reference>('config_reference.py', [], {
    construct: CONSTRUCT_CASES,
    load: [
      ...Object.keys(WRITTEN).map((name) => ({ path: writtenDir(name), resave: hfResaveDir(name) })),
      ...REAL_CONFIGS.map((file) => ({ path: file, resave: null })),
    ],
    save: Object.entries(HF_SAVED).map(([name, kwargs]) => ({ dir: hfSavedDir(name), kwargs })),
  });
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every field of ours equals HF's, every extra field too, and HF has no field we do not account for. */
function expectSameAsHf(ours: AlbertConfig, hf: HfView, except: string[] = []): void {
  const typed = Object.keys(ours).filter((key) => key !== 'extra' && !except.includes(key));
  for (const key of typed) expect([key, ours[key as keyof AlbertConfig]]).toEqual([key, hf[key]]);
  for (const [key, value] of Object.entries(ours.extra)) expect([key, value]).toEqual([key, hf[key]]);
  const accounted = new Set([...Object.keys(ours), ...Object.keys(ours.extra), ...UNMODELLED_HF_KEYS]);
  expect(Object.keys(hf).filter((key) => !accounted.has(key))).toEqual([]);
}

/** The AlbertTrainerError `fn` throws (fails the test when it throws nothing or something else). */
function thrown(fn: () => unknown): AlbertTrainerError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AlbertTrainerError);
    return error as AlbertTrainerError;
  }
  throw new Error('expected an AlbertTrainerError, nothing was thrown');
}

async function rejected(promise: Promise<unknown>): Promise<AlbertTrainerError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AlbertTrainerError);
  return error as AlbertTrainerError;
}

describe('defaults and label semantics match HF AlbertConfig', () => {
  test('the transformers release mirrored is the one installed', () => {
    expect(ref.version).toBe(HF_TRANSFORMERS_VERSION);
  });

  test('an empty config has every default of AlbertConfig()', () => {
    expectSameAsHf(parseAlbertConfig({}, 'config.json'), ref.construct[0]);
    expect(albertConfig()).toEqual(parseAlbertConfig({}, 'config.json'));
  });

  test.each(CONSTRUCT_CASES.map((kwargs, i) => [i, kwargs] as const))('case %d %j gives what AlbertConfig(**kwargs) gives', (i, kwargs) => {
    expectSameAsHf(parseAlbertConfig(kwargs, 'case'), ref.construct[i]);
  });

  test('an override of undefined is the default', () => {
    expect(albertConfig({ hidden_size: undefined }).hidden_size).toBe(ref.construct[0].hidden_size);
  });
});

describe('config.json written by albert-trainer, read by HF', () => {
  const names = Object.keys(WRITTEN);

  test.each(names)('%s: HF loads every field as we read it back', async (name) => {
    const reread = await readAlbertConfig(path.join(writtenDir(name), 'config.json'));
    expectSameAsHf(reread, ref.load[names.indexOf(name)].config);
    const config = WRITTEN[name];
    expect(reread).toEqual({ ...config, architectures: ['AlbertForSequenceClassification'], dtype: 'float32' });
  });

  test.each(names)('%s: HF AlbertForSequenceClassification.save_pretrained writes the same bytes', (name) => {
    const ours = fs.readFileSync(path.join(writtenDir(name), 'config.json'), 'utf8');
    expect(ref.load[names.indexOf(name)].text).toBe(ours);
    expect(formatAlbertConfig(WRITTEN[name])).toBe(ours);
  });

  test('default labels and a null problem_type are left out, as HF leaves them out', () => {
    const json = albertConfigToJson(WRITTEN.plain);
    expect(Object.keys(json).filter((key) => ['id2label', 'label2id', 'problem_type'].includes(key))).toEqual([]);
    expect(json).toMatchObject({ architectures: ['AlbertForSequenceClassification'], model_type: 'albert', dtype: 'float32' });
  });

  test('the write is atomic: only config.json is left, in a folder created for it', async () => {
    const dir = path.join(tmp, 'atomic', 'nested');
    const file = await writeAlbertConfig(dir, WRITTEN.plain);
    expect(file).toBe(path.join(dir, 'config.json'));
    expect(fs.readdirSync(dir)).toEqual(['config.json']);
    expect(fs.readFileSync(file, 'utf8').endsWith('}\n')).toBe(true);
  });

  test('a write that cannot happen is ERR_IO naming the file', async () => {
    const blocker = path.join(tmp, 'a-file');
    fs.writeFileSync(blocker, '');
    const error = await rejected(writeAlbertConfig(blocker, WRITTEN.plain));
    expect(error.code).toBe('ERR_IO');
    expect(error.message.startsWith(`${path.join(blocker, 'config.json')}: cannot write the config: `)).toBe(true);
  });
});

describe('config.json written by HF, read by albert-trainer', () => {
  const names = Object.keys(HF_SAVED);

  test.each(names.filter((name) => name !== 'noLabel2id'))('%s: every field as HF has it', async (name) => {
    const ours = await readAlbertConfig(path.join(hfSavedDir(name), 'config.json'));
    expectSameAsHf(ours, ref.save[names.indexOf(name)]);
  });

  test('an id2label without label2id: HF keeps label2id null, ours is its inverse', async () => {
    const ours = await readAlbertConfig(path.join(hfSavedDir('noLabel2id'), 'config.json'));
    const hf = ref.save[names.indexOf('noLabel2id')];
    expectSameAsHf(ours, hf, ['label2id']);
    expect(hf.label2id).toBeNull();
    expect(ours.label2id).toEqual({ a: 0, b: 1, c: 2 });
  });

  test.each(REAL_CONFIGS.map((file, i) => [path.basename(file), file, i] as const))('%s parses as HF reads it', async (_name, file, i) => {
    const ours = await readAlbertConfig(file);
    expectSameAsHf(ours, ref.load[Object.keys(WRITTEN).length + i].config);
    expect(Object.keys(ours.extra).sort()).toEqual(['down_scale_factor', 'gap_size', 'net_structure_type', 'num_memory_blocks']);
  });
});

describe('toNativeConfig', () => {
  test('maps every field to camelCase', () => {
    const c = WRITTEN.groups;
    expect(toNativeConfig(c)).toEqual({
      vocabSize: c.vocab_size,
      embeddingSize: c.embedding_size,
      hiddenSize: c.hidden_size,
      numHiddenLayers: c.num_hidden_layers,
      numHiddenGroups: c.num_hidden_groups,
      numAttentionHeads: c.num_attention_heads,
      intermediateSize: c.intermediate_size,
      innerGroupNum: c.inner_group_num,
      hiddenAct: c.hidden_act,
      hiddenDropoutProb: c.hidden_dropout_prob,
      attentionProbsDropoutProb: c.attention_probs_dropout_prob,
      maxPositionEmbeddings: c.max_position_embeddings,
      typeVocabSize: c.type_vocab_size,
      initializerRange: c.initializer_range,
      layerNormEps: c.layer_norm_eps,
      classifierDropoutProb: c.classifier_dropout_prob,
      numLabels: 3,
      padTokenId: c.pad_token_id,
      problemType: 'single_label_classification',
    });
  });

  test('a null pad_token_id reaches the core as -1 (no padding row)', () => {
    expect(toNativeConfig(albertConfig({ pad_token_id: null })).padTokenId).toBe(-1);
    expect(toNativeConfig(albertConfig({ pad_token_id: 3 })).padTokenId).toBe(3);
  });

  test('a null problem_type resolves as HF resolves it for integer labels', () => {
    expect(toNativeConfig(albertConfig({ num_labels: 1 })).problemType).toBe('regression');
    expect(toNativeConfig(albertConfig({ num_labels: 2 })).problemType).toBe('single_label_classification');
    expect(toNativeConfig(albertConfig({ num_labels: 1, problem_type: 'multi_label_classification' })).problemType).toBe('multi_label_classification');
  });
});

describe('bad configs: ERR_CONFIG naming the source and the field', () => {
  const SIZE_FIELDS = [
    'vocab_size',
    'embedding_size',
    'hidden_size',
    'num_hidden_layers',
    'num_hidden_groups',
    'num_attention_heads',
    'intermediate_size',
    'inner_group_num',
    'max_position_embeddings',
    'type_vocab_size',
  ];
  const DROPOUT_FIELDS = ['hidden_dropout_prob', 'attention_probs_dropout_prob', 'classifier_dropout_prob'];
  const ACTS = '"gelu_new", "gelu", "relu", "gelu_python", "gelu_pytorch_tanh", "silu", "swish", "tanh"';
  const PROBLEMS = '"single_label_classification", "multi_label_classification", "regression"';
  const LABELS2 = { id2label: { 0: 'a', 1: 'b' } };

  const cases: [string, unknown, string][] = [
    ['an array', [], 'expected a JSON object of config fields but received an array of length 0'],
    ['null', null, 'expected a JSON object of config fields but received null'],
    ['a string', 'albert', 'expected a JSON object of config fields but received "albert" of type string'],
    ...SIZE_FIELDS.flatMap((field): [string, unknown, string][] => [
      [`${field} -1`, { [field]: -1 }, `field "${field}": expected a positive integer but received -1 of type number`],
      [`${field} 0`, { [field]: 0 }, `field "${field}": expected a positive integer but received 0 of type number`],
      [`${field} 1.5`, { [field]: 1.5 }, `field "${field}": expected a positive integer but received 1.5 of type number`],
      [`${field} "8"`, { [field]: '8' }, `field "${field}": expected a positive integer but received "8" of type string`],
      [`${field} null`, { [field]: null }, `field "${field}": expected a positive integer but received null`],
    ]),
    ['hidden_size true', { hidden_size: true }, 'field "hidden_size": expected a positive integer but received true of type boolean'],
    ...DROPOUT_FIELDS.flatMap((field): [string, unknown, string][] => [
      [`${field} 1`, { [field]: 1 }, `field "${field}": expected a number in [0, 1) but received 1 of type number`],
      [`${field} -0.1`, { [field]: -0.1 }, `field "${field}": expected a number in [0, 1) but received -0.1 of type number`],
      [`${field} "0.1"`, { [field]: '0.1' }, `field "${field}": expected a number in [0, 1) but received "0.1" of type string`],
    ]),
    ['layer_norm_eps 0', { layer_norm_eps: 0 }, 'field "layer_norm_eps": expected a finite number > 0 but received 0 of type number'],
    ['layer_norm_eps -1e-12', { layer_norm_eps: -1e-12 }, 'field "layer_norm_eps": expected a finite number > 0 but received -1e-12 of type number'],
    ['initializer_range -0.01', { initializer_range: -0.01 }, 'field "initializer_range": expected a finite number >= 0 but received -0.01 of type number'],
    ['hidden_act gelu_fast', { hidden_act: 'gelu_fast' }, `field "hidden_act": expected one of ${ACTS} but received "gelu_fast" of type string`],
    ['hidden_act 1', { hidden_act: 1 }, `field "hidden_act": expected one of ${ACTS} but received 1 of type number`],
    [
      'position_embedding_type relative_key',
      { position_embedding_type: 'relative_key' },
      'field "position_embedding_type": "relative_key" is not supported by albert-trainer yet (transformers 5 ALBERT has only "absolute" position embeddings)',
    ],
    [
      'heads not dividing hidden_size',
      { hidden_size: 100, num_attention_heads: 3 },
      'fields "hidden_size" and "num_attention_heads": hidden_size (100) must be a multiple of num_attention_heads (3)',
    ],
    [
      'more groups than layers',
      { num_hidden_layers: 2, num_hidden_groups: 3 },
      'fields "num_hidden_groups" and "num_hidden_layers": num_hidden_groups (3) must not exceed num_hidden_layers (2); the extra groups would never be used',
    ],
    ['model_type bert', { model_type: 'bert' }, 'field "model_type": expected "albert" but received "bert" of type string: this config is for another model'],
    ['num_labels 0', { num_labels: 0 }, 'field "num_labels": expected a positive integer but received 0 of type number'],
    ['num_labels "2"', { num_labels: '2' }, 'field "num_labels": expected a positive integer but received "2" of type string'],
    ['id2label a string', { id2label: 'a' }, 'field "id2label": expected an object from label ids to names but received "a" of type string'],
    ['id2label empty', { id2label: {} }, 'field "id2label": expected at least one label but received an empty object'],
    ['id2label with a gap', { id2label: { 0: 'a', 2: 'b' } }, 'field "id2label": expected the label ids "0" to "1" as keys but found "2"'],
    ['id2label with a name as key', { id2label: { a: 'x' } }, 'field "id2label": expected the label ids "0" to "0" as keys but found "a"'],
    ['id2label with a padded key', { id2label: { '00': 'x' } }, 'field "id2label": expected the label ids "0" to "0" as keys but found "00"'],
    ['id2label a number as name', { id2label: { 0: 'a', 1: 7 } }, 'field "id2label.1": expected a string but received 7 of type number'],
    [
      'label2id missing a label',
      { ...LABELS2, label2id: { a: 0 } },
      'field "label2id": expected an object mapping 2 label names onto the ids 0 to 1, one each, but received {"a":0}',
    ],
    [
      'label2id with an id twice',
      { ...LABELS2, label2id: { a: 0, b: 0 } },
      'field "label2id": expected an object mapping 2 label names onto the ids 0 to 1, one each, but received {"a":0,"b":0}',
    ],
    [
      'label2id with string ids',
      { ...LABELS2, label2id: { a: '0', b: '1' } },
      'field "label2id": expected an object mapping 2 label names onto the ids 0 to 1, one each, but received {"a":"0","b":"1"}',
    ],
    [
      'label2id an array',
      { ...LABELS2, label2id: ['a', 'b'] },
      'field "label2id": expected an object mapping 2 label names onto the ids 0 to 1, one each, but received an array of length 2',
    ],
    ['problem_type foo', { problem_type: 'foo' }, `field "problem_type": expected null or one of ${PROBLEMS} but received "foo" of type string`],
    [
      'single_label_classification with one label',
      { num_labels: 1, problem_type: 'single_label_classification' },
      'field "problem_type": "single_label_classification" requires num_labels > 1 but num_labels is 1; use "regression" for a single-output head',
    ],
    ['pad_token_id -1', { pad_token_id: -1 }, 'field "pad_token_id": expected null or a non-negative integer but received -1 of type number'],
    [
      'pad_token_id outside the vocabulary',
      { vocab_size: 100, pad_token_id: 100 },
      'fields "pad_token_id" and "vocab_size": pad_token_id (100) must be a token id below vocab_size (100)',
    ],
    ['bos_token_id "2"', { bos_token_id: '2' }, 'field "bos_token_id": expected null or an integer but received "2" of type string'],
    ['eos_token_id [1, "2"]', { eos_token_id: [1, '2'] }, 'field "eos_token_id": expected null, an integer or an array of integers but received an array of length 2'],
    ['tie_word_embeddings 1', { tie_word_embeddings: 1 }, 'field "tie_word_embeddings": expected a boolean but received 1 of type number'],
    ['architectures a string', { architectures: 'AlbertModel' }, 'field "architectures": expected null or an array of strings but received "AlbertModel" of type string'],
    ['dtype 32', { dtype: 32 }, 'field "dtype": expected null or a string but received 32 of type number'],
    ['torch_dtype 16', { torch_dtype: 16 }, 'field "torch_dtype": expected null or a string but received 16 of type number'],
  ];

  test.each(cases)('%s', (_name, json, message) => {
    const error = thrown(() => parseAlbertConfig(json, 'config.json'));
    expect(error.code).toBe('ERR_CONFIG');
    expect(error.message).toBe(`config.json: ${message}`);
  });

  test('albertConfig validates its overrides with the source "config"', () => {
    const error = thrown(() => albertConfig({ hidden_size: -1 }));
    expect(error.code).toBe('ERR_CONFIG');
    expect(error.message).toBe('config: field "hidden_size": expected a positive integer but received -1 of type number');
  });

  test.each([
    ['a missing colon', '{\n  "hidden_size": 768,\n  "vocab_size" 30000\n}\n', '3:16'],
    ['a trailing comma', '{\n  "hidden_size": 768,\n}\n', '3:1'],
    ['a cut-off file', '{\n  "hidden_size": 7', '2:19'],
    ['NaN', '{"layer_norm_eps": NaN}', '1:20'],
    ['an empty file', '', '1:1'],
  ])('malformed JSON (%s): ERR_CONFIG at file:line:column', async (_name, text, where) => {
    const file = path.join(tmp, `malformed-${where.replace(':', '-')}.json`);
    fs.writeFileSync(file, text);
    const error = await rejected(readAlbertConfig(file));
    expect(error.code).toBe('ERR_CONFIG');
    expect(error.message.startsWith(`${file}:${where}: malformed JSON (`)).toBe(true);
  });

  test('a bad field in a file names the file', async () => {
    const file = path.join(tmp, 'bad-field.json');
    fs.writeFileSync(file, '{"hidden_size": -1}');
    const error = await rejected(readAlbertConfig(file));
    expect(error.message).toBe(`${file}: field "hidden_size": expected a positive integer but received -1 of type number`);
  });

  test('a missing file is ERR_IO naming it', async () => {
    const file = path.join(tmp, 'no-such-dir', 'config.json');
    const error = await rejected(readAlbertConfig(file));
    expect(error.code).toBe('ERR_IO');
    expect(error.message.startsWith(`${file}: cannot read the config: ENOENT`)).toBe(true);
  });
});
