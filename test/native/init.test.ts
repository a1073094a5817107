// Random initialization (fromConfig), as HF's _init_weights does it for ALBERT: Linear and
// Embedding weights ~ Normal(0, initializer_range), biases 0, LayerNorm weight 1 and bias 0,
// the pad_token_id row of the word embeddings 0; reproducible from the seed.
import { AlbertForSequenceClassification } from '../../ts/model/albert';
import type { AlbertConfigOverrides } from '../../ts/model/config';
import { TrainingSession } from '../../ts/training-session';
import { sameValues, snapshot, tinyConfig } from '../helpers/tiny-model';
import { randomBatch } from '../helpers/batches';

const RANGE = 0.05; // not HF's default 0.02, so the test sees the config's value used
const LARGE: AlbertConfigOverrides = { vocab_size: 2000, embedding_size: 64, initializer_range: RANGE }; // word_embeddings: 128,000 values

const isLayerNorm = (name: string) => /(LayerNorm|layer_norm)\.(weight|bias)$/.test(name);

function stats(values: Float32Array): { mean: number; std: number } {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return { mean, std: Math.sqrt(squares / values.length) };
}

function build(overrides: AlbertConfigOverrides, seed?: number): AlbertForSequenceClassification {
  return AlbertForSequenceClassification.fromConfig(tinyConfig({ ...LARGE, ...overrides }), seed === undefined ? {} : { seed });
}

describe('seeded', () => {
  test('the same seed gives identical weights; another seed gives different ones', () => {
    const [a, b, c] = [build({}, 7), build({}, 7), build({}, 8)];
    const [wa, wb, wc] = [snapshot(a), snapshot(b), snapshot(c)];
    expect(sameValues(wa, wb)).toBe(true);
    for (const [name, values] of wa) {
      if (isLayerNorm(name) || name.endsWith('.bias')) continue;
      expect([name, Array.from(values).some((v, i) => v !== wc.get(name)![i])]).toEqual([name, true]);
    }
    for (const m of [a, b, c]) m.dispose();
  });

  test('the default seed is 42', () => {
    const [implicit, explicit] = [build({}), build({}, 42)];
    expect(sameValues(snapshot(implicit), snapshot(explicit))).toBe(true);
    implicit.dispose();
    explicit.dispose();
  });
});

describe('distribution', () => {
  let model: AlbertForSequenceClassification;
  let weights: Map<string, Float32Array>;
  beforeAll(() => {
    model = build({}, 3);
    weights = snapshot(model);
  });
  afterAll(() => model.dispose());

  test('weights: std within 10% of initializer_range, mean ~0, on every matrix of 1000+ values', () => {
    const big = [...weights].filter(([name, v]) => name.endsWith('.weight') && !isLayerNorm(name) && v.length >= 1000);
    expect(big.map(([name]) => name)).toContain('albert.embeddings.word_embeddings.weight');
    for (const [name, values] of big) {
      const { mean, std } = stats(values);
      expect([name, Math.abs(std / RANGE - 1) < 0.1]).toEqual([name, true]);
      expect([name, Math.abs(mean) < (4 * RANGE) / Math.sqrt(values.length)]).toEqual([name, true]);
    }
    // The largest one tighter: 128,000 samples put the std within ~0.5% of the truth.
    expect(stats(weights.get('albert.embeddings.word_embeddings.weight')!).std).toBeCloseTo(RANGE, 3);
  });

  test('biases are 0; LayerNorm weights are 1 and biases 0', () => {
    const names = [...weights.keys()];
    expect(names.filter(isLayerNorm).length).toBeGreaterThanOrEqual(6); // embeddings, attention, full layer: weight + bias
    for (const [name, values] of weights) {
      const expected = isLayerNorm(name) && name.endsWith('.weight') ? 1 : name.endsWith('.bias') ? 0 : undefined;
      if (expected === undefined) continue;
      expect([name, values.every((v) => v === expected)]).toEqual([name, true]);
    }
  });

  test('every parameter is finite and nothing else is constant', () => {
    for (const [name, values] of weights) {
      expect([name, values.every(Number.isFinite)]).toEqual([name, true]);
      if (!isLayerNorm(name) && !name.endsWith('.bias')) expect([name, stats(values).std > 0]).toEqual([name, true]);
    }
  });
});

describe('the padding row', () => {
  const E = LARGE.embedding_size as number;
  const row = (values: Float32Array, i: number) => Array.from(values.subarray(i * E, (i + 1) * E));

  test('row pad_token_id (default 0) of word_embeddings is 0, the next row is not', () => {
    const model = build({}, 4);
    const words = model.getParameter('albert.embeddings.word_embeddings.weight');
    expect(row(words, 0).every((v) => v === 0)).toBe(true);
    expect(row(words, 1).some((v) => v !== 0)).toBe(true);
    model.dispose();
  });

  test('with pad_token_id 3 it is row 3', () => {
    const model = build({ pad_token_id: 3 }, 4);
    const words = model.getParameter('albert.embeddings.word_embeddings.weight');
    expect(row(words, 3).every((v) => v === 0)).toBe(true);
    expect(row(words, 0).some((v) => v !== 0)).toBe(true);
    model.dispose();
  });

  test('with pad_token_id null no row is zeroed', () => {
    const model = build({ pad_token_id: null }, 4);
    const words = model.getParameter('albert.embeddings.word_embeddings.weight');
    const zeroRows = Array.from({ length: LARGE.vocab_size as number }, (_, i) => i).filter((i) => row(words, i).every((v) => v === 0));
    expect(zeroRows).toEqual([]);
    model.dispose();
  });

  test('the padding row gets no gradient: it stays 0 through training (HF padding_idx)', async () => {
    const model = build({ vocab_size: 64 }, 5);
    const trainer = new TrainingSession(model, { optimizer: { weightDecay: 0.1 } });
    const batch = randomBatch({ batchSize: 4, seqLen: 8, padTail: 3 });
    batch.inputIds[1] = 0; // the pad id at an attended position too
    for (let i = 0; i < 3; i++) await trainer.step(batch, 1e-2);
    const words = model.getParameter('albert.embeddings.word_embeddings.weight');
    expect(row(words, 0).every((v) => v === 0)).toBe(true);
    const { gradients } = await trainer.computeGradients(batch);
    expect(row(gradients['albert.embeddings.word_embeddings.weight'], 0).every((v) => v === 0)).toBe(true);
    expect(row(gradients['albert.embeddings.word_embeddings.weight'], batch.inputIds[0]).some((v) => v !== 0)).toBe(true);
    trainer.dispose();
    model.dispose();
  });
});
