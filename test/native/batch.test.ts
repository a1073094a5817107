// Batch errors: each bad batch is one ERR_INPUT / ERR_ARGUMENT with a precise message (field,
// row, column, value), thrown by the TS validation before any native call; the native core
// re-checks what would crash it when called directly. A rejected batch leaves the model usable.
import { AlbertForSequenceClassification } from '../../ts/model/albert';
import type { Batch } from '../../ts/model/batch';
import { TrainingSession } from '../../ts/training-session';
import { tinyModel } from '../helpers/tiny-model';
import { randomBatch } from '../helpers/batches';
import { removeTempDirs } from '../helpers/temp-dirs';
import { caught, expectError } from '../helpers/expect-error';

const B = 2;
const T = 8;

let model: AlbertForSequenceClassification;
let trainer: TrainingSession;
/** Calls of each native method reached through the TS API (own-property wrappers: N-API methods are read-only). */
const calls: Record<string, number> = {};

function countCalls(object: object, method: string): void {
  const original = (object as Record<string, (...args: unknown[]) => unknown>)[method];
  calls[method] = 0;
  Object.defineProperty(object, method, {
    value(this: unknown, ...args: unknown[]) {
      calls[method]++;
      return original.apply(this, args);
    },
  });
}

beforeAll(() => {
  model = tinyModel(); // V 64, type_vocab_size 2, max_position_embeddings 32, 2 labels
  trainer = new TrainingSession(model);
  const trainerNative = (trainer as unknown as { native: object }).native;
  countCalls(model.native, 'forward');
  for (const method of ['step', 'evalStep', 'computeGradients']) countCalls(trainerNative, method);
});
afterAll(() => {
  trainer.dispose();
  model.dispose();
  removeTempDirs();
});
beforeEach(() => {
  for (const method of Object.keys(calls)) calls[method] = 0;
});

/** A valid B x T batch with labels, then `change` applied to it. */
function batchWith(change: (batch: Batch) => void = () => undefined): Batch {
  const batch = randomBatch({ batchSize: B, seqLen: T });
  change(batch);
  return batch;
}

function noNativeCall(): void {
  expect(calls).toEqual({ forward: 0, step: 0, evalStep: 0, computeGradients: 0 });
}

