// The end-to-end figure: one SUBJ epoch (or its first --e2e-steps steps) per tool with its own
// defaults, each in its own process from the same seeded checkpoint: ours through train()
// (benchmarks/peers/ours_e2e.ts), HF through its Trainer (benchmarks/peers/hf_e2e.py).
import { spawn } from 'child_process';
import * as path from 'path';
import { BENCH_SRC, PYTHON, SUBJ_TRAIN, TOKENIZER_DIR } from './configs';
import type { Options, Precision } from './options';
import type { E2eRow } from './results';

interface E2eReply { steps: number; samples: number; trainSeconds: number; samplesPerS: number; wallSeconds: number; peakRssMiB: number }

/** Runs `command args`, returns the last JSON line of its stdout; rejects with stderr's tail. */
function runJson(command: string, args: string[], verbose: boolean): Promise<E2eReply> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => {
      if (verbose) process.stderr.write(c.toString());
      stderr = (stderr + c.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      if (code === 0 && last) return resolve(JSON.parse(last) as E2eReply);
      const tail = stderr.trim().split('\n').filter((l) => l.trim() && !/warn/i.test(l)).slice(-3).join(' | ');
      reject(new Error(`exited with code ${code}: ${tail || 'no message'}`));
    });
  });
}

export async function benchE2e(config: string, precision: Precision, modelDir: string, options: Options): Promise<E2eRow[]> {
  const job = JSON.stringify({ modelDir, trainFile: SUBJ_TRAIN, tokenizerDir: TOKENIZER_DIR, amp: precision, steps: options.e2eSteps,
    threads: options.threads, device: options.device });
  const runs: Array<[E2eRow['peer'], string, string, string[]]> = [
    ['ours', 'albert-trainer train()', process.execPath, [path.join(__dirname, 'peers', 'ours_e2e.js'), job]],
    ['hf-trainer', 'HF Trainer', PYTHON, [path.join(BENCH_SRC, 'peers', 'hf_e2e.py'), job]],
  ];
  const rows: E2eRow[] = [];
  for (const [peer, tool, command, args] of runs) {
    process.stderr.write(`e2e ${config} ${precision}: ${tool} ...\n`);
    try {
      const reply = await runJson(command, args, options.verbose);
      rows.push({ config, precision, peer, tool, status: 'ok', ...reply });
    } catch (error) {
      rows.push({ config, precision, peer, tool, status: 'failed', reason: error instanceof Error ? error.message : String(error) });
    }
  }
  const [ours, hf] = rows;
  if (ours.status === 'ok' && hf.status === 'ok') ours.ratio = (ours.samplesPerS as number) / (hf.samplesPerS as number);
  return rows;
}
