// ts/data/batching.ts: padding and masks, the seeded epoch order (against a Python port of its
// documented PRNG), group_by_length against HF transformers' own get_length_grouped_indices fed
// the same permutation, and the iterator's coverage, order and one-batch lookahead.
import * as path from 'path';
import {
  BatchIterator,
  BatchIteratorOptions,
  EpochBatch,
  TokenizedExample,
  epochOrder,
  lengthGroupedOrder,
  makeBatch,
} from '../../ts/data/batching';
import { readDataset } from '../../ts/data/dataset';
import { AlbertTrainerError, ErrorCode } from '../../ts/errors';
import { SHARED_DATA } from '../helpers/paths';
import { runReference } from '../helpers/python';
import { expectThrowSync } from '../helpers/expect-error';

/** Asserts a synchronous AlbertTrainerError with exactly this code and message. */
function expectError(run: () => unknown, code: ErrorCode, message: string): void {
  expect(expectThrowSync(run, code, message)).toBeInstanceOf(AlbertTrainerError);
}

/** Example i: length lengths[i], ids 100 * i + t, type ids 0 then 1 from the middle, label i % 3. */
function examplesOf(lengths: number[]): TokenizedExample[] {
  return lengths.map((length, i) => ({
    inputIds: Array.from({ length }, (_, t) => 100 * i + t + 1),
    tokenTypeIds: Array.from({ length }, (_, t) => (t >= length / 2 ? 1 : 0)),
    label: i % 3,
  }));
}

async function collect(iterator: BatchIterator): Promise<EpochBatch[]> {
  const out: EpochBatch[] = [];
  for await (const batch of iterator) out.push(batch);
  return out;
}

function isPermutation(order: readonly number[], n: number): boolean {
  return order.length === n && [...order].sort((a, b) => a - b).every((v, i) => v === i);
}

// ---------------------------------------------------------------------------------------------
// The reference run: HF's grouping over our permutations, and the Python port of the shuffle.

