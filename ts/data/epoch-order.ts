// The order of an epoch's examples, for BatchIterator (ts/data/batching.ts).
//
// Order of an epoch (epochOrder): identity, or a Fisher-Yates shuffle driven by xoshiro128**
// seeded from (seed, epoch) through SplitMix64 (details at `seedState`). Integer arithmetic
// only, so the same (n, seed, epoch) gives the same order on every platform and Node version.
// It is not torch's RandomSampler stream: HF with the same seed visits the examples in another
// order (the run as a whole is comparable, not bit-identical).
//
// group_by_length (lengthGroupedOrder): HF's get_length_grouped_indices
// (transformers/trainer_pt_utils.py) run over our permutation in place of torch.randperm:
//   1. split the permutation into megabatches of megaBatchMult * batchSize, where megaBatchMult
//      defaults to min(floor(n / (4 * batchSize)), 50), at least 1;
//   2. sort each megabatch by length, longest first (stable, as Python's sorted(reverse=True));
//   3. swap the first element of the megabatch holding the longest example (the first such
//      megabatch, as torch.argmax) with the first element overall, so the largest batch runs
//      first and an out-of-memory shows at step 1.
// HF's Trainer passes train_batch_size * gradient_accumulation_steps as batchSize here.
//
// Data-parallel sharding (shardOrder): torch.utils.data.DistributedSampler with drop_last=False
// applied to the epoch's order (after shuffling and grouping). Rank r of R takes positions
// r, r + R, r + 2R, ...; for training the order is first padded to a multiple of R by repeating
// it from its start, so every rank runs the same number of steps (an example may then be seen
// twice in an epoch, as with torch). Batch i of the R ranks together holds the same examples as
// batch i of one process with R times the batch size.
import { isNonNegativeSafeInteger, isPositiveSafeInteger } from '../checks';
import { AlbertTrainerError, describe, invalidArgument } from '../errors';

const MASK64 = (1n << 64n) - 1n;

/** SplitMix64 (Steele, Lea, Flood 2014): returns [next state, output]. */
function splitmix64(state: bigint): [bigint, bigint] {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [next, z ^ (z >> 31n)];
}

/**
 * xoshiro128** state for (seed, epoch):
 *   a      = first SplitMix64 output from state seed
 *   w0, w1 = the next two SplitMix64 outputs from state (a XOR epoch)
 *   state  = [low32(w0), high32(w0), low32(w1), high32(w1)]
 */
function seedState(seed: number, epoch: number): Uint32Array {
  const [, a] = splitmix64(BigInt(seed));
  const [s1, w0] = splitmix64(a ^ BigInt(epoch));
  const [, w1] = splitmix64(s1);
  const s = new Uint32Array([Number(w0 & 0xffffffffn), Number(w0 >> 32n), Number(w1 & 0xffffffffn), Number(w1 >> 32n)]);
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1; // the one state xoshiro cannot leave
  return s;
}

/** xoshiro128** 1.1 (Blackman, Vigna): a uint32 per call. */
function xoshiro128ss(s: Uint32Array): () => number {
  const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));
  return () => {
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  };
}

/**
 * The order in which epoch `epoch` visits examples 0..n-1: a permutation seeded by (seed,
 * epoch) when `shuffle`, else 0, 1, ..., n-1.
 */
