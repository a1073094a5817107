// Numeric parity with HF transformers' AlbertForSequenceClassification (fp32, every dropout 0):
// parameter names, eval logits/loss, train-mode loss and every gradient, 20 AdamW steps under
// HF Trainer's recipe, and checkpoints both ways. The reference is test/reference/hf_albert.py,
// run once for the whole file; every check prints its worst difference (see helpers/compare.ts).
//
// Dimensions: B = 8 rows, T = 24 tokens, L = num_labels. Enough padding that the padding-free path
// (native/albert/token_packing.h, which packs in multiples of 64 rows) runs.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AlbertForSequenceClassification, TrainingSession } from '../../ts';
import type { AlbertConfigOverrides, Batch } from '../../ts';
import { type Diff, ParityReport, diffScalar, diffSeries, diffTensor, diffTensorSet, maxAbs } from '../helpers/compare';
import { runReference } from '../helpers/python';
import { rng } from '../helpers/batches';

// ---- tolerances (rel = max|ours - ref| / max(max|ref|, floor), per tensor) ----
const LOGITS = { tol: 1e-5, floor: 1 }; // max|d| <= 1e-5 * max(1, max|ref|)
const LOSS = { tol: 1e-4 }; // |d| / |ref|
const GRAD = { tol: 1e-4 }; // max|d| / max|ref| per gradient tensor
const WEIGHT = { tol: 1e-4 }; // max|d| / max|ref| per parameter after training
const NORM = { tol: 1e-4 }; // |d| / |ref| per step
const EXACT = { tol: 0 }; // a checkpoint round trip moves no bit

/**
 * attention.key.bias has no gradient in exact arithmetic: softmax(q.(k + b)) = softmax(q.k + q.b), and
 * q.b is the same for every key of a query, so it cancels (masked keys too). Both sides hold rounding
 * noise there (~1e-12), which AdamW turns into ~1e-8 weights after 20 steps; its own scale would make
 * that noise a failure. It is measured against the largest tensor of its check instead, so a real
 * key-bias gradient (a mask or scaling bug) still fails. The gradient test asserts the premise.
 */
const NOISE_ONLY = /\.attention\.key\.bias$/;

const B = 8;
const T = 24;
const NUM_BATCHES = 5;
const NO_DROPOUT = { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0, classifier_dropout_prob: 0 };
const TINY = { vocab_size: 120, embedding_size: 16, hidden_size: 32, num_attention_heads: 4, intermediate_size: 37, max_position_embeddings: 40, type_vocab_size: 2 };

/** HF Trainer's recipe for the 20-step run (get_cosine_schedule_with_warmup, warmup ceil(0.2 * 20) = 4). */
const RECIPE = { steps: 20, lr: 1e-3, weight_decay: 0.01, betas: [0.9, 0.999] as [number, number], eps: 1e-8, max_grad_norm: 1.0, warmup_ratio: 0.2 };

interface Case {
  config: AlbertConfigOverrides;
  seed: number; // torch.manual_seed for HF's init; our fromConfig model takes seed + 1000
  regression: boolean;
  /** Training runs (RECIPE with these overrides); a large weight decay makes a wrong parameter group visible. */
  train: Partial<typeof RECIPE>[];
}

const CASES: Record<string, Case> = {
  // A: one group, one inner layer: the 27-tensor layout.
  A: { config: { ...TINY, num_hidden_layers: 3, num_hidden_groups: 1, inner_group_num: 1, num_labels: 2, hidden_act: 'gelu_new', ...NO_DROPOUT }, seed: 1, regression: false, train: [{}, { weight_decay: 0.5 }] },
  // B: 3 layers over 2 groups (HF's int(i / (3 / 2)) gives groups 0, 0, 1), 2 layers per group.
  B: { config: { ...TINY, num_hidden_layers: 3, num_hidden_groups: 2, inner_group_num: 2, num_labels: 3, hidden_act: 'gelu_new', ...NO_DROPOUT }, seed: 2, regression: false, train: [{}] },
  // C: exact-erf gelu, a single-output regression head (MSE on float labels).
  C: { config: { ...TINY, num_hidden_layers: 2, num_labels: 1, hidden_act: 'gelu', ...NO_DROPOUT }, seed: 3, regression: true, train: [{}] },
  // D: relu; 4 layers over 3 groups (0, 0, 1, 2); three token types.
  D: { config: { ...TINY, type_vocab_size: 3, num_hidden_layers: 4, num_hidden_groups: 3, num_labels: 4, hidden_act: 'relu', ...NO_DROPOUT }, seed: 4, regression: false, train: [] },
};

