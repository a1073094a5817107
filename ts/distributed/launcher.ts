// The process launcher for data-parallel training: torchrun's job, in Node.
//
// `albert-train train --nproc-per-node N ...` starts N workers on this node, each the same CLI
// with torchrun's environment (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, GROUP_RANK,
// MASTER_ADDR, MASTER_PORT); the workers join a c10d process group from it (not here).
//
// Design, in the order a run meets it:
// 1. Options are checked here, with messages naming the CLI flag.
// 2. Workers run in their own session (`detached: true`), so a terminal's Ctrl-C reaches only
//    the launcher, which forwards exactly one SIGINT per SIGINT it receives (first: finish the
//    step, save, exit 130; second: quit at once). SIGTERM is forwarded as SIGTERM. Signals go to
//    the worker's process group, as torchrun's `os.killpg`, so helpers a worker started go too.
// 3. Each worker has an IPC channel (stdio 3) whose closing tells it that the launcher died.
// 4. Rank 0 owns the terminal (stdin/stdout/stderr inherited, so its progress bar sees a TTY);
//    the others' output is forwarded line by line with a `[rank N] ` prefix.
// 5. The first worker to fail stops the rest: SIGTERM, then SIGKILL after `killGraceMs`.
//    Every path resolves (or rejects) only once every worker has exited: none is left behind.
import { type ChildProcess, spawn } from 'child_process';
import * as net from 'net';
import * as os from 'os';
import { StringDecoder } from 'string_decoder';
import { isNonNegativeSafeInteger, isPositiveSafeInteger } from '../checks';
import { AlbertTrainerError, invalidArgument } from '../errors';

export interface LaunchOptions {
  /** Each worker runs `process.execPath` with these arguments (the CLI script and its flags, minus the launcher's own). */
  workerArgs: string[];
  /** Workers on this node: a positive integer (--nproc-per-node). */
  nprocPerNode: number;
  /** Nodes in the job: a positive integer, 1 by default at the CLI (--nnodes). */
  nnodes: number;
  /** This node's index: an integer in [0, nnodes) (--node-rank). */
  nodeRank: number;
  /** Where rank 0 listens for the rendezvous, e.g. 127.0.0.1 (--master-addr). */
  masterAddr: string;
  /** 0: pick a free port on masterAddr (only allowed when nnodes == 1; an error otherwise). */
  masterPort: number;
  /** Extra environment for the workers, on top of process.env. */
  env?: NodeJS.ProcessEnv;
  /** After the first worker failure: SIGTERM to the others, SIGKILL after this many ms. Default 10000. */
  killGraceMs?: number;
  /** Where the launcher's own messages go. Default process.stderr. */
  log?: (line: string) => void;
}

export interface WorkerFailure {
  rank: number;
  localRank: number;
  pid: number;
  /** null when the worker died by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines (at most STDERR_TAIL_LINES) the worker wrote to stderr; empty for rank 0, whose stderr is inherited. */
  stderrTail: string;
}

export interface LaunchOutcome {
  /**
   * The exit code the launcher should exit with: 0 all fine; 130 when interrupted (SIGINT) and
   * the workers stopped cleanly; 143 when the launcher got SIGTERM and the workers stopped; the
   * failed worker's exit code (1 when it died by a signal) otherwise.
   */
  exitCode: number;
  /** The FIRST worker that failed. */
  failure?: WorkerFailure;
  /** Whether the launcher received SIGINT (or SIGTERM) while the workers ran. */
  interrupted: boolean;
  /** The port actually used. */
  masterPort: number;
}

const DEFAULT_KILL_GRACE_MS = 10_000;
const STDERR_TAIL_LINES = 20;
/** After a worker exits, how long its pipes may stay open (a helper it left holding them) before we close them. */
const PIPE_DRAIN_MS = 2_000;
/** Exit codes of a worker that stopped as asked after a forwarded SIGINT. */
const INTERRUPTED_EXIT_CODES = new Set([0, 130]);

