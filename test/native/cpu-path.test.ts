// Which CPU path the step takes (native/kernels/cpu/dispatch.h), and that the fused kernels
// change nothing but rounding: the same seeded step with them on and off (ALBERT_CPU_FUSED=0,
// read once per process, so each side runs in its own child) gives the same loss and gradients,
// to float32 rounding in fp32 (the dropout masks are the same: one seed, one hash) and to bf16
// rounding in bf16. The small model has dropout 0.1, so the fused attention softmax runs in fp32.
import { execFileSync } from 'child_process';
import * as path from 'path';
import { info } from '../../ts';
import { REPO_ROOT } from '../helpers/paths';

interface StepFacts {
  cpuVectorPath: string;
  cpuFusedKernels: boolean;
  loss: number;
  gradients: Record<string, number[]>;
}

function stepIn(child: { fused: boolean; amp: 'off' | 'bf16' }): StepFacts {
  const script = `
    const { AlbertForSequenceClassification, TrainingSession, info, manualSeed } = require(${JSON.stringify(path.join(REPO_ROOT, 'dist', 'index.js'))});
    (async () => {
      const config = { vocab_size: 120, embedding_size: 16, hidden_size: 32, num_attention_heads: 4, intermediate_size: 37,
        num_hidden_layers: 2, max_position_embeddings: 40, type_vocab_size: 2, num_labels: 2, hidden_act: 'gelu_new',
        hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 };
      const model = AlbertForSequenceClassification.fromConfig(config, { seed: 7 });
      const B = 4, T = 12, ids = new Int32Array(B * T), mask = new Int32Array(B * T);
      for (let b = 0; b < B; b++) for (let t = 0; t < T - b; t++) { ids[b * T + t] = 1 + ((b * 31 + t * 7) % 119); mask[b * T + t] = 1; }
      const batch = { inputIds: ids, attentionMask: mask, tokenTypeIds: new Int32Array(B * T), labels: Int32Array.from([0, 1, 1, 0]), batchSize: B, seqLen: T };
      manualSeed(3);
      const session = new TrainingSession(model, { maxGradNorm: 0, amp: ${JSON.stringify(child.amp)} });
      const { loss, gradients } = await session.computeGradients(batch);
      const facts = info();
      const picked = {};
      for (const name of Object.keys(gradients)) picked[name] = Array.from(gradients[name]);
      console.log(JSON.stringify({ cpuVectorPath: facts.cpuVectorPath, cpuFusedKernels: facts.cpuFusedKernels, loss, gradients: picked }));
      session.dispose();
      model.dispose();
    })().catch((e) => { console.error(e); process.exit(1); });
  `;
  const env = { ...process.env };
  if (child.fused) delete env.ALBERT_CPU_FUSED;
  else env.ALBERT_CPU_FUSED = '0';
  const out = execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop() as string) as StepFacts;
}

const maxAbs = (a: number[]) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe('the CPU step\'s path', () => {
  test('info() names the vector path, and the fused kernels run exactly where the AVX-512 clone does', () => {
    const facts = info();
    expect(['avx512', 'avx2', 'default']).toContain(facts.cpuVectorPath);
    expect(['amx', 'avx512_bf16', 'none']).toContain(facts.cpuBf16Unit);
    if (process.env.ALBERT_CPU_FUSED !== '0') expect(facts.cpuFusedKernels).toBe(facts.cpuVectorPath === 'avx512');
  });

  test.each([
    ['off', 1e-5],
    ['bf16', 3e-2],
  ] as const)('amp %s: the step with the fused kernels equals the step without them (worst gradient within %s of the scale)', (amp, tolerance) => {
    const fused = stepIn({ fused: true, amp });
    const aten = stepIn({ fused: false, amp });
    expect(aten.cpuFusedKernels).toBe(false); // ALBERT_CPU_FUSED=0 is honoured
    expect(fused.cpuFusedKernels).toBe(fused.cpuVectorPath === 'avx512');
    expect(Math.abs(fused.loss - aten.loss)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(aten.loss)));
    const names = Object.keys(aten.gradients).sort();
    expect(Object.keys(fused.gradients).sort()).toEqual(names);
    const scale = Math.max(...names.map((n) => maxAbs(aten.gradients[n])));
    expect(scale).toBeGreaterThan(0);
    let worst = { name: '', diff: 0 };
    for (const name of names) {
      const a = aten.gradients[name], f = fused.gradients[name];
      const diff = f.reduce((m, v, i) => Math.max(m, Math.abs(v - a[i])), 0);
      if (diff > worst.diff) worst = { name, diff };
    }
    expect({ ...worst, withinTolerance: worst.diff <= tolerance * scale }).toEqual({ ...worst, withinTolerance: true });
  });
});
