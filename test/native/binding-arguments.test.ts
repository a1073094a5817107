// The addon called directly with JS values of the wrong type (as a caller bypassing ts/ would):
// each call is one AlbertTrainerError with code ERR_ARGUMENT naming the argument and what it
// received, in ts/errors.ts's wording; never a crash, an uncoded TypeError or a value read as
// another type. Integers that C++ would cast (seeds, ranks, intervals) are range-checked first.
import { AlbertTrainerError } from '../../ts/errors';
import { type NativeTrainerOptions, callNative, native } from '../../ts/native';
import type { AlbertForSequenceClassification } from '../../ts/model/albert';
import { toNativeConfig, albertConfig } from '../../ts/model/config';
import { tinyConfig, tinyModel } from '../helpers/tiny-model';
import { randomBatch } from '../helpers/batches';

let model: AlbertForSequenceClassification;
const batch = randomBatch({ batchSize: 2, seqLen: 8 });
const trainerOptions: NativeTrainerOptions = {
  beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1, amp: 'off',
  lossScale: { init: 1, growthFactor: 2, backoffFactor: 0.5, growthInterval: 1 },
};
const floats = new Float32Array([1, 2, 3, 4]);
const index = new Int32Array([1, 0]);

beforeAll(() => {
  model = tinyModel();
});

afterAll(() => model.dispose());

/** What `call` fails with through ts/native.ts's wrapper (as every ts/ caller uses it): `CODE: message`. */
async function failure(call: () => unknown): Promise<string> {
  try {
    await callNative(async () => call());
  } catch (error) {
    if (error instanceof AlbertTrainerError) return `${error.code}: ${error.message}`;
    return `not an AlbertTrainerError: ${String(error)}`;
  }
  return 'no error: the call succeeded';
}

type Case = [string, () => unknown, string];

