// Deterministic batches for the model: random ids with optional padding, and a learnable toy task.
//
// Dimension names as in the rest of the project: B batch, T sequence, V vocab.
import type { TokenizedExample } from '../../ts/data/batching';
import type { Batch } from '../../ts/model/batch';
import { mulberry32 } from '../../ts/data/seeded-random';

/** mulberry32 (ts/data/seeded-random.ts): a small seeded PRNG, uniform in [0, 1). */
export const rng = mulberry32;

/**
 * Examples whose label is whether token 5 occurs (learnable), 3 to 14 tokens with [CLS]=2 and
 * [SEP]=3, other ids from 6 to vocab-1: the checkpoint and best-model tests' toy task.
 */
export function tokenFiveExamples(n: number, seed: number, vocab: number): TokenizedExample[] {
  const random = rng(seed);
  return Array.from({ length: n }, () => {
    const length = 3 + Math.floor(random() * 12);
    const ids = [2, ...Array.from({ length: length - 2 }, () => 6 + Math.floor(random() * (vocab - 6))), 3];
    const label = random() < 0.5 ? 1 : 0;
    if (label) ids[1 + Math.floor(random() * (length - 2))] = 5;
    return { inputIds: ids, tokenTypeIds: new Array<number>(length).fill(0), label };
  });
}

export interface BatchOptions {
  batchSize?: number; // B
  seqLen?: number; // T
  vocabSize?: number; // ids drawn from [1, V)
  numLabels?: number;
  labels?: boolean;
  /** Padding at the end of each row i: min(i, padTail) positions masked (row 0 never padded). */
  padTail?: number;
  seed?: number;
}

/** Random ids (no pad id 0), full mask except optional tail padding, tokenTypeIds 0/1 halves. */
export function randomBatch(options: BatchOptions = {}): Batch {
  const { batchSize: B = 2, seqLen: T = 8, vocabSize: V = 64, numLabels = 2, labels = true, padTail = 0, seed = 7 } = options;
  const next = rng(seed);
  const inputIds = new Int32Array(B * T); // (B, T)
  const attentionMask = new Int32Array(B * T).fill(1); // (B, T)
  const tokenTypeIds = new Int32Array(B * T); // (B, T)
  for (let b = 0; b < B; b++) {
    const pad = Math.min(b, padTail);
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      inputIds[i] = 1 + Math.floor(next() * (V - 1));
      tokenTypeIds[i] = t < T / 2 ? 0 : 1;
      if (t >= T - pad) {
        attentionMask[i] = 0;
        inputIds[i] = 0;
      }
    }
  }
  const batch: Batch = { inputIds, attentionMask, tokenTypeIds, batchSize: B, seqLen: T };
  if (labels) batch.labels = Int32Array.from({ length: B }, () => Math.floor(next() * numLabels));
  return batch;
}

/**
 * A learnable toy task: label 1 when token 5 appears in the row, else 0. Half the rows get a 5
 * at a random position; ids otherwise from [6, V).
 */
export function toyBatch(options: { batchSize?: number; seqLen?: number; vocabSize?: number; seed?: number } = {}): Batch {
  const { batchSize: B = 16, seqLen: T = 8, vocabSize: V = 64, seed = 3 } = options;
  const next = rng(seed);
  const inputIds = new Int32Array(B * T);
  const labels = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) inputIds[b * T + t] = 6 + Math.floor(next() * (V - 6));
    if (b % 2 === 0) {
      inputIds[b * T + Math.floor(next() * T)] = 5;
      labels[b] = 1;
    }
  }
  return { inputIds, attentionMask: new Int32Array(B * T).fill(1), labels, batchSize: B, seqLen: T };
}
