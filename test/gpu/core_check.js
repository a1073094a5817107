// On a GPU machine: the native core on CUDA against the same core on the CPU (fp32, dropout
// 0, same weights and batches): logits, loss, every gradient, 20 AdamW steps; then bf16 and
// fp16 (dynamic loss scaling) runs on CUDA that must learn a toy task; CUDA graphs against
// eager steps, training and evaluation (fp32, fp16, bf16, with dropout); fp16 AMP against fp32 over 50 steps at
// albert-large-v2's shape, on the same weights and trained apart. Prints a table; exits non-zero
// when a check fails (test/gpu/run.sh stage 3). Plain JS over
// dist/ (the GPU machine has node but no tsc).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { AlbertForSequenceClassification, TrainingSession, info, manualSeed } = require('../../dist/index.js');

const CONFIG = { vocab_size: 100, embedding_size: 16, hidden_size: 64, num_hidden_layers: 3, num_hidden_groups: 2,
  inner_group_num: 2, num_attention_heads: 4, intermediate_size: 128, max_position_embeddings: 40,
  hidden_dropout_prob: 0, attention_probs_dropout_prob: 0, classifier_dropout_prob: 0, num_labels: 3 };

function lcg(seed) { let s = seed >>> 0; return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32); }

function batch(seed, B = 4, T = 11) {
  const rand = lcg(seed);
  const inputIds = new Int32Array(B * T), attentionMask = new Int32Array(B * T), tokenTypeIds = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const len = b === 0 ? T : 3 + Math.floor(rand() * (T - 3));
    for (let t = 0; t < len; t++) {
      inputIds[b * T + t] = t === 0 ? 2 : 4 + Math.floor(rand() * 96);
      attentionMask[b * T + t] = 1;
      tokenTypeIds[b * T + t] = t > len / 2 ? 1 : 0;
    }
  }
  return { inputIds, attentionMask, tokenTypeIds, labels: Int32Array.from({ length: B }, () => Math.floor(rand() * 3)), batchSize: B, seqLen: T };
}

// The toy task: label 1 when token 5 appears.
function toyBatch(seed) {
  const b = batch(seed, 16, 12);
  const rand = lcg(seed + 1);
  for (let r = 0; r < 16; r++) {
    const has = rand() < 0.5;
    for (let t = 1; t < 12; t++) if (b.inputIds[r * 12 + t] === 5) b.inputIds[r * 12 + t] = 6;
    if (has) b.inputIds[r * 12 + 1] = 5;
    b.labels[r] = has ? 1 : 0;
  }
  return b;
}

function relDiff(a, ref) {
  let diff = 0, scale = 0;
  for (let i = 0; i < ref.length; i++) { diff = Math.max(diff, Math.abs(a[i] - ref[i])); scale = Math.max(scale, Math.abs(ref[i])); }
  return diff / Math.max(scale, 1e-6);
}

// CHECK_DEVICE=cpu runs the same script with both sides on the CPU (a dry run of the script itself).
const DEVICE = process.env.CHECK_DEVICE || 'cuda';
const rows = [];
function check(name, value, limit) { rows.push({ name, value, limit, ok: Number.isFinite(value) && value <= limit }); }

// CORE_CHECKS=fp16 runs only fp16AgainstFp32 (a short GPU lease).
const ONLY = process.env.CORE_CHECKS || '';

async function main() {
  const facts = info();
  console.log(JSON.stringify(facts));
  if (DEVICE === 'cuda' && !facts.cudaAvailable) throw new Error('no CUDA device visible to the addon');
  if (ONLY !== 'fp16') await coreAndGraphChecks();
  await fp16AgainstFp32();

  const width = Math.max(...rows.map((r) => r.name.length));
  console.log(`\n${'check'.padEnd(width)}  value      limit   result`);
  for (const r of rows) console.log(`${r.name.padEnd(width)}  ${r.value.toExponential(2).padEnd(9)}  ${String(r.limit).padEnd(6)}  ${r.ok ? 'ok' : 'FAIL'}`);
  if (rows.some((r) => !r.ok)) process.exitCode = 1;
}

