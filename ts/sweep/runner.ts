// Runs the sweep's runs as child processes, `parallel` at a time, each the `train` command with
// its own flags (dist/sweep/run-child.js: the CLI, plus a watch that ends the run when the sweep
// process is gone, so a killed sweep leaves no run behind to race its restart).
//
// Where a run stands is read from its folder, so a sweep started again picks up where it was:
//   finished     the output folder is complete (trainer_state.json and eval_results.json: the
//                folder is renamed into place whole) -> skipped;
//   interrupted  checkpoint-<step>/ folders and no output -> resumed with --resume-from-checkpoint last;
//   otherwise    nothing a run can continue from -> the folder is removed and the run starts over.
import { type ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CHECKPOINT_FOLDER, RUN_FILES } from '../train/output-files';
import { type SweepRun, runArgv } from './grid';

export type RunState = 'finished' | 'interrupted' | 'fresh';

export function runState(runDir: string): RunState {
  if (!fs.existsSync(runDir)) return 'fresh';
  const entries = fs.readdirSync(runDir);
  if (entries.includes(RUN_FILES.trainerState) && entries.includes(RUN_FILES.evalResults)) return 'finished';
  return entries.some((name) => CHECKPOINT_FOLDER.test(name)) ? 'interrupted' : 'fresh';
}

export interface RunOutcome {
  run: SweepRun;
  /** What it was when this sweep process found it. */
  found: RunState;
  /** 0: finished; else the child's exit code (or 128 + signal). */
  exitCode: number;
  seconds: number;
}

export interface RunnerOptions {
  sweepDir: string;
  runs: readonly SweepRun[];
  passThrough: readonly string[];
  parallel: number;
  /** Added to each run's flags (e.g. --threads n), unless the user passed them. */
  extraArgs: readonly string[];
  /** Environment of the run in slot `slot` (e.g. its CUDA_VISIBLE_DEVICES). */
  envForSlot: (slot: number) => Record<string, string>;
  log: (line: string) => void;
  /** Polled before each start: true starts no more runs (Ctrl-C). */
  stopping: () => boolean;
}

const CHILD = path.join(__dirname, 'run-child.js');

/** Waits (a few seconds at most) for a run a killed sweep left behind to end: its watch stops it. */
async function waitForLeftover(pidFile: string, log: (line: string) => void): Promise<void> {
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8'));
  const alive = () => {
    try {
      process.kill(pid, 0);
      return fs.existsSync(`/proc/${pid}/cmdline`) ? fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('run-child') : true;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 100 && alive(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  if (alive()) log(`process ${pid} of an earlier sweep still runs in this run's folder; waiting for it`);
  while (alive()) await new Promise((resolve) => setTimeout(resolve, 1000));
}

async function runOne(options: RunnerOptions, run: SweepRun, slot: number, index: number): Promise<RunOutcome> {
  const { sweepDir, log } = options;
  const runDir = path.join(sweepDir, run.name);
  const logsDir = path.join(sweepDir, 'logs');
  const pidFile = path.join(logsDir, `${run.name}.pid`);
  fs.mkdirSync(logsDir, { recursive: true });
  await waitForLeftover(pidFile, log);
  // Staging folders of an output folder or a checkpoint that a killed run was writing.
  for (const name of fs.readdirSync(sweepDir).filter((n) => n.startsWith(`.${run.name}.`))) fs.rmSync(path.join(sweepDir, name), { recursive: true, force: true });
  const found = runState(runDir);
  const tag = `[${index + 1}/${options.runs.length}] ${run.name}`;
  if (found === 'finished') {
    log(`${tag}: finished earlier, skipped`);
    return { run, found, exitCode: 0, seconds: 0 };
  }
  if (found === 'fresh') fs.rmSync(runDir, { recursive: true, force: true });
  const argv = runArgv(options.passThrough, run, runDir, [...options.extraArgs, ...(found === 'interrupted' ? ['--resume-from-checkpoint', 'last'] : [])]);
  const logFile = path.join(logsDir, `${run.name}.log`);
  const out = fs.openSync(logFile, 'a');
  fs.writeSync(out, `\n$ albert-train ${argv.join(' ')}\n`);
  const started = Date.now();
  const child: ChildProcess = spawn(process.execPath, [CHILD, ...argv], { stdio: ['ignore', out, out], env: { ...process.env, ...options.envForSlot(slot) } });
  fs.closeSync(out);
  if (child.pid !== undefined) fs.writeFileSync(pidFile, String(child.pid));
  log(`${tag}: ${found === 'interrupted' ? 'resuming from its last checkpoint' : 'started'} (log: ${logFile})`);
  const exitCode = await new Promise<number>((resolve) => {
    child.on('error', () => resolve(127));
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGINT' ? 2 : 15)));
  });
  fs.rmSync(pidFile, { force: true });
  const seconds = (Date.now() - started) / 1000;
  const finished = exitCode === 0 && runState(runDir) === 'finished';
  log(`${tag}: ${finished ? `finished in ${seconds.toFixed(1)} s` : `stopped (exit code ${exitCode}) after ${seconds.toFixed(1)} s; see ${logFile}`}`);
  return { run, found, exitCode: finished ? 0 : exitCode || 1, seconds };
}

/** Every run of the grid, `parallel` at a time, in grid order; resolves with each run's outcome. */
export async function runSweep(options: RunnerOptions): Promise<RunOutcome[]> {
  const outcomes: RunOutcome[] = new Array(options.runs.length);
  let next = 0;
  const slot = async (index: number) => {
    while (next < options.runs.length && !options.stopping()) {
      const i = next++;
      outcomes[i] = await runOne(options, options.runs[i], index, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.parallel, options.runs.length) }, (_, i) => slot(i)));
  return outcomes.filter((o) => o !== undefined);
}
