// Config errors through the model API (fromPretrained's config.json, fromConfig's object): each
// one ERR_CONFIG naming the file (with line:column for malformed JSON) and the field; a missing
// field takes HF's default all the way into the native model. The native core re-checks what
// would crash it, so a config that slips past TS is still an error, not a crash.
import * as fs from 'fs';
import * as path from 'path';
import { AlbertForSequenceClassification } from '../../ts/model/albert';
import { albertConfig, toNativeConfig } from '../../ts/model/config';
import { native } from '../../ts/native';
import { TINY, tinyConfig } from '../helpers/tiny-model';
import { removeTempDirs, tempDir } from '../helpers/temp-dirs';
import { modelEntries, writeModelDir } from '../helpers/safetensors';
import { expectError, expectThrowSync, re } from '../helpers/expect-error';

afterAll(removeTempDirs);

const ACTS = '"gelu_new", "gelu", "relu", "gelu_python", "gelu_pytorch_tanh", "silu", "swish", "tanh"';

/** A folder whose config.json holds `text` and whose model.safetensors is a valid tiny model. */
async function dirWithConfig(text: string): Promise<{ dir: string; file: string }> {
  const model = AlbertForSequenceClassification.fromConfig(tinyConfig());
  const { dir } = await writeModelDir(model, modelEntries(model), 'config');
  model.dispose();
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, text);
  return { dir, file };
}

const json = (fields: Record<string, unknown>) => JSON.stringify({ model_type: 'albert', ...TINY, ...fields }, null, 2);

describe('config.json read by fromPretrained', () => {
  test('malformed JSON names the file, line and column', async () => {
    const text = '{\n  "vocab_size": 64,\n  "hidden_size": 16\n  "num_attention_heads": 2\n}\n';
    const { dir, file } = await dirWithConfig(text);
    await expectError(() => AlbertForSequenceClassification.fromPretrained(dir), 'ERR_CONFIG', new RegExp(`^${re(file)}:4:3: malformed JSON \\(.+\\)$`));
  });

  test('JSON that ends early points past the last character', async () => {
    const { dir, file } = await dirWithConfig('{\n  "vocab_size": 64,\n');
    await expectError(() => AlbertForSequenceClassification.fromPretrained(dir), 'ERR_CONFIG', new RegExp(`^${re(file)}:3:1: malformed JSON`));
  });

  test.each([
    ['a field of the wrong type', { hidden_size: '16' }, 'field "hidden_size": expected a positive integer but received "16" of type string'],
    ['a negative size', { intermediate_size: -32 }, 'field "intermediate_size": expected a positive integer but received -32 of type number'],
    ['a fractional size', { num_hidden_layers: 1.5 }, 'field "num_hidden_layers": expected a positive integer but received 1.5 of type number'],
    ['dropout 1.0', { hidden_dropout_prob: 1.0 }, 'field "hidden_dropout_prob": expected a number in [0, 1) but received 1 of type number'],
    ['a negative classifier dropout', { classifier_dropout_prob: -0.1 }, 'field "classifier_dropout_prob": expected a number in [0, 1) but received -0.1 of type number'],
    ['an unknown hidden_act', { hidden_act: 'gelu_fast' }, `field "hidden_act": expected one of ${ACTS} but received "gelu_fast" of type string`],
    ['layer_norm_eps 0', { layer_norm_eps: 0 }, 'field "layer_norm_eps": expected a finite number > 0 but received 0 of type number'],
    [
      'hidden_size not divisible by num_attention_heads',
      { hidden_size: 16, num_attention_heads: 3 },
      'fields "hidden_size" and "num_attention_heads": hidden_size (16) must be a multiple of num_attention_heads (3)',
    ],
    [
      'more groups than layers',
      { num_hidden_layers: 1, num_hidden_groups: 2 },
      'fields "num_hidden_groups" and "num_hidden_layers": num_hidden_groups (2) must not exceed num_hidden_layers (1); the extra groups would never be used',
    ],
    ['pad_token_id outside the vocabulary', { pad_token_id: 64 }, 'fields "pad_token_id" and "vocab_size": pad_token_id (64) must be a token id below vocab_size (64)'],
    ['another model type', { model_type: 'bert' }, 'field "model_type": expected "albert" but received "bert" of type string: this config is for another model'],
  ])('%s is ERR_CONFIG naming the file and field', async (_, fields, message) => {
    const { dir, file } = await dirWithConfig(json(fields));
    await expectError(() => AlbertForSequenceClassification.fromPretrained(dir), 'ERR_CONFIG', `${file}: ${message}`);
  });

  test('a config that is not an object', async () => {
    const { dir, file } = await dirWithConfig('[]');
    await expectError(
      () => AlbertForSequenceClassification.fromPretrained(dir),
      'ERR_CONFIG',
      `${file}: expected a JSON object of config fields but received an array of length 0`,
    );
  });

  test('no config.json is ERR_IO naming the file', async () => {
    const dir = tempDir('noconfig');
    const file = path.join(dir, 'config.json');
    await expectError(() => AlbertForSequenceClassification.fromPretrained(dir), 'ERR_IO', new RegExp(`^${re(file)}: cannot read the config: ENOENT`));
  });

  test('a missing field takes HF\'s default, down to the native parameter shapes', async () => {
    const defaults = albertConfig();
    // max_position_embeddings and layer_norm_eps absent: 512 and 1e-12, as AlbertConfig() has them.
    const model = AlbertForSequenceClassification.fromConfig({ ...tinyConfig(), max_position_embeddings: defaults.max_position_embeddings });
    const { dir } = await writeModelDir(model, modelEntries(model), 'defaults');
    const { max_position_embeddings: _m, ...fields } = { model_type: 'albert', ...TINY };
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(fields));
    const loaded = await AlbertForSequenceClassification.fromPretrained(dir);
    expect(loaded.config.max_position_embeddings).toBe(512);
    expect(defaults.max_position_embeddings).toBe(512);
    expect(loaded.config.layer_norm_eps).toBe(defaults.layer_norm_eps);
    expect(loaded.config.type_vocab_size).toBe(defaults.type_vocab_size);
    const positions = loaded.parameters().find((p) => p.name === 'albert.embeddings.position_embeddings.weight');
    expect(positions?.shape).toEqual([512, TINY.embedding_size]);
    loaded.dispose();
    model.dispose();
  });
});