async function coreAndGraphChecks() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-gpu-'));
  const seedModel = AlbertForSequenceClassification.fromConfig(CONFIG, { seed: 11 });
  await seedModel.savePretrained(dir);
  seedModel.dispose();
  const cpu = await AlbertForSequenceClassification.fromPretrained(dir);
  const gpu = await AlbertForSequenceClassification.fromPretrained(dir, { device: DEVICE });
  const b0 = batch(1);

  const [fc, fg] = [await cpu.forward(b0), await gpu.forward(b0)];
  check(`eval logits ${DEVICE} vs cpu (fp32)`, relDiff(fg.logits, fc.logits), 1e-4);
  check('eval loss', Math.abs(fg.loss - fc.loss) / Math.abs(fc.loss), 1e-4);

  const opts = { optimizer: { weightDecay: 0.01 }, maxGradNorm: 1.0, amp: 'off' };
  const [tc, tg] = [new TrainingSession(cpu, opts), new TrainingSession(gpu, opts)];
  const [gc, gg] = [await tc.computeGradients(b0), await tg.computeGradients(b0)];
  let worst = 0, worstName = '';
  for (const name of Object.keys(gc.gradients)) {
    if (name.endsWith('attention.key.bias')) continue; // zero in exact arithmetic: rounding noise on both sides
    const d = relDiff(gg.gradients[name], gc.gradients[name]);
    if (d > worst) { worst = d; worstName = name; }
  }
  check(`every gradient (worst: ${worstName})`, worst, 1e-4);

  const batches = [1, 2, 3, 4, 5].map((s) => batch(s));
  let worstLoss = 0;
  for (let i = 0; i < 20; i++) {
    const lr = 1e-3 * Math.min((i + 1) / 4, 1);
    const [sc, sg] = [await tc.step(batches[i % 5], lr), await tg.step(batches[i % 5], lr)];
    worstLoss = Math.max(worstLoss, Math.abs(sg.loss - sc.loss) / Math.abs(sc.loss));
  }
  check('20 AdamW steps: per-step loss', worstLoss, 1e-4);
  let worstWeight = 0;
  for (const { name } of cpu.parameters()) {
    if (name.endsWith('attention.key.bias')) continue;
    worstWeight = Math.max(worstWeight, relDiff(gpu.getParameter(name), cpu.getParameter(name)));
  }
  check('20 AdamW steps: final weights', worstWeight, 1e-4);

  for (const amp of ['bf16', 'fp16']) {
    const model = await AlbertForSequenceClassification.fromPretrained(dir, { device: DEVICE });
    const trainer = new TrainingSession(model, { optimizer: { weightDecay: 0.01 }, amp });
    const toy = [0, 1, 2, 3].map((s) => toyBatch(100 + s));
    let first, last, skipped = 0, scale = 0;
    for (let i = 0; i < 120; i++) {
      const r = await trainer.step(toy[i % 4], 3e-3);
      if (i < 4) first = (first ?? 0) + r.loss / 4;
      if (i >= 116) last = (last ?? 0) + r.loss / 4;
      skipped += r.skipped ? 1 : 0;
      scale = r.lossScale;
    }
    check(`${amp} on ${DEVICE}: toy loss ratio last/first (scale ${scale}, skipped ${skipped})`, last / first, 0.5);
    trainer.dispose();
    model.dispose();
  }
  for (const t of [tc, tg]) t.dispose();
  for (const m of [cpu, gpu]) m.dispose();

  await graphChecks(dir);
}

// The batch padded with padding columns to `T` (what the graph path does to a bucket's length).
function padTo(b, T) {
  if (T <= b.seqLen) return b;
  const out = { ...b, seqLen: T };
  for (const key of ['inputIds', 'attentionMask', 'tokenTypeIds']) {
    out[key] = new Int32Array(b.batchSize * T);
    for (let r = 0; r < b.batchSize; r++) out[key].set(b[key].subarray(r * b.seqLen, (r + 1) * b.seqLen), r * T);
  }
  return out;
}

