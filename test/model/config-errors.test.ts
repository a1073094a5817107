// ts/model/config.ts's bad configs: ERR_CONFIG naming the source and the field (and file:line:column
// for malformed JSON), ERR_IO for a file that cannot be read. Against HF's AlbertConfig: config-hf.test.ts.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { rejected } from '../helpers/expect-error';
import { AlbertTrainerError } from '../../ts/errors';
import { albertConfig, parseAlbertConfig, readAlbertConfig } from '../../ts/model/config';

let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-config-test-'));
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

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