// ---- the reference's output ----
interface RefTensor {
  shape: number[];
  f32: string;
}
type Attn = 'eager' | 'sdpa';
const ATTNS: Attn[] = ['eager', 'sdpa'];
interface RefTraining {
  losses: number[];
  lrs: number[];
  grad_norms: number[];
  decay: string[];
  final: Record<string, RefTensor>;
}
interface RefTrainMode {
  logits: RefTensor;
  loss: number;
  grads: Record<string, RefTensor>;
}
interface RefModel {
  state_dict: { name: string; shape: number[] }[];
  named_parameters: string[];
  buffers: { name: string; persistent: boolean }[];
  initial: Record<string, RefTensor>;
  attn: Record<Attn, { eval: { logits: RefTensor; loss: number }[]; train: RefTrainMode; train_bf16: RefTrainMode }>;
  training: RefTraining[];
}
interface RefOurs {
  missing_keys: string[];
  unexpected_keys: string[];
  mismatched_keys: string[];
  error_msgs: string[];
  load_log: string;
  state: Record<string, RefTensor>;
  attn: Record<Attn, { logits: RefTensor; loss: number | null }>;
}
interface Reference {
  version: { torch: string; transformers: string; format: number };
  models: Record<string, RefModel>;
  ours: Record<string, RefOurs>;
}
const REFERENCE_FORMAT = 2;

function f32(t: RefTensor): Float32Array {
  const bytes = Buffer.from(t.f32, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

// ---- inputs ----
// Seeded PRNG (test/helpers/batches.ts), so the batches are the same on every run.
const prng = rng;

/**
 * A padded B x T batch: row lengths differ (one full row, the rest shorter), real tokens from
 * [1, V), pad id 0 after them (before them in odd rows: left padding, so the pooler's first
 * token is a padding token there); token types 0 then 1 within each row (the last token 2 when
 * type_vocab_size > 2), 0 in the padding.
 */
function makeBatch(config: AlbertConfigOverrides, regression: boolean, seed: number): Batch {
  const rand = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo)); // [lo, hi)
  const V = config.vocab_size as number;
  const types = config.type_vocab_size as number;
  const inputIds = new Int32Array(B * T);
  const attentionMask = new Int32Array(B * T);
  const tokenTypeIds = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const length = b === seed % B ? T : int(2, T); // one full row per batch
    const split = int(1, length); // first token of the second segment
    const offset = b % 2 === 1 ? T - length : 0;
    for (let t = 0; t < length; t++) {
      inputIds[b * T + offset + t] = int(1, V);
      attentionMask[b * T + offset + t] = 1;
      tokenTypeIds[b * T + offset + t] = t < split ? 0 : types > 2 && t === length - 1 ? 2 : 1; // type 2 too when the model has it
    }
  }
  const L = config.num_labels as number;
  const labels = regression ? Float32Array.from({ length: B }, () => rand() * 4 - 2) : Int32Array.from({ length: B }, () => int(0, L));
  return { inputIds, attentionMask, tokenTypeIds, labels, batchSize: B, seqLen: T };
}

