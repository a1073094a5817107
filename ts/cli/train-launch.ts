// The data-parallel side of `albert-train train`: with --nproc-per-node / --nnodes (and no
// torchrun variables in the environment) this process is the launcher and starts the workers;
// with RANK/WORLD_SIZE set (by that launcher, torchrun, or a cluster's) it is one worker and
// joins the job before training.
import { createHash } from 'crypto';
import { promises as fsp } from 'fs';
import * as path from 'path';
import type { TokenizedExample } from '../data/batching';
import { type WorkerEnvironment } from '../distributed/environment';
import { launchWorkers } from '../distributed/launcher';
import { type DistributedBackend, ProcessGroup } from '../distributed/process-group';
import { AlbertTrainerError } from '../errors';
import { setNumThreads } from '../info';
import type { AlbertConfig } from '../model/config';
import type { TrainingArguments } from '../train/arguments';

export interface LaunchFlags {
  'nproc-per-node': number;
  nnodes: number;
  'node-rank': number;
  'master-addr': string;
  'master-port'?: number;
  'output-dir': string;
}

/** Whether these flags ask this process to launch workers (it is not one itself). */
export function launchRequested(flags: LaunchFlags, worker: WorkerEnvironment | undefined): boolean {
  return !worker && (flags['nproc-per-node'] !== 1 || flags.nnodes !== 1);
}

/**
 * Starts the workers (each re-runs this command line, the torchrun variables telling it its
 * rank), waits for them, and sets the exit code. A failed job leaves no staging folder of the
 * output directory behind (checkpoints already written stay: they are complete).
 */
export async function launchTraining(flags: LaunchFlags): Promise<void> {
  const outcome = await launchWorkers({
    workerArgs: process.argv.slice(1), nprocPerNode: flags['nproc-per-node'], nnodes: flags.nnodes, nodeRank: flags['node-rank'],
    masterAddr: flags['master-addr'], masterPort: flags['master-port'] ?? (flags.nnodes === 1 ? 0 : 29500),
  });
  if (outcome.exitCode !== 0 && outcome.exitCode !== 130) {
    const out = path.resolve(flags['output-dir']);
    const staging = new RegExp(`^\\.${path.basename(out).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.tmp-`);
    const siblings = await fsp.readdir(path.dirname(out)).catch(() => [] as string[]);
    for (const name of siblings.filter((n) => staging.test(n))) await fsp.rm(path.join(path.dirname(out), name), { recursive: true, force: true });
  }
  process.exitCode = outcome.exitCode;
}

/**
 * What every rank must share for the job to be one run: the arguments, the model config, and
 * the data (sizes and a digest of the token ids and labels). Compared when the ranks join.
 */
export function runFingerprint(args: TrainingArguments, config: AlbertConfig, train: readonly TokenizedExample[], evalSet: readonly TokenizedExample[] | undefined): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ args, config }));
  for (const set of [train, evalSet ?? []]) {
    hash.update(`|${set.length}|`);
    for (const example of set) {
      hash.update(Int32Array.from(example.inputIds));
      hash.update(`${example.label};`);
    }
  }
  return hash.digest('hex');
}

/**
 * Joins the job this worker belongs to. A worker started by albert-train's launcher exits when
 * the launcher does (its IPC channel closes), so no worker outlives a killed launcher.
 */
export async function joinTrainingJob(
  worker: WorkerEnvironment,
  options: { backend: DistributedBackend; timeoutSeconds: number; fingerprint: string; threads: number | undefined },
): Promise<ProcessGroup> {
  const channel = (process as NodeJS.Process & { channel?: { unref(): void } }).channel; // typed in newer @types/node
  if (worker.launched && channel) {
    channel.unref();
    process.on('disconnect', () => {
      process.stderr.write(`albert-train: rank ${worker.rank}: the launcher is gone; stopping\n`);
      process.exit(1);
    });
  }
  if (options.threads === undefined && process.env.OMP_NUM_THREADS) {
    const threads = Number(process.env.OMP_NUM_THREADS);
    if (!Number.isSafeInteger(threads) || threads < 1) throw new AlbertTrainerError('ERR_ARGUMENT', `OMP_NUM_THREADS=${process.env.OMP_NUM_THREADS} is not a positive integer`);
    setNumThreads(threads);
  }
  return ProcessGroup.join({
    rank: worker.rank, worldSize: worker.worldSize, masterAddr: worker.masterAddr, masterPort: worker.masterPort,
    timeoutSeconds: options.timeoutSeconds, backend: options.backend, fingerprint: options.fingerprint,
  });
}
