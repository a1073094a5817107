// On a GPU machine: the native core on CUDA against the same core on the CPU (fp32, dropout
// 0, same weights and batches): logits, loss, every gradient, 20 AdamW steps; then bf16 and
// fp16 (dynamic loss scaling) runs on CUDA that must learn a toy task. Prints a table; exits
// non-zero when a check fails. Plain JS over dist/ (the GPU machine has node but no tsc).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { AlbertForSequenceClassification, Trainer, info } = require('../../dist/index.js');

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

async function main() {
  const facts = info();
  console.log(JSON.stringify(facts));
  if (DEVICE === 'cuda' && !facts.cudaAvailable) throw new Error('no CUDA device visible to the addon');
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
  const [tc, tg] = [new Trainer(cpu, opts), new Trainer(gpu, opts)];
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
    const trainer = new Trainer(model, { optimizer: { weightDecay: 0.01 }, amp });
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

  const width = Math.max(...rows.map((r) => r.name.length));
  console.log(`\n${'check'.padEnd(width)}  value      limit   result`);
  for (const r of rows) console.log(`${r.name.padEnd(width)}  ${r.value.toExponential(2).padEnd(9)}  ${String(r.limit).padEnd(6)}  ${r.ok ? 'ok' : 'FAIL'}`);
  if (rows.some((r) => !r.ok)) process.exitCode = 1;
}

main().catch((error) => { console.error(error && error.stack ? error.stack : error); process.exit(1); });