// Per-step losses of `steps` steps of a fresh model from `dir` over `batches` (cycled); with
// `evalBatches`, after every 5th step the loss and logits of an evalStep on each of them.
async function losses(dir, trainerOptions, batches, steps, lr = 1e-3, config, evalBatches = []) {
  const model = config ? AlbertForSequenceClassification.fromConfig(config, { seed: 5, device: DEVICE })
    : await AlbertForSequenceClassification.fromPretrained(dir, { device: DEVICE });
  // The CPU dry run (CHECK_DEVICE=cpu) runs the same code with every step eager.
  const options = { ...trainerOptions, ...(DEVICE === 'cpu' ? { cudaGraphs: false } : {}) };
  const trainer = new TrainingSession(model, { optimizer: { weightDecay: 0.01 }, maxGradNorm: 1.0, ...options });
  const out = [];
  const evals = [];
  for (let i = 0; i < steps; i++) {
    out.push((await trainer.step(batches[i % batches.length], lr * Math.min((i + 1) / 4, 1))).loss);
    if ((i + 1) % 5 !== 0) continue;
    for (const b of evalBatches) {
      const { loss, logits } = await trainer.evalStep(b);
      evals.push(loss, ...logits);
    }
  }
  const graphs = trainer.cudaGraphsCaptured;
  trainer.dispose();
  model.dispose();
  return { out, evals, graphs };
}

function worstRelative(a, b) {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.abs(b[i]));
  return worst;
}

// CUDA graphs: the replayed steps against eager ones, 30 steps over lengths 11, 14, 16, 23
// (buckets 16, 16, 16, 32: each bucket's first batch eager, its second captured, then replays),
// with evaluation steps between them on lengths 9 and 20 (buckets 16 and 32 again: the same
// shapes as two training graphs, kept apart; 2 more graphs, replayed on weights that changed).
async function graphChecks(dir) {
  const batches = [11, 14, 16, 23].map((T, i) => batch(40 + i, 4, T));
  const padded = batches.map((b) => padTo(b, Math.ceil(b.seqLen / 16) * 16));
  const evalBatches = [9, 20].map((T, i) => batch(50 + i, 4, T));
  const steps = 30;
  const graphed = await losses(dir, { amp: 'off', cudaGraphs: true }, batches, steps, 1e-3, undefined, evalBatches);
  const eagerPadded = await losses(dir, { amp: 'off', cudaGraphs: false }, padded, steps, 1e-3, undefined, evalBatches);
  const eager = await losses(dir, { amp: 'off', cudaGraphs: false }, batches, steps);
  if (DEVICE === 'cuda') check(`graphs captured (${graphed.graphs}, expected 2 training + 2 evaluation)`, graphed.graphs === 4 ? 0 : 1, 0);
  check('fp32, 30 steps: graph-replayed vs eager loss, same padded batches', worstRelative(graphed.out, eagerPadded.out), 1e-6);
  check('fp32, 30 steps: graph-replayed vs eager loss, eager unpadded', worstRelative(graphed.out, eager.out), 1e-5);
  check('fp32, 6 x 2 evalSteps between them: graph-replayed vs eager loss and logits', relDiff(graphed.evals, eagerPadded.evals), 1e-6);
  for (const amp of DEVICE === 'cuda' ? ['fp16', 'bf16'] : ['bf16']) {
    const g = await losses(dir, { amp, cudaGraphs: true }, batches, steps, 1e-3, undefined, evalBatches);
    const e = await losses(dir, { amp, cudaGraphs: false }, padded, steps, 1e-3, undefined, evalBatches);
    check(`${amp}, 30 steps: graph-replayed vs eager loss, same padded batches`, worstRelative(g.out, e.out), 1e-5);
    check(`${amp}, 6 x 2 evalSteps: graph-replayed vs eager loss and logits`, relDiff(g.evals, e.evals), 1e-5);
  }
  // With dropout: the graphs replay the CUDA generator's Philox offsets as the eager steps draw them.
  const dropoutConfig = { ...CONFIG, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1, classifier_dropout_prob: 0.1 };
  manualSeed(7);
  const gd = await losses(dir, { amp: 'off', cudaGraphs: true }, batches, steps, 1e-3, dropoutConfig);
  manualSeed(7);
  const ed = await losses(dir, { amp: 'off', cudaGraphs: false }, padded, steps, 1e-3, dropoutConfig);
  check('dropout 0.1, fp32, 30 steps: graph-replayed vs eager loss', worstRelative(gd.out, ed.out), 1e-5);
}