const bad: [string, (batch: Batch) => void, string, string][] = [
  ['a token id >= vocab_size', (b) => void (b.inputIds[1 * T + 3] = 64), 'ERR_INPUT', 'inputIds[1][3] is 64, outside [0, 64) (the model\'s vocab_size)'],
  ['a negative token id', (b) => void (b.inputIds[0] = -1), 'ERR_INPUT', 'inputIds[0][0] is -1, outside [0, 64) (the model\'s vocab_size)'],
  ['a token type >= type_vocab_size', (b) => void (b.tokenTypeIds![1 * T + 5] = 2), 'ERR_INPUT', 'tokenTypeIds[1][5] is 2, outside [0, 2) (the model\'s type_vocab_size)'],
  ['a mask value 2', (b) => void (b.attentionMask[2] = 2), 'ERR_INPUT', 'attentionMask[0][2] is 2, outside [0, 2) (the model\'s mask values 0 and 1)'],
  ['a mask value -1', (b) => void (b.attentionMask[T + 7] = -1), 'ERR_INPUT', 'attentionMask[1][7] is -1, outside [0, 2) (the model\'s mask values 0 and 1)'],
  ['an all-zero mask row', (b) => void b.attentionMask.fill(0, T, 2 * T), 'ERR_INPUT', 'attentionMask row 1 has no token (all zeros)'],
  [
    'seqLen > max_position_embeddings',
    (b) => Object.assign(b, { seqLen: 33, inputIds: new Int32Array(B * 33).fill(1), attentionMask: new Int32Array(B * 33).fill(1), tokenTypeIds: undefined }),
    'ERR_INPUT',
    'seqLen 33 exceeds the model\'s max_position_embeddings (32)',
  ],
  ['Float32Array ids', (b) => void (b.inputIds = new Float32Array(B * T) as never), 'ERR_ARGUMENT', 'Expected Int32Array for inputIds but received a Float32Array of length 16'],
  ['plain array ids', (b) => void (b.inputIds = Array.from(b.inputIds) as never), 'ERR_ARGUMENT', 'Expected Int32Array for inputIds but received an array of length 16'],
  ['BigInt64Array ids', (b) => void (b.inputIds = new BigInt64Array(B * T) as never), 'ERR_ARGUMENT', 'Expected Int32Array for inputIds but received a BigInt64Array of length 16'],
  ['a Uint32Array mask', (b) => void (b.attentionMask = new Uint32Array(B * T).fill(1) as never), 'ERR_ARGUMENT', 'Expected Int32Array for attentionMask but received a Uint32Array of length 16'],
  ['a missing mask', (b) => void (b.attentionMask = undefined as never), 'ERR_ARGUMENT', 'Expected Int32Array for attentionMask but received undefined'],
  ['plain array token types', (b) => void (b.tokenTypeIds = [0, 1] as never), 'ERR_ARGUMENT', 'Expected Int32Array for tokenTypeIds but received an array of length 2'],
  ['ids one short', (b) => void (b.inputIds = b.inputIds.subarray(1)), 'ERR_INPUT', 'inputIds has 15 elements but batchSize x seqLen is 16'],
  ['a mask one long', (b) => void (b.attentionMask = new Int32Array(B * T + 1).fill(1)), 'ERR_INPUT', 'attentionMask has 17 elements but batchSize x seqLen is 16'],
  ['token types of another shape', (b) => void (b.tokenTypeIds = new Int32Array(4)), 'ERR_INPUT', 'tokenTypeIds has 4 elements but batchSize x seqLen is 16'],
  ['batchSize 0', (b) => void (b.batchSize = 0), 'ERR_ARGUMENT', 'Expected positive integer for batchSize but received 0 of type number'],
  ['a non-integer batchSize', (b) => void (b.batchSize = 1.5), 'ERR_ARGUMENT', 'Expected positive integer for batchSize but received 1.5 of type number'],
  ['a string batchSize', (b) => void (b.batchSize = '2' as never), 'ERR_ARGUMENT', 'Expected positive integer for batchSize but received "2" of type string'],
  ['an infinite batchSize', (b) => void (b.batchSize = Infinity), 'ERR_ARGUMENT', 'Expected positive integer for batchSize but received Infinity of type number'],
  ['a NaN seqLen', (b) => void (b.seqLen = NaN), 'ERR_ARGUMENT', 'Expected positive integer for seqLen but received NaN of type number'],
  ['a missing seqLen', (b) => void (b.seqLen = undefined as never), 'ERR_ARGUMENT', 'Expected positive integer for seqLen but received undefined'],
  ['a label out of range', (b) => void (b.labels = new Int32Array([0, 2])), 'ERR_INPUT', 'labels[1] is 2, outside [0, 2) (num_labels; -100 marks an ignored row)'],
  ['a negative label other than -100', (b) => void (b.labels = new Int32Array([-1, 0])), 'ERR_INPUT', 'labels[0] is -1, outside [0, 2) (num_labels; -100 marks an ignored row)'],
  ['Float32Array labels for single-label', (b) => void (b.labels = new Float32Array([0, 1])), 'ERR_ARGUMENT', 'Expected Int32Array of class ids for labels but received a Float32Array of length 2'],
  ['too many labels', (b) => void (b.labels = new Int32Array([0, 1, 1])), 'ERR_INPUT', 'labels has 3 elements but batchSize is 2'],
];

describe('model.forward', () => {
  test.each(bad)('%s', async (_, change, code, message) => {
    await expectError(() => model.forward(batchWith(change)), code, message);
    noNativeCall();
  });

  test.each([
    ['null', null, 'Expected a batch object for batch but received null'],
    ['a number', 3, 'Expected a batch object for batch but received 3 of type number'],
  ])('a batch that is %s', async (_, batch, message) => {
    await expectError(() => model.forward(batch as never), 'ERR_ARGUMENT', message);
    noNativeCall();
  });

  test('a bad amp option', async () => {
    await expectError(() => model.forward(batchWith(), { amp: 'fp8' as never }), 'ERR_ARGUMENT', 'Expected \'off\', \'bf16\' or \'fp16\' for amp but received "fp8" of type string');
    noNativeCall();
  });

  test('after every rejected batch the model still runs, and -100 labels are accepted', async () => {
    const result = await model.forward(batchWith((b) => void (b.labels = new Int32Array([-100, 1]))));
    expect(result.logits).toHaveLength(B * 2);
    expect(Number.isFinite(result.loss)).toBe(true);
    expect(calls.forward).toBe(1);
  });

  test('an Int32Array view with a byte offset reads the right elements', async () => {
    const batch = batchWith();
    const shifted = new Int32Array(B * T + 3);
    shifted.set(batch.inputIds, 3);
    const view = { ...batch, inputIds: shifted.subarray(3) };
    expect(Array.from((await model.forward(view)).logits)).toEqual(Array.from((await model.forward(batch)).logits));
  });
});