/** The batch as the reference script reads it (B x T lists). */
function toPython(batch: Batch): Record<string, unknown> {
  const rows = (a: Int32Array) => Array.from({ length: B }, (_, b) => Array.from(a.subarray(b * T, (b + 1) * T)));
  return {
    input_ids: rows(batch.inputIds),
    attention_mask: rows(batch.attentionMask),
    token_type_ids: rows(batch.tokenTypeIds as Int32Array),
    labels: Array.from(batch.labels as ArrayLike<number>),
    labels_float: batch.labels instanceof Float32Array,
  };
}

// ---- the run ----
const report = new ParityReport();
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-parity-'));
const batches: Record<string, Batch[]> = {};
const ourCreated: Record<string, { params: Record<string, Float32Array>; logits: Float32Array; loss: number | undefined }> = {};
let ref: Reference;

beforeAll(async () => {
  const models = [];
  const ours = [];
  for (const [name, c] of Object.entries(CASES)) {
    batches[name] = Array.from({ length: NUM_BATCHES }, (_, i) => makeBatch(c.config, c.regression, 100 * c.seed + i));
    // A model of ours, for HF to load.
    const model = AlbertForSequenceClassification.fromConfig(c.config, { seed: c.seed + 1000 });
    const dir = path.join(workDir, `ours-${name}`);
    await model.savePretrained(dir);
    const { logits, loss } = await model.forward(batches[name][0]);
    ourCreated[name] = { params: Object.fromEntries(model.parameters().map((p) => [p.name, model.getParameter(p.name)])), logits, loss };
    model.dispose();
    ours.push({ name, dir, batch: toPython(batches[name][0]) });
    models.push({ name, seed: c.seed, dir: path.join(workDir, `hf-${name}`), config: c.config, batches: batches[name].map(toPython), train: c.train.map((o) => ({ ...RECIPE, ...o })) });
  }
  ref = runReference<Reference>('hf_albert.py', [], { models, ours });
  if (ref.version.format !== REFERENCE_FORMAT) {
    throw new Error(`test/reference/hf_albert.py writes format ${ref.version.format}, this test reads ${REFERENCE_FORMAT}: update one of them`);
  }
}, 300_000);

afterEach(() => report.throwPending()); // fails the test that recorded an out-of-tolerance check

afterAll(() => {
  if (ref) console.log(report.format(`ALBERT parity vs transformers ${ref.version.transformers} / torch ${ref.version.torch} (worst per check)`));
  fs.rmSync(workDir, { recursive: true, force: true });
});

async function loadHf(name: string): Promise<AlbertForSequenceClassification> {
  return AlbertForSequenceClassification.fromPretrained(path.join(workDir, `hf-${name}`));
}