interface Worker {
  rank: number;
  localRank: number;
  child: ChildProcess;
  /** Set once the process has exited (or never started). */
  exited: boolean;
  /** Set once it has exited and its pipes are drained: the launcher may resolve. */
  done: boolean;
  stderrTail: string[];
  drainTimer?: NodeJS.Timeout;
  flush: () => void;
}

// ---- options ---------------------------------------------------------------------------------------

interface Checked {
  workerArgs: string[];
  nprocPerNode: number;
  nnodes: number;
  nodeRank: number;
  masterAddr: string;
  masterPort: number;
  env: NodeJS.ProcessEnv;
  killGraceMs: number;
  log: (line: string) => void;
}

function check(options: LaunchOptions): Checked {
  const { workerArgs, nprocPerNode, nnodes, nodeRank, masterAddr, masterPort, env, killGraceMs = DEFAULT_KILL_GRACE_MS, log } = options;
  if (!Array.isArray(workerArgs) || !workerArgs.every((a) => typeof a === 'string')) throw invalidArgument('array of strings', 'workerArgs', workerArgs);
  if (!isPositiveSafeInteger(nprocPerNode)) throw invalidArgument('positive integer', '--nproc-per-node', nprocPerNode);
  if (!isPositiveSafeInteger(nnodes)) throw invalidArgument('positive integer', '--nnodes', nnodes);
  if (!isNonNegativeSafeInteger(nodeRank) || nodeRank >= nnodes) {
    throw invalidArgument(`integer from 0 to ${nnodes - 1} (--nnodes is ${nnodes})`, '--node-rank', nodeRank);
  }
  if (typeof masterAddr !== 'string' || masterAddr === '') throw invalidArgument('non-empty host name or address', '--master-addr', masterAddr);
  if (!isNonNegativeSafeInteger(masterPort) || masterPort > 65535) throw invalidArgument('integer from 0 to 65535', '--master-port', masterPort);
  if (masterPort === 0 && nnodes > 1) {
    throw new AlbertTrainerError('ERR_ARGUMENT',
      `--master-port 0 (pick a free port) works only with --nnodes 1: every node must be given the same port, so pass one (e.g. --master-port 29500)`);
  }
  if (env !== undefined && (env === null || typeof env !== 'object')) throw invalidArgument('object', 'env', env);
  if (typeof killGraceMs !== 'number' || !Number.isFinite(killGraceMs) || killGraceMs < 0) throw invalidArgument('non-negative number', 'killGraceMs', killGraceMs);
  if (log !== undefined && typeof log !== 'function') throw invalidArgument('function', 'log', log);
  return {
    workerArgs, nprocPerNode, nnodes, nodeRank, masterAddr, masterPort, env: env ?? {}, killGraceMs,
    log: log ?? ((line) => process.stderr.write(`${line}\n`)),
  };
}