const cases = (): Case[] => {
  const { Model, Trainer, ProcessGroup, kernels } = native();
  const config = toNativeConfig(albertConfig(tinyConfig()));
  const trainer = () => new Trainer(model.native, trainerOptions as never);
  return [
    // Model
    ['a config that is not an object', () => new Model('albert' as never, { seed: 1, device: 'cpu' }), 'Expected an object for config but received "albert" of type string'],
    ['a config field of the wrong type', () => new Model({ ...config, vocabSize: '64' } as never, { seed: 1, device: 'cpu' }), 'Expected a number for config.vocabSize but received "64" of type string'],
    ['Model options that are not an object', () => new Model(config, 'cpu' as never), 'Expected an object for options but received "cpu" of type string'],
    ['a negative seed', () => new Model(config, { seed: -1, device: 'cpu' }), 'Expected an integer in [0, 2^64) for options.seed but received -1 of type number'],
    ['a NaN seed', () => new Model(config, { seed: NaN, device: 'cpu' }), 'Expected an integer in [0, 2^64) for options.seed but received NaN of type number'],
    ['a device that is not a string', () => new Model(config, { seed: 1, device: 0 as never }), 'Expected a string for options.device but received 0 of type number'],
    ['saveWeights of a number', () => model.native.saveWeights(42 as never, {}), 'Expected a string for saveWeights(file) but received 42 of type number'],
    ['saveWeights metadata that is a string', () => model.native.saveWeights('/nonexistent/x', 'meta' as never), 'Expected an object for saveWeights(metadata) but received "meta" of type string'],
    ['saveWeights metadata with a number', () => model.native.saveWeights('/nonexistent/x', { a: 1 } as never), 'Expected a string for saveWeights(metadata).a but received 1 of type number'],
    ['loadWeights of a number', () => model.native.loadWeights(7 as never), 'Expected a string for loadWeights(file) but received 7 of type number'],
    ['forward of a string', () => model.native.forward('batch' as never, { amp: 'off' }), 'Expected an object for batch but received "batch" of type string'],
    ['forward options that are a string', () => model.native.forward(batch, 'off' as never), 'Expected an object for forward(options) but received "off" of type string'],
    ['an amp that is not a string', () => model.native.forward(batch, { amp: 1 as never }), 'Expected a string for amp but received 1 of type number'],
    ['Float32Array ids', () => model.native.forward({ ...batch, inputIds: new Float32Array(16) as never }, { amp: 'off' }), 'Expected an Int32Array for batch.inputIds but received a Float32Array of length 16'],
    ['labels as a plain array', () => model.native.forward({ ...batch, labels: [0, 1] as never }, { amp: 'off' }), 'Expected an Int32Array or a Float32Array for batch.labels but received an array of length 2'],
    ['a batchSize of type string', () => model.native.forward({ ...batch, batchSize: '2' as never }, { amp: 'off' }), 'Expected a number for batch.batchSize but received "2" of type string'],
    ['getParameter of a number', () => model.native.getParameter(3 as never), 'Expected a string for getParameter(name) but received 3 of type number'],
    // Trainer
    ['a Trainer of a plain object', () => new Trainer({} as never, trainerOptions as never), 'Expected a Model for model but received a value of type object'],
    ['Trainer options that are a number', () => new Trainer(model.native, 5 as never), 'Expected an object for options but received 5 of type number'],
    ['a beta1 of type string', () => new Trainer(model.native, { ...trainerOptions, beta1: '0.9' } as never), 'Expected a number for options.beta1 but received "0.9" of type string'],
    ['lossScale that is a number', () => new Trainer(model.native, { ...trainerOptions, lossScale: 1 } as never), 'Expected an object for options.lossScale but received 1 of type number'],
    [
      'a NaN growthInterval',
      () => new Trainer(model.native, { ...trainerOptions, lossScale: { ...trainerOptions.lossScale, growthInterval: NaN } } as never),
      'Expected an integer in [1, 2^53] for options.lossScale.growthInterval but received NaN of type number',
    ],
    ['cudaGraphs of type string', () => new Trainer(model.native, { ...trainerOptions, cudaGraphs: 'yes' } as never), 'Expected a boolean for options.cudaGraphs but received "yes" of type string'],
    ['a step with a string lr', () => trainer().step(batch, '1e-3' as never), 'Expected a number for step(lr) but received "1e-3" of type string'],
    ['a step with a string stopRequested', () => trainer().step(batch, 1e-3, 'no' as never), 'Expected a boolean for step(stopRequested) but received "no" of type string'],
    ['saveState of a number', () => trainer().saveState(1 as never), 'Expected a string for saveState(file) but received 1 of type number'],
    ['loadState of null', () => trainer().loadState(null as never), 'Expected a string for loadState(file) but received null'],
    ['attachProcessGroup of an object', () => trainer().attachProcessGroup({} as never), 'Expected a ProcessGroup for attachProcessGroup(group) but received a value of type object'],
    // ProcessGroup (nothing here reaches a rendezvous)
    ['join options that are a string', () => new ProcessGroup().join('x' as never), 'Expected an object for options but received "x" of type string'],
    [
      'a NaN rank',
      () => new ProcessGroup().join({ rank: NaN, worldSize: 2, masterAddr: '127.0.0.1', masterPort: 1, timeoutMs: 1, backend: 'gloo', fingerprint: '' }),
      'Expected an integer in [0, 2^31) for options.rank but received NaN of type number',
    ],
    [
      'a masterPort out of range',
      () => new ProcessGroup().join({ rank: 0, worldSize: 2, masterAddr: '127.0.0.1', masterPort: 70000, timeoutMs: 1, backend: 'gloo', fingerprint: '' }),
      'Expected an integer in [1, 65535] for options.masterPort but received 70000 of type number',
    ],
    ['allreduce of a plain array', () => new ProcessGroup().allreduce([1, 2] as never, 'sum'), 'Expected a Float64Array for allreduce(values) but received an array of length 2'],
    ['allreduce with a numeric op', () => new ProcessGroup().allreduce(new Float64Array(2), 1 as never), 'Expected a string for allreduce(op) but received 1 of type number'],
    ['allgather of a string', () => new ProcessGroup().allgather('bytes' as never), 'Expected a Buffer for allgather(bytes) but received "bytes" of type string'],
    // Functions
    ['setNumThreads of a string', () => native().setNumThreads('2' as never), 'Expected an integer in [1, 2^31) for setNumThreads(n) but received "2" of type string'],
    ['setNumThreads of 1.5', () => native().setNumThreads(1.5), 'Expected an integer in [1, 2^31) for setNumThreads(n) but received 1.5 of type number'],
    ['manualSeed of NaN', () => native().manualSeed(NaN), 'Expected an integer in [0, 2^64) for manualSeed(seed) but received NaN of type number'],
    ['manualSeed of -1', () => native().manualSeed(-1), 'Expected an integer in [0, 2^64) for manualSeed(seed) but received -1 of type number'],
    ['setRngState of a string', () => native().setRngState('x' as never), 'Expected an object for setRngState(state) but received "x" of type string'],
    ['setRngState with a string cpu state', () => native().setRngState({ cpu: 'x', cuda: [] } as never), 'Expected a Buffer for state.cpu but received "x" of type string'],
    ['setRngState with cuda not an array', () => native().setRngState({ cpu: Buffer.alloc(1), cuda: 1 } as never), 'Expected an array for state.cuda but received 1 of type number'],
    // Kernels
    ['dropout of a plain array', () => kernels.dropout([1, 2] as never, 0.1, 1n), 'Expected a Float32Array for values but received an array of length 2'],
    ['dropout with a string p', () => kernels.dropout(floats, '0.1' as never, 1n), 'Expected a number for p but received "0.1" of type string'],
    ['dropout with a number seed', () => kernels.dropout(floats, 0.1, 1 as never), 'Expected a BigInt for seed but received 1 of type number'],
    ['dropout with a numeric dtype', () => kernels.dropout(floats, 0.1, 1n, 16 as never), 'Expected a string for dtype but received 16 of type number'],
    ['geluNew with a numeric impl', () => kernels.geluNew(floats, 1 as never), 'Expected a string for impl but received 1 of type number'],
    ['gatherRows with a string cols', () => kernels.gatherRows(floats, '2' as never, index), 'Expected a number for cols but received "2" of type string'],
    ['gatherRows with a plain index', () => kernels.gatherRows(floats, 2, [0] as never), 'Expected an Int32Array for index but received an array of length 1'],
    ['scatterRows with a string n', () => kernels.scatterRows(floats, 2, index, '3' as never), 'Expected a number for n but received "3" of type string'],
  ];
};