// fp16 AMP against fp32 over 50 training steps, albert-large-v2's shape (random init), batch
// 16 of SUBJ-like lengths, no dropout: before each fp32 step (CUDA graphs), the fp16 AMP loss
// of the same weights on the same batch (computeGradients: forward and backward, no update).
// Then two runs left to train apart, fp32 and fp16 AMP from the same init: their losses part
// by more than rounding after some steps whatever the precision, so the trajectory is checked
// in two looser ways: (1) no step of the first 10 more than 1e-2 apart (measured on an H100:
// the first such step was the 21st, benchmarks/results/cuda-h100-2026-11-27/core_check-fp16.log),
// (2) the mean loss of the last 10 steps within 0.1 of each other: an fp16 run that diverged,
// stalled or skipped its updates (a loss scaler stuck on overflow) lands far from that.
async function fp16AgainstFp32() {
  const large = JSON.parse(fs.readFileSync(path.join(process.env.ALBERT_TRAINER_DATA || path.join(__dirname, '../../../shared/data'),
    'albert-configs', 'albert-large-v2.json'), 'utf8'));
  const config = { ...large, num_labels: 2, classifier_dropout_prob: 0, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 };
  const steps = DEVICE === 'cuda' ? 50 : 2;
  const half = DEVICE === 'cuda' ? 'fp16' : 'bf16';
  const batches = [30, 41, 52, 36, 47].map((T, i) => {
    const b = batch(60 + i, 16, T);
    for (let k = 0; k < b.inputIds.length; k++) if (b.attentionMask[k]) b.inputIds[k] = (b.inputIds[k] * 297) % 30000;
    b.labels = b.labels.map((l) => l % 2);
    return b;
  });
  const model = AlbertForSequenceClassification.fromConfig(config, { seed: 5, device: DEVICE });
  const fp32 = new TrainingSession(model, { optimizer: { weightDecay: 0.01 }, maxGradNorm: 1.0, amp: 'off', ...(DEVICE === 'cpu' ? { cudaGraphs: false } : {}) });
  const probe = new TrainingSession(model, { amp: half, cudaGraphs: false });
  let worst = 0;
  const pairs = [];
  for (let i = 0; i < steps; i++) {
    const b = batches[i % batches.length];
    const lowered = (await probe.computeGradients(b)).loss;
    const full = (await fp32.step(b, 2e-5 * Math.min((i + 1) / 4, 1))).loss;
    worst = Math.max(worst, Math.abs(lowered - full));
    pairs.push(`${full.toFixed(4)}/${lowered.toFixed(4)}`);
  }
  for (const t of [fp32, probe]) t.dispose();
  model.dispose();
  console.log(`large, each step's loss fp32/${half} on the same weights: ${pairs.join(' ')}`);
  check(`albert-large shape, ${steps} steps: |${half} AMP loss - fp32 loss| on the same weights, worst step`, worst, 1e-2);
  // Left to train apart.
  const free32 = await losses('', { amp: 'off' }, batches, steps, 2e-5, config);
  const free16 = await losses('', { amp: half }, batches, steps, 2e-5, config);
  const gaps = free32.out.map((v, i) => Math.abs(v - free16.out[i]));
  const parted = gaps.findIndex((gap) => !(gap <= 1e-2));
  console.log(`large, each step's loss fp32/${half} trained apart: ${free32.out.map((v, i) => `${v.toFixed(4)}/${free16.out[i].toFixed(4)}`).join(' ')}`);
  console.log(`large, fp32 and ${half} runs trained apart: first step more than 1e-2 apart: ${parted < 0 ? 'none' : parted + 1}`);
  const early = Math.min(10, steps);
  check(`albert-large shape, trained apart: worst |${half} - fp32| loss of the first ${early} steps`, Math.max(...gaps.slice(0, early)), 1e-2);
  const late = Math.min(10, steps);
  const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
  check(`albert-large shape, trained apart: |mean ${half} - mean fp32| loss of the last ${late} of ${steps} steps`,
    Math.abs(mean(free16.out.slice(-late)) - mean(free32.out.slice(-late))), 0.1);
}

main().catch((error) => { console.error(error && error.stack ? error.stack : error); process.exit(1); });