interface GroupedCase {
  lengths: number[];
  batch_size: number;
  permutation: number[];
  mega_batch_mult: number | null;
}
interface ShuffleCase {
  n: number;
  seed: number;
  epoch: number;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function groupedCases(): Record<string, GroupedCase> {
  const subj = readDataset(path.join(SHARED_DATA, 'subj', 'train.jsonl'));
  // word counts + [CLS]/[SEP]: a stand-in for token lengths with SUBJ's spread and many ties
  const subjLengths = subj.rows.map((row) => row.text.split(' ').length + 2);
  const random = lcg(7);
  const ties = Array.from({ length: 1000 }, () => 1 + Math.floor(random() * 5));
  const lastMax = Array.from({ length: 100 }, () => 10);
  const permLast = epochOrder(100, 5, 0, true);
  lastMax[permLast[97]] = 50;
  const twoMax = Array.from({ length: 200 }, () => 5 + Math.floor(random() * 20));
  const permTwo = epochOrder(200, 9, 0, true);
  twoMax[permTwo[110]] = 99; // megabatch 2 of 4 (50 each)
  twoMax[permTwo[160]] = 99; // megabatch 3: argmax takes the first
  return {
    'SUBJ, batch 16 (50 x 16 megabatches)': { lengths: subjLengths, batch_size: 16, permutation: epochOrder(8000, 42, 0, true), mega_batch_mult: null },
    'SUBJ, batch 16 x 2 accumulation, epoch 1': { lengths: subjLengths, batch_size: 32, permutation: epochOrder(8000, 42, 1, true), mega_batch_mult: null },
    'heavy ties, explicit megaBatchMult 3': { lengths: ties, batch_size: 8, permutation: epochOrder(1000, 3, 0, true), mega_batch_mult: 3 },
    'tiny: n < 4 x batch, multiplier 1': { lengths: [3, 9, 4, 4, 7, 1, 9, 2, 5, 6], batch_size: 4, permutation: epochOrder(10, 1, 0, true), mega_batch_mult: null },
    'the longest in the last megabatch': { lengths: lastMax, batch_size: 5, permutation: permLast, mega_batch_mult: null },
    'two longest in different megabatches': { lengths: twoMax, batch_size: 10, permutation: permTwo, mega_batch_mult: null },
    'identity permutation, a short last megabatch': {
      lengths: Array.from({ length: 1003 }, () => 1 + Math.floor(random() * 60)),
      batch_size: 16,
      permutation: epochOrder(1003, 0, 0, false),
      mega_batch_mult: null,
    },
    'one example': { lengths: [4], batch_size: 16, permutation: [0], mega_batch_mult: null },
  };
}

const SHUFFLES: ShuffleCase[] = [];
for (const n of [0, 1, 2, 10, 1000, 8000]) {
  for (const seed of [0, 42, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) {
    for (const epoch of [0, 1, 7, 2 ** 31]) SHUFFLES.push({ n, seed, epoch });
  }
}

let cases: Record<string, GroupedCase>;
let reference: { version: string; grouped: number[][]; shuffles: number[][] };
beforeAll(() => {
  cases = groupedCases();
  reference = runReference('batching_reference.py', [], { grouped: Object.values(cases), shuffles: SHUFFLES });
});

// ---------------------------------------------------------------------------------------------

describe('makeBatch', () => {
  test('pads right to the longest, mask 1 on tokens, type ids and labels carried, B x T row-major', () => {
    const examples = [
      { inputIds: [2, 10, 11, 3], tokenTypeIds: [0, 0, 0, 0], label: 1 },
      { inputIds: [2, 12, 3, 13, 14, 3], tokenTypeIds: [0, 0, 0, 1, 1, 1], label: 0 },
      { inputIds: Int32Array.from([2, 3]), tokenTypeIds: [0, 0], label: 2 },
    ];
    const batch = makeBatch(examples, 7);
    expect(batch.batchSize).toBe(3);
    expect(batch.seqLen).toBe(6);
    expect(batch.inputIds).toEqual(Int32Array.from([2, 10, 11, 3, 7, 7, 2, 12, 3, 13, 14, 3, 2, 3, 7, 7, 7, 7]));
    expect(batch.attentionMask).toEqual(Int32Array.from([1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]));
    expect(batch.tokenTypeIds).toEqual(Int32Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]));
    expect(batch.labels).toEqual(Int32Array.from([1, 0, 2]));
  });

  test('equal lengths: no padding at all', () => {
    const batch = makeBatch(examplesOf([5, 5]), 0);
    expect(batch.seqLen).toBe(5);
    expect(Array.from(batch.attentionMask).every((m) => m === 1)).toBe(true);
  });

  test.each([
    [[], 0, 'ERR_ARGUMENT', 'Expected a non-empty array of examples for examples but received an array of length 0'],
    [examplesOf([2]), -1, 'ERR_ARGUMENT', 'Expected non-negative integer for padTokenId but received -1 of type number'],
    [[{ inputIds: [], tokenTypeIds: [], label: 0 }], 0, 'ERR_INPUT', 'examples[0].inputIds is empty'],
    [[...examplesOf([2]), { inputIds: [1, 2], tokenTypeIds: [0], label: 0 }], 0, 'ERR_INPUT', 'examples[1].tokenTypeIds has 1 ids but inputIds has 2'],
    [[{ inputIds: [1, 2.5], tokenTypeIds: [0, 0], label: 0 }], 0, 'ERR_INPUT', 'examples[0].inputIds[1] is 2.5 of type number; expected a non-negative int32 id'],
    [[{ inputIds: [1], tokenTypeIds: [-1], label: 0 }], 0, 'ERR_INPUT', 'examples[0].tokenTypeIds[0] is -1 of type number; expected a non-negative int32 id'],
    [[{ inputIds: 'abc', tokenTypeIds: [0], label: 0 }], 0, 'ERR_ARGUMENT', 'Expected an array of token ids for examples[0].inputIds but received "abc" of type string'],
    [[{ inputIds: [1], tokenTypeIds: [0], label: 'pos' }], 0, 'ERR_ARGUMENT', 'Expected an integer class id for examples[0].label but received "pos" of type string'],
  ])('bad input %#', (examples, pad, code, message) => {
    expectError(() => makeBatch(examples as TokenizedExample[], pad as number), code as ErrorCode, message as string);
  });
});