test('every wrong type is ERR_ARGUMENT naming the argument', async () => {
  const wrong: string[] = [];
  for (const [label, call, message] of cases()) {
    const got = await failure(call);
    if (got !== `ERR_ARGUMENT: ${message}`) wrong.push(`${label}\n    expected ERR_ARGUMENT: ${message}\n    got      ${got}`);
  }
  expect(wrong).toEqual([]);
});

test('the model still works after all of that', async () => {
  expect((await model.forward(batch)).logits).toHaveLength(4);
});

test('the trainer options carry no learning rate: each step runs at the one it is passed', async () => {
  // @ts-expect-error NativeTrainerOptions has no lr (the core never read the one it was given)
  const withLr: NativeTrainerOptions = { ...trainerOptions, lr: 1 };
  expect(withLr.beta1).toBe(0.9);
  const { Trainer } = native();
  const [still, moved] = [tinyModel({}, 5), tinyModel({}, 5)];
  const before = still.getParameter('classifier.weight');
  await new Trainer(still.native, trainerOptions).step(batch, 0);
  await new Trainer(moved.native, trainerOptions).step(batch, 1e-2);
  expect(still.getParameter('classifier.weight')).toEqual(before);
  expect(moved.getParameter('classifier.weight')).not.toEqual(before);
  for (const m of [still, moved]) m.dispose();
});

test('the ts/ wrappers check ranges before the addon casts: a seed of 1e20 or 2^31 threads is refused by name', () => {
  const { manualSeed } = jest.requireActual<typeof import('../../ts/random')>('../../ts/random');
  const { setNumThreads } = jest.requireActual<typeof import('../../ts/info')>('../../ts/info');
  const coded = (call: () => void): string => {
    try {
      call();
      return 'no error';
    } catch (error) {
      return `${(error as AlbertTrainerError).code}: ${(error as Error).message}`;
    }
  };
  expect(coded(() => manualSeed(1e20))).toBe('ERR_ARGUMENT: Expected non-negative integer below 2^53 for seed but received 100000000000000000000 of type number');
  expect(coded(() => setNumThreads(2 ** 31))).toBe('ERR_ARGUMENT: Expected positive integer below 2^31 for threads but received 2147483648 of type number');
  manualSeed(2 ** 53 - 1); // the largest accepted seed reaches the addon and is taken
});