describe('fromConfig', () => {
  test.each([
    ['an unknown hidden_act', { hidden_act: 'bogus' }, `config: field "hidden_act": expected one of ${ACTS} but received "bogus" of type string`],
    ['a string size', { vocab_size: '64' }, 'config: field "vocab_size": expected a positive integer but received "64" of type string'],
    ['attention dropout 1', { attention_probs_dropout_prob: 1 }, 'config: field "attention_probs_dropout_prob": expected a number in [0, 1) but received 1 of type number'],
    ['heads not dividing hidden_size', { num_attention_heads: 5 }, 'config: fields "hidden_size" and "num_attention_heads": hidden_size (16) must be a multiple of num_attention_heads (5)'],
  ])('%s throws ERR_CONFIG synchronously', (_, fields, message) => {
    expectThrowSync(() => AlbertForSequenceClassification.fromConfig({ ...tinyConfig(), ...fields } as never), 'ERR_CONFIG', message);
  });

  test.each([
    ['seed', { seed: -1 }, 'Expected non-negative integer for seed but received -1 of type number'],
    ['seed', { seed: 1.5 }, 'Expected non-negative integer for seed but received 1.5 of type number'],
    ['device', { device: 'tpu' }, 'Expected \'cpu\' or \'cuda\' for device but received "tpu" of type string'],
    ['dtype', { dtype: 'float16' }, 'Expected \'float32\' (AMP is chosen per call with `amp`) for dtype but received "float16" of type string'],
  ])('a bad %s option is ERR_ARGUMENT', (_, options, message) => {
    expectThrowSync(() => AlbertForSequenceClassification.fromConfig(tinyConfig(), options as never), 'ERR_ARGUMENT', message);
  });

  test('a missing field takes HF\'s default', () => {
    const { initializer_range: _, ...rest } = tinyConfig();
    const model = AlbertForSequenceClassification.fromConfig(rest);
    expect(model.config.initializer_range).toBe(albertConfig().initializer_range);
    expect(model.config.num_labels).toBe(2);
    model.dispose();
  });
});

describe('the native core re-checks a config that bypasses TS', () => {
  const base = toNativeConfig(albertConfig(tinyConfig()));
  test.each([
    [{ numAttentionHeads: 3 }, 'config field "hidden_size" (16) must be divisible by "num_attention_heads" (3)'],
    [{ hiddenAct: 'bogus' }, /bogus/],
    [{ vocabSize: 0 }, 'config field "vocab_size" must be a positive integer, got 0'],
    [{ hiddenDropoutProb: 1 }, /config field "hidden_dropout_prob" must be in \[0, 1\), got 1/],
    [{ padTokenId: 64 }, 'config field "pad_token_id" (64) must be below vocab_size'],
  ])('%p is ERR_CONFIG, not a crash', (fields, message) => {
    const { Model } = native();
    expectThrowSync(() => new Model({ ...base, ...fields } as never, { seed: 0, device: 'cpu' }), 'ERR_CONFIG', message);
  });
});
