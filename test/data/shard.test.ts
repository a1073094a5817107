// ts/data/batching.ts, data-parallel sharding: shardOrder against torch's own DistributedSampler
// (drop_last=False), the no-pad partition, and the property the trainer relies on: batch i of R
// ranks at batchSize b holds the examples of batch i of one process at batchSize R x b.
import {
  BatchIterator,
  BatchIteratorOptions,
  EpochBatch,
  TokenizedExample,
  epochOrder,
  lengthGroupedOrder,
  shardOrder,
} from '../../ts/data/batching';
import { AlbertTrainerError } from '../../ts/errors';
import { runReference } from '../helpers/python';
import { expectThrowSync } from '../helpers/expect-error';

/** Asserts a synchronous ERR_ARGUMENT with exactly this message. */
function expectArgumentError(run: () => unknown, message: string): void {
  expect(expectThrowSync(run, 'ERR_ARGUMENT', message)).toBeInstanceOf(AlbertTrainerError);
}

/** Example i: length lengths[i], ids 100 * i + t, type ids 0, label i % 3. */
function examplesOf(lengths: number[]): TokenizedExample[] {
  return lengths.map((length, i) => ({
    inputIds: Array.from({ length }, (_, t) => 100 * i + t + 1),
    tokenTypeIds: Array.from({ length }, () => 0),
    label: i % 3,
  }));
}

async function collect(iterator: BatchIterator): Promise<EpochBatch[]> {
  const out: EpochBatch[] = [];
  for await (const batch of iterator) out.push(batch);
  return out;
}

const sorted = (indices: readonly number[]): number[] => [...indices].sort((a, b) => a - b);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

// ---------------------------------------------------------------------------------------------
// The reference run: torch.utils.data.DistributedSampler(range(n), R, r, shuffle=False)

interface ShardCase {
  n: number;
  numReplicas: number;
  rank: number;
}

const CASES: ShardCase[] = [];
for (const n of [0, 1, 2, 3, 7, 16, 17, 100]) {
  for (const numReplicas of [1, 2, 3, 4, 8]) {
    for (let rank = 0; rank < numReplicas; rank++) CASES.push({ n, numReplicas, rank });
  }
}

let reference: { version: string; shards: number[][] };
beforeAll(() => {
  reference = runReference('shard_reference.py', [], { cases: CASES });
});

