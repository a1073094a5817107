// `albert-train sweep`: `train` over a grid. Comma lists for --learning-rate, --seed,
// --per-device-train-batch-size and --num-train-epochs; every other `train` flag goes to every
// run as typed. One subfolder per run under --output-dir (each exactly the output folder of
// `albert-train train` with the run's flags and --threads), logs/<run>.log, and the summary
// (sweep.json, sweep.md, sweep.svg: ts/sweep/summary.ts). --parallel N runs N at a time with the
// CPU's cores split between them (--threads per run) and, where there are several GPUs, one each.
// Started again with the same command, it skips finished runs and resumes interrupted ones from
// their last checkpoint (sweep-plan.json records the grid, and the threads per run, which stay
// those of the first start so that every run is the same computation whatever --parallel is).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Argv } from 'yargs';
import { AlbertTrainerError, invalidArgument } from '../errors';
import { info } from '../info';
import { SWEPT_FLAGS, type SweptFlag, gridRuns, parseList, passThroughArgs } from '../sweep/grid';
import { runSweep, runState } from '../sweep/runner';
import { type RunSummary, summarize, summarizeRun, sweepMarkdown, writeSummary } from '../sweep/summary';
import { trainOptions } from './train-command';

let numberFlags = new Set<string>();

export function sweepOptions(y: Argv) {
  // train's options, the swept ones declared as strings (comma lists) from the start: yargs keeps
  // an option's first type, and a number option would turn "1e-5,2e-5" into NaN.
  const swept = new Set<string>(SWEPT_FLAGS.map((s) => s.flag));
  const list = (flag: string) => ({ type: 'string' as const, describe: `one value or a comma-separated list to sweep (${flag === 'seed' ? 'e.g. 1,2,3,4,5' : flag === 'learning-rate' ? 'e.g. 1e-5,2e-5,4e-5' : 'e.g. 16,32'})` });
  const declaring: Argv = new Proxy(y, {
    get(target, property) {
      if (property === 'option') {
        return (key: string, options: Record<string, unknown>) => {
          target.option(key, swept.has(key) ? list(key) : options);
          return declaring;
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  trainOptions(declaring);
  // yargs' own table of the declared options (not in its types): which train flags take a number.
  numberFlags = new Set((y as unknown as { getOptions(): { number: string[] } }).getOptions().number);
  // Checked here, before yargs reads the values: a comma list for a flag that cannot be swept is
  // said to be that, not "not a number".
  // (An error thrown in a yargs builder escapes its .fail handler: said here as that handler says it.)
  try {
    passThroughArgs(sweepTokens(), numberFlags);
  } catch (error) {
    process.stderr.write(`albert-train: ${(error as AlbertTrainerError).code}: ${(error as Error).message}\n`);
    process.exit(2);
  }
  return (y as ReturnType<typeof trainOptions>)
    .option('parallel', { type: 'number', default: 1, describe: 'runs side by side (the CPU\'s cores are split between them; one GPU each where there are several)' })
    .option('output-dir', { type: 'string', demandOption: true, describe: 'the sweep folder: a subfolder per run, logs/, sweep.json, sweep.md, sweep.svg' });
}

type SweepFlags = Awaited<ReturnType<ReturnType<typeof sweepOptions>['parseAsync']>>;

interface SweepPlan {
  format: 1;
  pass_through: string[];
  runs: string[];
  threads_per_run: number | null;
}

/** The tokens after the `sweep` command word, as typed. */
function sweepTokens(): string[] {
  const argv = process.argv.slice(2);
  return argv.slice(argv.indexOf('sweep') + 1);
}

/** The sweep folder: new (or empty), or one this same sweep started. Returns its plan. */
function preparePlan(dir: string, plan: SweepPlan, threadsGiven: boolean): SweepPlan {
  const file = path.join(dir, 'sweep-plan.json');
  const entries = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  if (entries.length > 0 && !entries.includes('sweep-plan.json')) {
    throw new AlbertTrainerError('ERR_IO', `${dir}: exists and holds no sweep (no sweep-plan.json); choose another --output-dir or remove it`);
  }
  if (entries.includes('sweep-plan.json')) {
    const earlier = JSON.parse(fs.readFileSync(file, 'utf8')) as SweepPlan;
    const same = JSON.stringify(earlier.runs) === JSON.stringify(plan.runs) && JSON.stringify(earlier.pass_through) === JSON.stringify(plan.pass_through);
    if (!same) {
      throw new AlbertTrainerError('ERR_ARGUMENT', `${file}: this folder holds a sweep with other flags or another grid ` +
        `(runs ${earlier.runs.join(', ')}; flags ${earlier.pass_through.join(' ') || 'none'}); continue it with the same command, or choose another --output-dir`);
    }
    // The same computation per run as at the first start, whatever --parallel is now.
    return threadsGiven ? { ...earlier, threads_per_run: null } : earlier;
  }
  fs.mkdirSync(dir, { recursive: true });
  const temporary = path.join(dir, `.sweep-plan.json.tmp-${process.pid}`);
  fs.writeFileSync(temporary, `${JSON.stringify(plan, null, 2)}\n`);
  fs.renameSync(temporary, file);
  return plan;
}

export async function runSweepCommand(flags: SweepFlags): Promise<void> {
  const started = Date.now();
  const tokens = sweepTokens();
  const given = (flag: string) => tokens.some((t) => t.startsWith('--') && t.slice(2).split('=')[0].replace(/_/g, '-') === flag);
  const lists: Partial<Record<SweptFlag, number[]>> = {};
  for (const { flag } of SWEPT_FLAGS) if (given(flag)) lists[flag] = parseList(flag, (flags as Record<string, unknown>)[flag]);
  const parallel = flags.parallel;
  if (typeof parallel !== 'number' || !Number.isInteger(parallel) || parallel < 1) throw invalidArgument('positive integer', '--parallel', parallel);
  const passThrough = passThroughArgs(tokens, numberFlags);
  if (flags['eval-strategy'] === 'no') throw new AlbertTrainerError('ERR_ARGUMENT', '--eval-strategy no: a sweep compares the runs\' accuracies, so they need evaluations (--eval-strategy epoch or steps)');
  const runs = gridRuns(lists);
  const threadsGiven = given('threads');
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const sweepDir = flags['output-dir'];
  const plan = preparePlan(sweepDir, { format: 1, pass_through: passThrough, runs: runs.map((r) => r.name), threads_per_run: threadsGiven ? null : Math.max(1, Math.floor(cores / parallel)) }, threadsGiven);
  const threads = plan.threads_per_run;
  const gpus = flags.device === 'cpu' ? 0 : info().cudaDeviceCount;
  const log = (line: string) => process.stderr.write(`albert-train sweep: ${line}\n`);
  log(`${runs.length} run${runs.length === 1 ? '' : 's'} in ${sweepDir}, ${parallel} at a time${threads ? `, --threads ${threads} each` : ''}${gpus > 1 ? `, one of ${gpus} GPUs each` : ''}`);

  let stopping = false;
  const onSigint = () => {
    stopping = true;
    log('stopping: the running runs save a checkpoint and stop; run the same command again to continue');
  };
  process.on('SIGINT', onSigint);
  const outcomes = await runSweep({
    sweepDir, runs, passThrough, parallel, extraArgs: threads ? ['--threads', String(threads)] : [],
    envForSlot: (slot): Record<string, string> => (gpus > 1 ? { CUDA_VISIBLE_DEVICES: String(slot % gpus) } : {}),
    log, stopping: () => stopping,
  }).finally(() => process.off('SIGINT', onSigint));

  const finished = runs.filter((run) => runState(path.join(sweepDir, run.name)) === 'finished');
  const summaries: RunSummary[] = finished.map((run) => summarizeRun(path.join(sweepDir, run.name), run));
  const summary = summarize(summaries);
  const unfinished = runs.filter((run) => !finished.includes(run)).map((run) => run.name);
  writeSummary(sweepDir, summary, { complete: unfinished.length === 0, unfinished, grid: lists, pass_through: passThrough, threads_per_run: threads,
    parallel, wall_seconds_this_invocation: (Date.now() - started) / 1000 });
  process.stdout.write(`${sweepMarkdown(summary).split('\n## Runs')[0].replace(/^# Sweep\n\n/, '').replace(/!\[.*\]\(sweep\.svg\)\n?/, '').trimEnd()}\n\n`);
  const failed = outcomes.filter((o) => o.exitCode !== 0);
  const wall = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`${finished.length} of ${runs.length} runs finished; this invocation took ${wall} s (--parallel ${parallel}); summary in ${path.join(sweepDir, 'sweep.md')}\n`);
  if (unfinished.length > 0) {
    const why = failed.map((o) => `${o.run.name} (exit code ${o.exitCode}; ${path.join(sweepDir, 'logs', `${o.run.name}.log`)})`).join(', ');
    process.stderr.write(`albert-train sweep: ${unfinished.length} run${unfinished.length === 1 ? '' : 's'} not finished: ${why || unfinished.join(', ')}; run the same command again to continue\n`);
    process.exitCode = stopping ? 130 : 1;
  }
}