export function epochOrder(n: number, seed: number, epoch: number, shuffle: boolean): number[] {
  if (!isNonNegativeSafeInteger(n) || n >= 2 ** 32) throw invalidArgument('non-negative integer below 2^32', 'n', n);
  if (!isNonNegativeSafeInteger(seed)) throw invalidArgument('non-negative integer', 'seed', seed);
  if (!isNonNegativeSafeInteger(epoch)) throw invalidArgument('non-negative integer', 'epoch', epoch);
  if (typeof shuffle !== 'boolean') throw invalidArgument('boolean', 'shuffle', shuffle);
  const order = Array.from({ length: n }, (_, i) => i);
  if (!shuffle) return order;
  const next = xoshiro128ss(seedState(seed, epoch));
  // Durstenfeld's Fisher-Yates from the last index down; j uniform in [0, i] by rejection.
  for (let i = n - 1; i > 0; i--) {
    const bound = i + 1;
    const limit = 2 ** 32 - (2 ** 32 % bound);
    let u = next();
    while (u >= limit) u = next();
    const j = u % bound;
    const tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
  return order;
}

/**
 * HF's group_by_length order over `permutation` (see the notes at the top): each run of
 * `batchSize` consecutive indices holds examples of similar length.
 */
export function lengthGroupedOrder(
  lengths: ArrayLike<number>,
  batchSize: number,
  permutation: readonly number[],
  megaBatchMult?: number,
): number[] {
  if (lengths === null || typeof lengths !== 'object' || typeof lengths.length !== 'number') {
    throw invalidArgument('an array of lengths', 'lengths', lengths);
  }
  const n = lengths.length;
  for (let i = 0; i < n; i++) {
    if (!isNonNegativeSafeInteger(lengths[i])) throw invalidArgument('non-negative integer', `lengths[${i}]`, lengths[i]);
  }
  if (!isPositiveSafeInteger(batchSize)) throw invalidArgument('positive integer', 'batchSize', batchSize);
  if (megaBatchMult !== undefined && !isPositiveSafeInteger(megaBatchMult)) {
    throw invalidArgument('positive integer', 'megaBatchMult', megaBatchMult);
  }
  checkPermutation(permutation, n);
  if (n === 0) return [];
  // 1. megabatches of the permutation
  const mult = megaBatchMult ?? Math.max(1, Math.min(Math.floor(n / (batchSize * 4)), 50));
  const size = mult * batchSize;
  const megabatches: number[][] = [];
  for (let i = 0; i < n; i += size) {
    // 2. longest first; Array.prototype.sort is stable, like Python's sorted(reverse=True)
    megabatches.push(permutation.slice(i, i + size).sort((a, b) => lengths[b] - lengths[a]));
  }
  // 3. the longest example to the front (the first megabatch with the maximum, as torch.argmax)
  let maxIdx = 0;
  for (let m = 1; m < megabatches.length; m++) {
    if (lengths[megabatches[m][0]] > lengths[megabatches[maxIdx][0]]) maxIdx = m;
  }
  const first = megabatches[0][0];
  megabatches[0][0] = megabatches[maxIdx][0];
  megabatches[maxIdx][0] = first;
  return megabatches.flat();
}

/**
 * Rank `rank`'s share of `order` among `numReplicas` data-parallel processes, as
 * torch.utils.data.DistributedSampler (drop_last=False) over positions of `order`:
 *   pad:  `order` extended to ceil(n / numReplicas) * numReplicas by repeating it from its start
 *         (more than once when n < numReplicas / 2), then every numReplicas-th entry from `rank`;
 *         every rank gets ceil(n / numReplicas) indices, some possibly twice.
 *   !pad: order[rank], order[rank + numReplicas], ...: the shards partition `order` (an eval
 *         pass sees each example once); lengths differ by at most one, and may be 0.
 */
export function shardOrder(order: readonly number[], numReplicas: number, rank: number, pad: boolean): number[] {
  if (!Array.isArray(order)) throw invalidArgument('an array of indices', 'order', order);
  if (!isPositiveSafeInteger(numReplicas)) throw invalidArgument('positive integer', 'numReplicas', numReplicas);
  if (!isNonNegativeSafeInteger(rank) || rank >= numReplicas) throw invalidArgument(`integer in [0, ${numReplicas - 1}]`, 'rank', rank);
  if (typeof pad !== 'boolean') throw invalidArgument('boolean', 'pad', pad);
  const n = order.length;
  if (!pad) {
    const shard: number[] = [];
    for (let p = rank; p < n; p += numReplicas) shard.push(order[p]);
    return shard;
  }
  // padded[p] = order[p % n] for p < total: torch's `indices += (indices * ceil(padding / n))[:padding]`
  const numSamples = Math.ceil(n / numReplicas);
  return Array.from({ length: numSamples }, (_, k) => order[(rank + k * numReplicas) % n]);
}

function checkPermutation(permutation: unknown, n: number): asserts permutation is number[] {
  if (!Array.isArray(permutation)) throw invalidArgument('an array of indices', 'permutation', permutation);
  if (permutation.length !== n) {
    throw new AlbertTrainerError('ERR_ARGUMENT', `permutation has ${permutation.length} indices but there are ${n} lengths`);
  }
  const seen = new Uint8Array(n);
  permutation.forEach((index: unknown, i) => {
    if (!isNonNegativeSafeInteger(index) || index >= n || seen[index]) {
      throw new AlbertTrainerError('ERR_ARGUMENT', `permutation[${i}] is ${describe(index)}; expected each of 0..${n - 1} exactly once`);
    }
    seen[index] = 1;
  });
}