describe('shardOrder', () => {
  test("torch's DistributedSampler (drop_last=False) gives the same shards, n < numReplicas included", () => {
    expect(reference.shards).toHaveLength(CASES.length);
    CASES.forEach((c, i) => {
      const ours = shardOrder(range(c.n), c.numReplicas, c.rank, true);
      expect({ ...c, shard: ours }).toEqual({ ...c, shard: reference.shards[i] });
    });
  });

  test('maps positions: the shard of a shuffled order is the identity shard looked up in it', () => {
    CASES.forEach((c, i) => {
      const order = epochOrder(c.n, 42, 3, true);
      expect({ ...c, shard: shardOrder(order, c.numReplicas, c.rank, true) }).toEqual({ ...c, shard: reference.shards[i].map((p) => order[p]) });
    });
  });

  test('padding longer than the order repeats it from the start more than once', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((rank) => shardOrder([5, 9], 8, rank, true))).toEqual([[5], [9], [5], [9], [5], [9], [5], [9]]);
    expect(shardOrder([4, 2, 7], 2, 1, true)).toEqual([2, 4]);
  });

  test('padded: every rank gets ceil(n / numReplicas) indices and the union covers the order', () => {
    for (const n of [1, 5, 37, 100]) {
      for (const numReplicas of [2, 3, 8]) {
        const shards = range(numReplicas).map((rank) => shardOrder(range(n), numReplicas, rank, true));
        for (const shard of shards) expect(shard).toHaveLength(Math.ceil(n / numReplicas));
        expect(new Set(shards.flat()).size).toBe(n);
      }
    }
  });

  test('no pad (evaluation): the shards partition the order, each index exactly once', () => {
    for (const n of [0, 1, 2, 3, 7, 16, 17, 100]) {
      for (const numReplicas of [1, 2, 3, 4, 8]) {
        const order = epochOrder(n, 7, 0, true);
        const shards = range(numReplicas).map((rank) => shardOrder(order, numReplicas, rank, false));
        expect(sorted(shards.flat())).toEqual(range(n));
        shards.forEach((shard, rank) => {
          expect(shard).toEqual(order.filter((_, p) => p % numReplicas === rank));
          expect(shard.length).toBe(Math.floor(n / numReplicas) + (rank < n % numReplicas ? 1 : 0));
        });
      }
    }
    expect(shardOrder([3, 1], 4, 3, false)).toEqual([]);
  });

  test('one replica: the order itself, a copy', () => {
    const order = [2, 0, 1];
    const shard = shardOrder(order, 1, 0, true);
    expect(shard).toEqual(order);
    expect(shard).not.toBe(order);
  });

  test.each([
    [() => shardOrder([0, 1], 0, 0, true), 'Expected positive integer for numReplicas but received 0 of type number'],
    [() => shardOrder([0, 1], 1.5, 0, true), 'Expected positive integer for numReplicas but received 1.5 of type number'],
    [() => shardOrder([0, 1], 2, 2, true), 'Expected integer in [0, 1] for rank but received 2 of type number'],
    [() => shardOrder([0, 1], 2, -1, true), 'Expected integer in [0, 1] for rank but received -1 of type number'],
    [() => shardOrder([0, 1], 2, 0.5, true), 'Expected integer in [0, 1] for rank but received 0.5 of type number'],
    [() => shardOrder([0, 1], 2, 0, 'yes' as unknown as boolean), 'Expected boolean for pad but received "yes" of type string'],
    [() => shardOrder('01' as unknown as number[], 2, 0, true), 'Expected an array of indices for order but received "01" of type string'],
  ])('bad argument %#', (run, message) => {
    expectArgumentError(run, message);
  });
});

// ---------------------------------------------------------------------------------------------