describe('epochOrder', () => {
  test('identity without shuffle', () => {
    expect(epochOrder(5, 42, 3, false)).toEqual([0, 1, 2, 3, 4]);
  });

  test('a fixed permutation per (seed, epoch): this exact one, on every platform', () => {
    expect(epochOrder(10, 42, 0, true)).toEqual([8, 0, 1, 6, 3, 4, 2, 5, 9, 7]);
    expect(epochOrder(10, 42, 1, true)).toEqual([9, 7, 8, 6, 2, 3, 5, 4, 1, 0]);
  });

  test('the documented PRNG, written again in Python, gives the same permutations', () => {
    expect(reference.shuffles).toHaveLength(SHUFFLES.length);
    SHUFFLES.forEach((c, i) => expect(epochOrder(c.n, c.seed, c.epoch, true)).toEqual(reference.shuffles[i]));
  });

  test('deterministic per (seed, epoch), a permutation, different across epochs and seeds', () => {
    const orders = [0, 1, 2, 3].map((epoch) => epochOrder(8000, 42, epoch, true));
    orders.forEach((order, epoch) => {
      expect(isPermutation(order, 8000)).toBe(true);
      expect(epochOrder(8000, 42, epoch, true)).toEqual(order);
    });
    for (let a = 0; a < orders.length; a++) {
      for (let b = a + 1; b < orders.length; b++) expect(orders[a]).not.toEqual(orders[b]);
    }
    expect(epochOrder(8000, 43, 0, true)).not.toEqual(orders[0]);
  });

  test('uniform: all 24 orders of 4 about equally often over 24000 epochs', () => {
    const counts = new Map<string, number>();
    for (let epoch = 0; epoch < 24000; epoch++) {
      const key = epochOrder(4, 42, epoch, true).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(24);
    // expected 1000 each, sd ~31: 5 sd either way
    for (const count of counts.values()) expect(Math.abs(count - 1000)).toBeLessThan(160);
  });

  test.each([
    [() => epochOrder(-1, 0, 0, true), 'Expected non-negative integer below 2^32 for n but received -1 of type number'],
    [() => epochOrder(3, 1.5, 0, true), 'Expected non-negative integer for seed but received 1.5 of type number'],
    [() => epochOrder(3, 0, -2, true), 'Expected non-negative integer for epoch but received -2 of type number'],
    [() => epochOrder(3, 0, 0, 'yes' as unknown as boolean), 'Expected boolean for shuffle but received "yes" of type string'],
  ])('bad argument %#', (run, message) => {
    expectError(run, 'ERR_ARGUMENT', message);
  });
});

describe('lengthGroupedOrder (group_by_length)', () => {
  test(`HF transformers' get_length_grouped_indices on the same permutation gives the same order`, () => {
    const names = Object.keys(cases);
    expect(reference.grouped).toHaveLength(names.length);
    names.forEach((name, i) => {
      const c = cases[name];
      const ours = lengthGroupedOrder(c.lengths, c.batch_size, c.permutation, c.mega_batch_mult ?? undefined);
      expect({ name, order: ours }).toEqual({ name, order: reference.grouped[i] });
    });
  });

  test('structure: a permutation, the longest first, each megabatch longest-first but for the swapped head', () => {
    const c = cases['SUBJ, batch 16 (50 x 16 megabatches)'];
    const order = lengthGroupedOrder(c.lengths, 16, c.permutation);
    expect(isPermutation(order, 8000)).toBe(true);
    expect(c.lengths[order[0]]).toBe(Math.max(...c.lengths));
    const swapped: number[] = [];
    for (let m = 0; m < 8000; m += 800) {
      const lengths = order.slice(m, m + 800).map((i) => c.lengths[i]);
      const rest = lengths.slice(1);
      expect(rest).toEqual([...rest].sort((a, b) => b - a));
      // a megabatch holds its slice of the permutation, but for the head the swap brought in
      const want = new Set(c.permutation.slice(m, m + 800));
      const foreign = order.slice(m, m + 800).filter((i) => !want.has(i));
      if (foreign.length > 0) {
        expect(foreign).toEqual([order[m]]);
        swapped.push(m);
      }
    }
    expect(swapped.length === 0 || (swapped.length === 2 && swapped[0] === 0)).toBe(true);
  });

  test('bad arguments', () => {
    expectError(() => lengthGroupedOrder([1, 2], 2, [0, 0]), 'ERR_ARGUMENT', 'permutation[1] is 0 of type number; expected each of 0..1 exactly once');
    expectError(() => lengthGroupedOrder([1, 2], 2, [0]), 'ERR_ARGUMENT', 'permutation has 1 indices but there are 2 lengths');
    expectError(() => lengthGroupedOrder([1, 2], 0, [0, 1]), 'ERR_ARGUMENT', 'Expected positive integer for batchSize but received 0 of type number');
    expectError(() => lengthGroupedOrder([1, -2], 1, [0, 1]), 'ERR_ARGUMENT', 'Expected non-negative integer for lengths[1] but received -2 of type number');
  });
});

describe('BatchIterator', () => {
  const lengths = Array.from({ length: 37 }, (_, i) => 1 + ((i * 7) % 11));
  const examples = examplesOf(lengths);
  const options: BatchIteratorOptions = { batchSize: 8, padTokenId: 0, shuffle: true, seed: 42 };

  test('every example exactly once per epoch, in the epoch order, each batch equal to makeBatch of its rows', async () => {
    const it = new BatchIterator(examples, { ...options, epoch: 2 });
    expect(it.numBatches).toBe(5);
    expect(it.order).toEqual(epochOrder(37, 42, 2, true));
    const batches = await collect(it);
    expect(batches.map((b) => b.batchSize)).toEqual([8, 8, 8, 8, 5]);
    expect(batches.map((b) => b.index)).toEqual([0, 1, 2, 3, 4]);
    expect(batches.flatMap((b) => b.indices)).toEqual(it.order);
    for (const batch of batches) {
      const { index, indices, ...padded } = batch;
      expect(padded).toEqual(makeBatch(indices.map((i) => examples[i]), 0));
      expect(index).toBeGreaterThanOrEqual(0);
    }
  });

  test('the same (seed, epoch) repeats; another epoch reorders', async () => {
    const first = (await collect(new BatchIterator(examples, { ...options, epoch: 0 }))).flatMap((b) => b.indices);
    const again = (await collect(new BatchIterator(examples, { ...options, epoch: 0 }))).flatMap((b) => b.indices);
    const next = (await collect(new BatchIterator(examples, { ...options, epoch: 1 }))).flatMap((b) => b.indices);
    expect(again).toEqual(first);
    expect(next).not.toEqual(first);
    expect(isPermutation(next, 37)).toBe(true);
  });

  test('no shuffle by default (an eval pass): 0..n-1 in order', async () => {
    const batches = await collect(new BatchIterator(examples, { batchSize: 10, padTokenId: 0 }));
    expect(batches.flatMap((b) => b.indices)).toEqual(Array.from({ length: 37 }, (_, i) => i));
  });

  test('dropLast leaves out the short last batch; startBatch resumes mid-epoch', async () => {
    const dropped = await collect(new BatchIterator(examples, { ...options, dropLast: true }));
    expect(dropped.map((b) => b.batchSize)).toEqual([8, 8, 8, 8]);
    const full = await collect(new BatchIterator(examples, options));
    const resumed = await collect(new BatchIterator(examples, { ...options, startBatch: 3 }));
    expect(resumed.map((b) => b.indices)).toEqual(full.slice(3).map((b) => b.indices));
    expect(resumed[0].index).toBe(3);
  });

  test('groupByLength: lengthGroupedOrder over the epoch order, with lengthGroupSize', async () => {
    const it = new BatchIterator(examples, { ...options, epoch: 1, groupByLength: true, lengthGroupSize: 4 });
    expect(it.order).toEqual(lengthGroupedOrder(lengths, 4, epochOrder(37, 42, 1, true)));
    const batches = await collect(it);
    expect(batches[0].seqLen).toBe(Math.max(...lengths));
  });

  test('one-batch lookahead: the next batch is padded while the caller awaits its step', async () => {
    const it = new BatchIterator(examples, options);
    const first = await it.next();
    expect(first.done).toBe(false);
    expect(it.readyIndex).toBe(-1);
    await new Promise((resolve) => setTimeout(resolve, 5)); // a step on the worker thread
    expect(it.readyIndex).toBe(1);
    const second = await it.next();
    expect((second.value as EpochBatch).index).toBe(1);
    // calls back to back (no await in between): padded on demand, in order
    const [third, fourth, fifth, end] = await Promise.all([it.next(), it.next(), it.next(), it.next()]);
    expect([third, fourth, fifth].map((r) => (r.value as EpochBatch).index)).toEqual([2, 3, 4]);
    expect(end).toEqual({ done: true, value: undefined });
    await new Promise((resolve) => setImmediate(resolve));
    expect(it.readyIndex).toBe(-1);
  });

  test('break ends the epoch and cancels the lookahead', async () => {
    const it = new BatchIterator(examples, options);
    for await (const batch of it) if (batch.index === 1) break;
    await new Promise((resolve) => setImmediate(resolve));
    expect(it.readyIndex).toBe(-1);
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  test.each([
    [{ batchSize: 0 }, 'Expected positive integer for batchSize but received 0 of type number'],
    [{ batchSize: 2.5 }, 'Expected positive integer for batchSize but received 2.5 of type number'],
    [{ batchSize: '8' }, 'Expected positive integer for batchSize but received "8" of type string'],
    [{ padTokenId: undefined }, 'Expected non-negative integer for padTokenId but received undefined'],
    [{ seed: -1 }, 'Expected non-negative integer for seed but received -1 of type number'],
    [{ dropLast: 1 }, 'Expected boolean for dropLast but received 1 of type number'],
    [{ startBatch: 6 }, 'Expected integer in [0, 5] (the epoch\'s batches) for startBatch but received 6 of type number'],
    [{ batch_size: 8 }, 'Unknown option batch_size for BatchIterator; the options are batchSize, padTokenId, shuffle, seed, epoch, dropLast, groupByLength, lengthGroupSize, startBatch, numReplicas, rank, padShards'],
  ])('bad option %p', (override, message) => {
    expectError(() => new BatchIterator(examples, { ...options, ...override } as BatchIteratorOptions), 'ERR_ARGUMENT', message);
  });

  test('a bad example fails at construction, naming it, before any batch', () => {
    const bad = [...examples.slice(0, 20), { inputIds: [1, 2], tokenTypeIds: [0], label: 0 }, ...examples.slice(20)];
    expectError(() => new BatchIterator(bad, options), 'ERR_INPUT', 'examples[20].tokenTypeIds has 1 ids but inputIds has 2');
  });
});