describe('trainer.step, evalStep and computeGradients', () => {
  test.each(bad)('step: %s', async (_, change, code, message) => {
    await expectError(() => trainer.step(batchWith(change), 1e-3), code, message);
    noNativeCall();
  });

  test('step without labels', async () => {
    await expectError(() => trainer.step(batchWith((b) => void (b.labels = undefined)), 1e-3), 'ERR_INPUT', 'a training batch needs labels');
    await expectError(() => trainer.computeGradients(batchWith((b) => void (b.labels = undefined))), 'ERR_INPUT', 'a training batch needs labels');
    noNativeCall();
    expect(trainer.stepCount).toBe(0);
  });

  test.each([
    [-1, 'Expected non-negative number for lr but received -1 of type number'],
    [NaN, 'Expected non-negative number for lr but received NaN of type number'],
    ['0.1', 'Expected non-negative number for lr but received "0.1" of type string'],
  ])('a learning rate of %p', async (lr, message) => {
    await expectError(() => trainer.step(batchWith(), lr as never), 'ERR_ARGUMENT', message);
    noNativeCall();
  });

  test('evalStep and computeGradients validate the same way', async () => {
    await expectError(() => trainer.evalStep(batchWith((b) => void (b.inputIds[5] = 99))), 'ERR_INPUT', 'inputIds[0][5] is 99, outside [0, 64) (the model\'s vocab_size)');
    await expectError(() => trainer.computeGradients(batchWith((b) => void (b.attentionMask.fill(0, 0, T)))), 'ERR_INPUT', 'attentionMask row 0 has no token (all zeros)');
    noNativeCall();
  });

  test('no step was taken by any rejected batch', async () => {
    expect(trainer.stepCount).toBe(0);
    await trainer.step(batchWith(), 1e-3);
    expect(trainer.stepCount).toBe(1);
  });
});

describe('labels for the other problem types', () => {
  test('regression (num_labels 1) takes Float32Array targets, one per row', async () => {
    const regression = tinyModel({ num_labels: 1 });
    const error = await caught(() => regression.forward(batchWith()));
    expect(error.code).toBe('ERR_ARGUMENT');
    expect(error.message).toMatch(/^Expected Float32Array of targets for regression for labels but received an? Int32Array of length 2$/);
    await expectError(() => regression.forward(batchWith((b) => void (b.labels = new Float32Array(3)))), 'ERR_INPUT', 'labels has 3 elements but regression needs 2');
    const ok = await regression.forward(batchWith((b) => void (b.labels = new Float32Array([0.5, -1]))));
    expect(Number.isFinite(ok.loss)).toBe(true);
    regression.dispose();
  });

  test('a typed array is described with the right article: "an Int32Array"', async () => {
    const regression = tinyModel({ num_labels: 1 });
    await expectError(
      () => regression.forward(batchWith()),
      'ERR_ARGUMENT',
      'Expected Float32Array of targets for regression for labels but received an Int32Array of length 2',
    );
    regression.dispose();
  });

  test('multi-label takes B x num_labels Float32Array targets', async () => {
    const multi = tinyModel({ num_labels: 3, problem_type: 'multi_label_classification' });
    await expectError(() => multi.forward(batchWith((b) => void (b.labels = new Float32Array(3)))), 'ERR_INPUT', 'labels has 3 elements but multi_label_classification needs 6');
    const ok = await multi.forward(batchWith((b) => void (b.labels = new Float32Array([1, 0, 1, 0, 0, 1]))));
    expect(Number.isFinite(ok.loss)).toBe(true);
    multi.dispose();
  });
});