describe('BatchIterator with numReplicas', () => {
  // n = 96, divisible by 16; lengths spread with ties so that grouping reorders
  const lengths = Array.from({ length: 96 }, (_, i) => 2 + ((i * 13) % 29));
  const examples = examplesOf(lengths);
  const base: BatchIteratorOptions = { batchSize: 16, padTokenId: 0, shuffle: true, seed: 42, epoch: 1 };

  test.each([
    [2, 8, false],
    [2, 8, true],
    [4, 4, false],
    [4, 4, true],
  ])('%i replicas x batch %i (groupByLength %p): batch i over the ranks = batch i of one process at the global batch', async (numReplicas, batchSize, groupByLength) => {
    const single = new BatchIterator(examples, { ...base, groupByLength });
    const ranks = range(numReplicas).map((rank) => new BatchIterator(examples, { ...base, groupByLength, batchSize, numReplicas, rank }));
    for (const it of ranks) expect(it.numBatches).toBe(single.numBatches);
    const whole = await collect(single);
    const shards = await Promise.all(ranks.map(collect));
    expect(whole).toHaveLength(6);
    whole.forEach((batch, i) => {
      const parts = shards.map((batches) => batches[i]);
      for (const part of parts) expect(part.batchSize).toBe(batchSize);
      expect({ i, indices: sorted(parts.flatMap((p) => p.indices)) }).toEqual({ i, indices: sorted(batch.indices) });
    });
  });

  test('groupByLength groups by the global batch: the default lengthGroupSize is batchSize x numReplicas; an explicit one wins', () => {
    const permutation = epochOrder(96, 42, 1, true);
    const grouped = (size: number): number[] => lengthGroupedOrder(lengths, size, permutation);
    const it = new BatchIterator(examples, { ...base, batchSize: 8, numReplicas: 2, rank: 1, groupByLength: true });
    expect(it.order).toEqual(shardOrder(grouped(16), 2, 1, true));
    const explicit = new BatchIterator(examples, { ...base, batchSize: 8, numReplicas: 2, rank: 1, groupByLength: true, lengthGroupSize: 8 });
    expect(explicit.order).toEqual(shardOrder(grouped(8), 2, 1, true));
  });

  test('padded shards (n not divisible): equal length and numBatches on every rank, together covering every example', async () => {
    const odd = examples.slice(0, 37);
    for (const dropLast of [false, true]) {
      const ranks = range(3).map((rank) => new BatchIterator(odd, { ...base, batchSize: 4, numReplicas: 3, rank, dropLast }));
      for (const it of ranks) {
        expect(it.order).toHaveLength(13);
        expect(it.numBatches).toBe(dropLast ? 3 : 4);
      }
      const batches = await Promise.all(ranks.map(collect));
      for (const rankBatches of batches) expect(rankBatches.map((b) => b.batchSize)).toEqual(dropLast ? [4, 4, 4] : [4, 4, 4, 1]);
      if (!dropLast) expect(new Set(batches.flat().flatMap((b) => b.indices)).size).toBe(37);
    }
  });

  test('padShards false: each example on exactly one rank, shards one apart in length', async () => {
    const odd = examples.slice(0, 37);
    const ranks = range(3).map((rank) => new BatchIterator(odd, { ...base, batchSize: 4, numReplicas: 3, rank, padShards: false }));
    expect(ranks.map((it) => it.order.length)).toEqual([13, 12, 12]);
    expect(ranks.map((it) => it.numBatches)).toEqual([4, 3, 3]);
    const all = (await Promise.all(ranks.map(collect))).flat().flatMap((b) => b.indices);
    expect(sorted(all)).toEqual(range(37));
  });

  test('startBatch counts batches of the shard', async () => {
    const options: BatchIteratorOptions = { ...base, batchSize: 4, numReplicas: 2, rank: 1 };
    const full = await collect(new BatchIterator(examples, options));
    expect(full).toHaveLength(12);
    const resumed = await collect(new BatchIterator(examples, { ...options, startBatch: 9 }));
    expect(resumed.map((b) => b.index)).toEqual([9, 10, 11]);
    expect(resumed.map((b) => b.indices)).toEqual(full.slice(9).map((b) => b.indices));
    expectArgumentError(
      () => new BatchIterator(examples, { ...options, startBatch: 13 }),
      "Expected integer in [0, 12] (the epoch's batches) for startBatch but received 13 of type number",
    );
  });

  test('numReplicas 1 is the unsharded iterator', () => {
    const plain = new BatchIterator(examples, { ...base, groupByLength: true });
    const one = new BatchIterator(examples, { ...base, groupByLength: true, numReplicas: 1, rank: 0, padShards: false });
    expect(one.order).toEqual(plain.order);
    expect(one.numBatches).toBe(plain.numBatches);
  });

  test.each([
    [{ numReplicas: 0 }, 'Expected positive integer for numReplicas but received 0 of type number'],
    [{ numReplicas: '2' }, 'Expected positive integer for numReplicas but received "2" of type string'],
    [{ numReplicas: 2, rank: 2 }, 'Expected integer in [0, 1] for rank but received 2 of type number'],
    [{ rank: 1 }, 'Expected integer in [0, 0] for rank but received 1 of type number'],
    [{ numReplicas: 4, rank: -1 }, 'Expected integer in [0, 3] for rank but received -1 of type number'],
    [{ numReplicas: 2, padShards: 0 }, 'Expected boolean for padShards but received 0 of type number'],
    [
      { num_replicas: 2 },
      'Unknown option num_replicas for BatchIterator; the options are batchSize, padTokenId, shuffle, seed, epoch, dropLast, groupByLength, lengthGroupSize, startBatch, numReplicas, rank, padShards',
    ],
  ])('bad option %p', (override, message) => {
    expectArgumentError(() => new BatchIterator(examples, { ...base, ...override } as BatchIteratorOptions), message);
  });
});
