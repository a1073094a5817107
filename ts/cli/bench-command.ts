// `albert-train bench`: runs the benchmark suite (benchmarks/suite.ts, compiled to
// build/bench/benchmarks/suite.js by `npm run bench`, or here on first use)
// in a child node process with the flags as given. The flags below are listed for --help; the
// suite itself parses them (and rejects unknown ones).
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { Argv } from 'yargs';
import { AlbertTrainerError } from '../errors';
import { packageRoot } from '../native';

export function benchOptions(y: Argv) {
  return y
    .strict(false)
    .parserConfiguration({ 'unknown-options-as-args': true })
    .option('quick', { type: 'boolean', describe: 'small config only, few steps, no e2e, no torch.compile (about 2 minutes on 2 cores)' })
    .option('device', { choices: ['cpu', 'cuda'] as const, describe: 'default cpu' })
    .option('configs', { type: 'string', describe: 'small,base,large' })
    .option('amps', { type: 'string', describe: 'fp32,bf16 (CPU); fp16,bf16 (CUDA)' })
    .option('shapes', { type: 'string', describe: 'subj (SUBJ lengths, dynamic padding), fixed (--seq-len tokens)' })
    .option('peers', { type: 'string', describe: 'ours,hf-eager,hf-compile' })
    .option('e2e', { type: 'boolean', describe: 'also one SUBJ epoch per tool with its defaults' })
    .option('e2e-steps', { type: 'number', describe: 'time only the first N steps of that epoch' })
    .option('output-dir', { type: 'string', alias: 'out-dir', describe: 'results folder (default ./benchmarks/results under the current folder, never the installed package)' })
    .option('machine', { type: 'string', describe: 'the results\' file name prefix (default: the CPU model and its cores, e.g. cpu-amd-epyc-2cores; on CUDA the GPU)' })
    .epilog('More flags (--warmup, --rounds, --steps, --seq-len, --threads, --compile-configs, ...): npm run bench -- --help');
}

/**
 * The suite's entry. Built once on first use when this checkout has TypeScript (npm install
 * does not build benchmarks/); otherwise an ERR_IO that says how to build it.
 */
export function suiteEntry(root = packageRoot()): string {
  const entry = path.join(root, 'build', 'bench', 'benchmarks', 'suite.js');
  if (fs.existsSync(entry)) return entry;
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const project = path.join(root, 'benchmarks', 'tsconfig.json');
  if (fs.existsSync(tsc) && fs.existsSync(project)) {
    process.stderr.write('albert-train: building the benchmark suite once (tsc -p benchmarks/tsconfig.json) ...\n');
    const built = spawnSync(process.execPath, [tsc, '-p', project], { cwd: root, stdio: 'inherit' });
    if (built.status === 0 && fs.existsSync(entry)) return entry;
  }
  throw new AlbertTrainerError('ERR_IO', `the benchmark suite is not built (${entry} is missing); ` +
    `build it once with \`npm run bench:build\` or \`npx tsc -p benchmarks/tsconfig.json\` in ${root}`);
}

/** Runs the suite with everything after `bench` on the command line; exits with its code. */
export async function runBench(): Promise<void> {
  const entry = suiteEntry();
  const argv = process.argv.slice(2);
  const args = argv.slice(argv.indexOf('bench') + 1);
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0)));
  });
  process.exitCode = code;
}