describe.each(Object.keys(CASES))('config %s', (name) => {
  const c = CASES[name];

  test("parameters(): HF's state_dict() names and shapes, in order", async () => {
    const model = await loadHf(name);
    try {
      const hf = ref.models[name];
      // Non-persistent buffers (position_ids, token_type_ids) are not in HF's state_dict and not ours.
      const nonPersistent = hf.buffers.filter((b) => !b.persistent).map((b) => b.name);
      expect(nonPersistent.length).toBeGreaterThan(0);
      expect(hf.state_dict.map((e) => e.name)).toEqual(hf.named_parameters); // no persistent buffer in the way
      expect(model.parameters()).toEqual(hf.state_dict);
      if ((c.config.num_hidden_groups ?? 1) === 1 && (c.config.inner_group_num ?? 1) === 1) expect(model.parameters()).toHaveLength(27); // A and C
    } finally {
      model.dispose();
    }
  });

  test('fromPretrained(HF save_pretrained dir): every weight bit-exact', async () => {
    const model = await loadHf(name);
    try {
      const initial = ref.models[name].initial;
      report.expectWithin(`${name} load HF weights`, Object.entries(initial).map(([p, t]) => diffTensor(p, model.getParameter(p), f32(t), EXACT)));
    } finally {
      model.dispose();
    }
  });

  test('eval forward: logits (1e-5 of max(1, max|ref|)) and loss (1e-4) on 5 batches, vs eager and sdpa', async () => {
    const model = await loadHf(name);
    try {
      for (const attn of ATTNS) {
        const logitDiffs: Diff[] = [];
        const lossDiffs: Diff[] = [];
        for (let i = 0; i < NUM_BATCHES; i++) {
          const out = await model.forward(batches[name][i]);
          const hf = ref.models[name].attn[attn].eval[i];
          logitDiffs.push(diffTensor(`batch ${i} logits`, out.logits, f32(hf.logits), LOGITS));
          lossDiffs.push(diffScalar(`batch ${i} loss`, out.loss, hf.loss, LOSS));
        }
        report.expectWithin(`${name} eval logits (${attn})`, logitDiffs);
        report.expectWithin(`${name} eval loss (${attn})`, lossDiffs);
      }
    } finally {
      model.dispose();
    }
  });

  test('train mode (dropout 0): loss and EVERY parameter gradient within 1e-4 of max|ref grad|, vs eager and sdpa', async () => {
    const model = await loadHf(name);
    try {
      const trainer = new TrainingSession(model, { maxGradNorm: 0 });
      const { loss, gradients } = await trainer.computeGradients(batches[name][0]);
      const { logits: evalLogits } = await model.forward(batches[name][0]);
      trainer.dispose();
      const hf = ref.models[name];
      expect(Object.keys(gradients).sort()).toEqual([...hf.named_parameters].sort());
      for (const attn of ATTNS) {
        const train = hf.attn[attn].train;
        // Dropout 0: HF's train-mode logits are our eval logits.
        report.expectWithin(`${name} train-mode logits (${attn})`, [diffTensor('logits', evalLogits, f32(train.logits), LOGITS)]);
        report.expectWithin(`${name} train-mode loss (${attn})`, [diffScalar('loss', loss, train.loss, LOSS)]);
        const refGrads = hf.named_parameters.map((p) => [p, gradients[p], f32(train.grads[p])] as [string, Float32Array, Float32Array]);
        const gradScale = Math.max(...refGrads.map(([, , g]) => maxAbs(g)));
        for (const [p, , g] of refGrads) if (NOISE_ONLY.test(p)) expect(maxAbs(g)).toBeLessThan(1e-6 * gradScale); // the premise
        report.expectWithin(`${name} gradients (${attn})`, diffTensorSet(refGrads, GRAD, NOISE_ONLY));
      }
    } finally {
      model.dispose();
    }
  });

  test('train mode in bf16 autocast: loss and every gradient as close to HF bf16 as HF bf16 is to fp32', async () => {
    // bf16 has no exact reference: HF's own bf16 step differs from its fp32 step by autocast's
    // rounding (E below, per check the largest over all tensors). Ours must sit within a few E
    // of HF's bf16 step, so a wrong formula in a bf16 kernel (O(1) of the gradient scale) fails.
    const model = await loadHf(name);
    try {
      const trainer = new TrainingSession(model, { maxGradNorm: 0, amp: 'bf16' });
      const { loss, gradients } = await trainer.computeGradients(batches[name][0]);
      trainer.dispose();
      const hf = ref.models[name];
      for (const attn of ATTNS) {
        const fp32 = hf.attn[attn].train, bf16 = hf.attn[attn].train_bf16;
        const grads = hf.named_parameters.filter((p) => !NOISE_ONLY.test(p));
        const gradScale = Math.max(...grads.map((p) => maxAbs(f32(fp32.grads[p]))));
        const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
        const autocastError = Math.max(...grads.map((p) => maxDiff(f32(bf16.grads[p]), f32(fp32.grads[p]))));
        expect(autocastError).toBeGreaterThan(1e-6 * gradScale); // the premise: HF's bf16 really rounded
        let worst = { param: '', diff: 0 };
        for (const p of grads) {
          const diff = maxDiff(gradients[p], f32(bf16.grads[p]));
          if (diff > worst.diff) worst = { param: p, diff };
        }
        console.log(`${name} bf16 gradients (${attn}): worst ${worst.param} ${worst.diff.toExponential(2)}, HF bf16 vs fp32 ${autocastError.toExponential(2)}, scale ${gradScale.toExponential(2)}`);
        expect({ attn, ...worst, within: worst.diff <= 4 * autocastError }).toEqual({ attn, ...worst, within: true });
        const lossError = Math.abs(bf16.loss - fp32.loss);
        expect(Math.abs((loss as number) - bf16.loss)).toBeLessThanOrEqual(4 * lossError + 1e-3 * Math.abs(fp32.loss));
      }
    } finally {
      model.dispose();
    }
  });

  test('checkpoint interop: our savePretrained loads in HF with no missing/unexpected key and the same logits', () => {
    const hf = ref.ours[name];
    expect({ missing: hf.missing_keys, unexpected: hf.unexpected_keys, mismatched: hf.mismatched_keys, errors: hf.error_msgs }).toEqual({
      missing: [],
      unexpected: [],
      mismatched: [],
      errors: [],
    });
    expect(hf.load_log).not.toMatch(/LOAD REPORT|MISSING|UNEXPECTED|MISMATCH|newly initialized/);
    const ours = ourCreated[name];
    expect(Object.keys(hf.state).sort()).toEqual(Object.keys(ours.params).sort());
    report.expectWithin(`${name} HF loads our weights`, Object.entries(hf.state).map(([p, t]) => diffTensor(p, ours.params[p], f32(t), EXACT)));
    for (const attn of ATTNS) {
      report.expectWithin(`${name} HF logits of our model (${attn})`, [diffTensor('logits', ours.logits, f32(hf.attn[attn].logits), LOGITS)]);
      report.expectWithin(`${name} HF loss of our model (${attn})`, [diffScalar('loss', ours.loss, hf.attn[attn].loss as number, LOSS)]);
    }
  });

  const runs = c.train.map((o, run) => ({ run, options: { ...RECIPE, ...o } }));
  if (runs.length > 0) {
    test.each(runs)(`20 AdamW steps (HF Trainer groups, clip 1.0, cosine warmup 4), run %#`, async ({ run, options }) => {
      const hf = ref.models[name].training[run];
      // The schedule HF produced: 0 at step 0, linear warmup to the peak at step 4, cosine down after.
      expect(hf.lrs).toHaveLength(options.steps);
      expect(hf.lrs[0]).toBe(0);
      expect(hf.lrs[4]).toBeCloseTo(options.lr, 12);
      // The groups came from the library (Trainer.get_decay_parameter_names): matrices decay; biases and LayerNorms do not.
      expect(hf.decay.length).toBeGreaterThan(0);
      expect(hf.decay.filter((p) => p.endsWith('.bias') || /LayerNorm|layer_norm/.test(p))).toEqual([]);
      const model = await loadHf(name);
      try {
        const trainer = new TrainingSession(model, {
          optimizer: { betas: options.betas, eps: options.eps, weightDecay: options.weight_decay },
          maxGradNorm: options.max_grad_norm,
          amp: 'off',
        });
        const losses: number[] = [];
        const norms: number[] = [];
        for (let i = 0; i < options.steps; i++) {
          const result = await trainer.step(batches[name][i % NUM_BATCHES], hf.lrs[i]);
          expect(result.skipped).toBe(false);
          losses.push(result.loss);
          norms.push(result.gradNorm);
        }
        trainer.dispose();
        const label = `${name} train wd=${options.weight_decay}`;
        report.expectWithin(`${label} step losses`, diffSeries('loss', losses, hf.losses, LOSS));
        report.expectWithin(`${label} grad norms`, diffSeries('gradNorm', norms, hf.grad_norms, NORM));
        const finals = Object.entries(hf.final).map(([p, t]) => [p, model.getParameter(p), f32(t)] as [string, Float32Array, Float32Array]);
        report.expectWithin(`${label} final weights`, diffTensorSet(finals, WEIGHT, NOISE_ONLY));
      } finally {
        model.dispose();
      }
    });
  }
});
