// A tiny ALBERT (a step takes milliseconds on 2 cores) and comparisons of its parameters.
//
// Dimension names as in the rest of the project: V vocab, E embedding, H hidden.
import { AlbertForSequenceClassification } from '../../ts/model/albert';
import type { AlbertConfigOverrides } from '../../ts/model/config';

/**
 * A model small enough that a step is a few milliseconds on 2 cores. Dropout is off so that
 * forward/step are deterministic (the default classifier_dropout_prob is 0.1).
 */
export const TINY: AlbertConfigOverrides = {
  vocab_size: 64, // V
  embedding_size: 8, // E
  hidden_size: 16, // H
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 32,
  max_position_embeddings: 32,
  hidden_dropout_prob: 0,
  attention_probs_dropout_prob: 0,
  classifier_dropout_prob: 0,
};

export function tinyConfig(overrides: AlbertConfigOverrides = {}): AlbertConfigOverrides {
  return { ...TINY, ...overrides };
}

export function tinyModel(overrides: AlbertConfigOverrides = {}, seed = 1): AlbertForSequenceClassification {
  return AlbertForSequenceClassification.fromConfig(tinyConfig(overrides), { seed });
}

/** Every parameter's values by name (copies). */
export function snapshot(model: AlbertForSequenceClassification): Map<string, Float32Array> {
  return new Map(model.parameters().map(({ name }) => [name, model.getParameter(name)]));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

export function maxAbs(a: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]));
  return worst;
}

export function sameValues(a: Map<string, Float32Array>, b: Map<string, Float32Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, values] of a) {
    const other = b.get(name);
    if (!other || maxAbsDiff(values, other) !== 0) return false;
  }
  return true;
}