describe('other bad arguments are ERR_ARGUMENT naming the option', () => {
  test.each([
    [{ optimizer: { betas: [1, 0.9] } }, 'Expected number in [0, 1) for optimizer.betas[0] but received 1 of type number'],
    [{ optimizer: { betas: [0.9] } }, 'Expected two numbers in [0, 1) for optimizer.betas but received an array of length 1'],
    [{ optimizer: { eps: 0 } }, 'Expected positive number for optimizer.eps but received 0 of type number'],
    [{ optimizer: { weightDecay: -0.1 } }, 'Expected non-negative number for optimizer.weightDecay but received -0.1 of type number'],
    [{ maxGradNorm: NaN }, 'Expected non-negative number for maxGradNorm but received NaN of type number'],
    [{ amp: 'bf32' }, 'Expected \'off\', \'bf16\' or \'fp16\' for amp but received "bf32" of type string'],
  ])('Trainer options %p', (options, message) => {
    expect(() => new TrainingSession(model, options as never)).toThrow(message);
  });

  test('a Trainer of something that is not a model', () => {
    expect(() => new TrainingSession({} as never)).toThrow('Expected an AlbertForSequenceClassification for model but received a value of type object');
  });

  test('getParameter of a non-string, fromPretrained of an empty path', async () => {
    await expectError(() => model.getParameter(42 as never), 'ERR_ARGUMENT', 'Expected a parameter name for name but received 42 of type number');
    await expectError(() => AlbertForSequenceClassification.fromPretrained(''), 'ERR_ARGUMENT', 'Expected a directory path for dir but received "" of type string');
  });
});

describe('the native core, called directly (bypassing TS), re-checks and never crashes', () => {
  const direct = (batch: Batch) => model.native.forward(batch as never, { amp: 'off' });

  test.each([
    ['a token id >= vocab_size', (b: Batch) => void (b.inputIds[1 * T + 3] = 64), 'inputIds holds 64 at row 1, column 3; it must be in [0, 64) (vocab_size)'],
    ['a negative token type', (b: Batch) => void (b.tokenTypeIds![2] = -7), 'tokenTypeIds holds -7 at row 0, column 2; it must be in [0, 2) (type_vocab_size)'],
    ['a mask value 2', (b: Batch) => void (b.attentionMask[T + 1] = 2), 'attentionMask must hold only 0 and 1; see row 1, column 1'],
    ['an all-zero mask row', (b: Batch) => void b.attentionMask.fill(0, 0, T), 'attentionMask row 0 has no token (all zeros)'],
    ['ids one short', (b: Batch) => void (b.inputIds = b.inputIds.subarray(1)), 'inputIds has 15 elements; batchSize x seqLen = 16'],
    ['batchSize 0', (b: Batch) => void (b.batchSize = 0), 'batchSize and seqLen must be positive integers'],
    ['an infinite batchSize', (b: Batch) => void (b.batchSize = Infinity), 'batchSize and seqLen must be positive integers'],
    ['a label out of range', (b: Batch) => void (b.labels = new Int32Array([0, 5])), 'labels row 1 holds 5; it must be in [0, 2) or -100 (ignored)'],
    [
      'seqLen > max_position_embeddings',
      (b: Batch) => Object.assign(b, { seqLen: 40, inputIds: new Int32Array(B * 40).fill(1), attentionMask: new Int32Array(B * 40).fill(1), tokenTypeIds: undefined }),
      'seqLen 40 exceeds the model\'s max_position_embeddings (32)',
    ],
  ])('%s is ERR_INPUT', async (_, change, message) => {
    await expectError(() => direct(batchWith(change)), 'ERR_INPUT', message);
  });

  test('values of the wrong JS type are ERR_ARGUMENT naming the field (test/native/binding-arguments.test.ts has the rest)', async () => {
    await expectError(() => direct(batchWith((b) => void (b.inputIds = new Float32Array(B * T) as never))), 'ERR_ARGUMENT',
      `Expected an Int32Array for batch.inputIds but received a Float32Array of length ${B * T}`);
    await expectError(() => direct(batchWith((b) => void (b.seqLen = '8' as never))), 'ERR_ARGUMENT', 'Expected a number for batch.seqLen but received "8" of type string');
  });

  test('a batchSize whose B x T overflows int64 is an error, not a read past the array', async () => {
    const error = await caught(() => direct({ inputIds: new Int32Array(0), attentionMask: new Int32Array(0), batchSize: 2 ** 62, seqLen: 16 }));
    expect(['ERR_INPUT', 'ERR_TORCH']).toContain(error.code);
  });

  test('the model is still usable after all of that', async () => {
    expect((await model.forward(batchWith())).logits).toHaveLength(B * 2);
  });
});
