// Deterministic batches for the model: random ids with optional padding, and a learnable toy task.
//
// Dimension names as in the rest of the project: B batch, T sequence, V vocab.
import type { Batch } from '../../ts/model/batch';

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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