/** A free TCP port on `host`: listen on port 0, read the port, close. (Another process may take it meanwhile, as with torchrun.) */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (error) => {
      reject(new AlbertTrainerError('ERR_ARGUMENT', `Cannot pick a free port (--master-port 0) on --master-addr ${host}: ${error.message}`));
    });
    server.listen(0, host, () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** torchrun's environment for one worker, on top of process.env and the caller's env. */
function workerEnv(o: Omit<Checked, 'log' | 'killGraceMs' | 'workerArgs'>, localRank: number): NodeJS.ProcessEnv {
  const base = { ...process.env, ...o.env };
  return {
    ...base,
    RANK: String(o.nodeRank * o.nprocPerNode + localRank),
    LOCAL_RANK: String(localRank),
    WORLD_SIZE: String(o.nnodes * o.nprocPerNode),
    LOCAL_WORLD_SIZE: String(o.nprocPerNode),
    GROUP_RANK: String(o.nodeRank),
    MASTER_ADDR: o.masterAddr,
    MASTER_PORT: String(o.masterPort),
    ALBERT_TRAINER_LAUNCHED: '1',
    // torchrun's rule: share the cores among the workers unless the user chose.
    OMP_NUM_THREADS: base.OMP_NUM_THREADS !== undefined && base.OMP_NUM_THREADS !== ''
      ? base.OMP_NUM_THREADS
      : String(Math.max(1, Math.floor(os.availableParallelism() / o.nprocPerNode))),
  };
}

// ---- launching ---------------------------------------------------------------------------------------

export async function launchWorkers(options: LaunchOptions): Promise<LaunchOutcome> {
  const o = check(options);
  const masterPort = o.masterPort === 0 ? await freePort(o.masterAddr) : o.masterPort;
  const resolved = { ...o, masterPort };

  return new Promise<LaunchOutcome>((resolve, reject) => {
    const workers: Worker[] = [];
    let failure: WorkerFailure | undefined;
    let spawnError: Error | undefined;
    let interrupted = false; // SIGINT received
    let terminated = false; // SIGTERM received
    let stopping = false; // a failure, a spawn error or SIGTERM: the others are being stopped
    let killTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const alive = () => workers.filter((w) => !w.exited);

    /** Signal a live worker's process group (its pid: it leads its own session); if that fails, the worker alone. */
    const signal = (w: Worker, sig: NodeJS.Signals) => {
      if (w.exited || w.child.pid === undefined) return;
      try {
        process.kill(-w.child.pid, sig);
      } catch {
        try {
          process.kill(w.child.pid, sig);
        } catch {
          // already gone; its 'exit' is on the way
        }
      }
    };

    const stopAll = (sig: NodeJS.Signals) => {
      stopping = true;
      for (const w of alive()) signal(w, sig);
      if (killTimer === undefined && alive().length > 0) {
        killTimer = setTimeout(() => {
          for (const w of alive()) {
            o.log(`albert-train: rank ${w.rank} (pid ${w.child.pid}) did not stop within ${o.killGraceMs} ms of ${sig}; killing it`);
            signal(w, 'SIGKILL');
          }
        }, o.killGraceMs);
      }
    };

    const onSigint = () => {
      interrupted = true;
      for (const w of alive()) signal(w, 'SIGINT');
    };
    const onSigterm = () => {
      terminated = true;
      stopAll('SIGTERM');
    };
    // If the launcher exits anyway (process.exit, an uncaught error), ask the workers to stop; they
    // would notice the closed IPC channel too, but a signal does not depend on their handlers.
    const onExit = () => {
      for (const w of alive()) signal(w, 'SIGTERM');
    };
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigterm);
    process.on('exit', onExit);

    const finish = () => {
      if (settled || !workers.every((w) => w.done)) return;
      settled = true;
      process.removeListener('SIGINT', onSigint);
      process.removeListener('SIGTERM', onSigterm);
      process.removeListener('exit', onExit);
      if (killTimer !== undefined) clearTimeout(killTimer);
      if (spawnError !== undefined) {
        reject(spawnError);
        return;
      }
      if (failure !== undefined) {
        const w = workers[failure.localRank];
        failure.stderrTail = w.stderrTail.join('\n');
      }
      const exitCode = failure !== undefined ? (failure.exitCode ?? 1) : terminated ? 143 : interrupted ? 130 : 0;
      resolve({ exitCode, failure, interrupted: interrupted || terminated, masterPort });
    };

    const markDone = (w: Worker) => {
      if (w.done) return;
      if (w.drainTimer !== undefined) clearTimeout(w.drainTimer);
      w.flush();
      w.done = true;
      finish();
    };

    const onWorkerExit = (w: Worker, code: number | null, sig: NodeJS.Signals | null) => {
      w.exited = true;
      // A helper that kept the worker's pipes open must not keep the launcher waiting.
      w.drainTimer = setTimeout(() => {
        w.child.stdout?.destroy();
        w.child.stderr?.destroy();
        if (w.child.connected) w.child.disconnect();
        markDone(w);
      }, PIPE_DRAIN_MS);
      const clean = code === 0 || (interrupted && (INTERRUPTED_EXIT_CODES.has(code ?? -1) || sig === 'SIGINT'));
      if (clean || stopping || failure !== undefined) return;
      failure = { rank: w.rank, localRank: w.localRank, pid: w.child.pid ?? -1, exitCode: code, signal: sig, stderrTail: '' };
      const others = alive().length;
      const how = sig !== null ? `was killed by ${sig}` : `exited with code ${code}`;
      o.log(`albert-train: rank ${w.rank} (local rank ${w.localRank}, pid ${w.child.pid}) ${how}${others > 0 ? `; stopping the other ${others} worker(s)` : ''}`);
      stopAll('SIGTERM');
    };

    const onSpawnError = (w: Worker, error: Error) => {
      w.exited = true;
      if (spawnError === undefined) {
        spawnError = new AlbertTrainerError('ERR_IO', `albert-train: cannot start the worker for rank ${w.rank} (local rank ${w.localRank}): ${error.message}`);
        const others = alive().length;
        if (others > 0) o.log(`${spawnError.message}; stopping the other ${others} worker(s)`);
      }
      stopAll('SIGTERM');
      markDone(w);
    };

    for (let localRank = 0; localRank < o.nprocPerNode; localRank++) {
      const rank = o.nodeRank * o.nprocPerNode + localRank;
      let child: ChildProcess;
      try {
        child = spawn(process.execPath, o.workerArgs, {
          env: workerEnv(resolved, localRank),
          detached: true,
          stdio: rank === 0 ? ['inherit', 'inherit', 'inherit', 'ipc'] : ['ignore', 'pipe', 'pipe', 'ipc'],
        });
      } catch (error) {
        // A synchronous refusal (bad arguments, EMFILE): no process to wait for.
        spawnError = new AlbertTrainerError('ERR_IO',
          `albert-train: cannot start the worker for rank ${rank} (local rank ${localRank}): ${(error as Error).message}`);
        if (workers.length > 0) o.log(`${spawnError.message}; stopping the other ${workers.length} worker(s)`);
        stopAll('SIGTERM');
        break;
      }
      const w: Worker = { rank, localRank, child, exited: false, done: false, stderrTail: [], flush: () => {} };
      workers.push(w);
      if (rank !== 0) {
        const flushOut = forwardLines(child.stdout!, `[rank ${rank}] `, (line) => process.stdout.write(line));
        const flushErr = forwardLines(child.stderr!, `[rank ${rank}] `, (line) => process.stderr.write(line), (text) => {
          w.stderrTail.push(text);
          if (w.stderrTail.length > STDERR_TAIL_LINES) w.stderrTail.shift();
        });
        w.flush = () => {
          flushOut();
          flushErr();
        };
      }
      child.on('error', (error) => {
        if (child.pid === undefined && !w.exited) onSpawnError(w, error);
        // Otherwise a failed kill or IPC send: the 'exit' event still decides.
      });
      child.on('exit', (code, sig) => onWorkerExit(w, code, sig));
      child.on('close', () => {
        if (w.exited) markDone(w);
      });
    }
    finish(); // nothing started at all (a synchronous refusal of the first worker)
  });
}

/**
 * Forward a stream line by line with a prefix; `onLine` also sees each line (no newline).
 * Returns a flush for a last line without a newline.
 */
function forwardLines(stream: NodeJS.ReadableStream, prefix: string, write: (text: string) => void, onLine?: (line: string) => void): () => void {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let flushed = false;
  const emit = (line: string) => {
    write(`${prefix}${line}\n`);
    onLine?.(line);
  };
  stream.on('data', (chunk: Buffer) => {
    pending += decoder.write(chunk);
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      emit(pending.slice(0, newline).replace(/\r$/, ''));
      pending = pending.slice(newline + 1);
    }
  });
  stream.on('error', () => {
    // a destroyed pipe after the drain timeout; nothing more to forward
  });
  const flush = () => {
    if (flushed) return;
    flushed = true;
    pending += decoder.end();
    if (pending !== '') emit(pending);
    pending = '';
  };
  stream.on('end', flush);
  return flush;
}
