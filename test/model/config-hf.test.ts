// ts/model/config.ts against HF transformers' AlbertConfig itself: defaults, label semantics, and
// config.json both ways (ours loaded by HF, HF's loaded by ours), all from one reference run; and
// toNativeConfig. Bad configs (no reference needed): config-errors.test.ts.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { rejected } from '../helpers/expect-error';
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
