// The data-parallel launcher (ts/distributed/launcher.ts) over fake workers (fixtures/worker.js): the
// torchrun environment, the first failure stopping the rest (SIGTERM, then SIGKILL), Ctrl-C
// forwarded once per Ctrl-C, prefixed output of the other ranks, a free port, bad options.
// Signal tests run the launcher in a child process (fixtures/driver.js over a transpiled copy),
// since jest's own process must not be signalled.
import { type ChildProcess, type SpawnOptions, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { type LaunchOptions, type LaunchOutcome, launchWorkers } from '../../ts/distributed/launcher';

// The module object itself (not an import's copy), so that jest.spyOn reaches the launcher's calls.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const childProcess = require('child_process') as typeof import('child_process');
const REPO_ROOT = path.resolve(__dirname, '..', '..');
const WORKER = path.join(__dirname, 'fixtures', 'worker.js');
const DRIVER = path.join(__dirname, 'fixtures', 'driver.js');

let work: string;
let dirCount = 0;

/** A fresh folder for one launch's ready, env and signal files. */
function runDir(): string {
  const dir = path.join(work, `run-${dirCount++}`);
  fs.mkdirSync(dir);
  return dir;
}

function options(dir: string, behaviours: string[], overrides: Partial<LaunchOptions> = {}): LaunchOptions {
  return {
    workerArgs: [WORKER, dir, ...behaviours], nprocPerNode: behaviours.length, nnodes: 1, nodeRank: 0,
    masterAddr: '127.0.0.1', masterPort: 29511, killGraceMs: 10_000, log: () => {}, ...overrides,
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readPid(dir: string, rank: number): number {
  return Number(fs.readFileSync(path.join(dir, `ready-${rank}`), 'utf8'));
}

function signals(dir: string, rank: number): string[] {
  const file = path.join(dir, `signals-${rank}`);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : [];
}

/** Waits for `condition` by turning the event loop (setImmediate, which the fake-timer test leaves real). */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let turns = 0; !condition(); turns++) {
    if (turns > 5_000_000) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-launcher-'));
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('the environment', () => {
  test('torchrun variables for node 1 of 2, two workers each; OMP_NUM_THREADS shares the cores', async () => {
    const dir = runDir();
    const outcome = await launchWorkers(options(dir, ['env', 'env'], { nnodes: 2, nodeRank: 1, masterAddr: 'localhost', env: { EXTRA: 'x' } }));
    expect(outcome).toEqual({ exitCode: 0, failure: undefined, interrupted: false, masterPort: 29511 });
    const omp = String(Math.max(1, Math.floor(os.availableParallelism() / 2)));
    for (const [rank, localRank] of [[2, 0], [3, 1]]) {
      expect(JSON.parse(fs.readFileSync(path.join(dir, `env-${rank}.json`), 'utf8'))).toEqual({
        RANK: String(rank), LOCAL_RANK: String(localRank), WORLD_SIZE: '4', LOCAL_WORLD_SIZE: '2', GROUP_RANK: '1',
        MASTER_ADDR: 'localhost', MASTER_PORT: '29511', ALBERT_TRAINER_LAUNCHED: '1', OMP_NUM_THREADS: omp, EXTRA: 'x',
      });
    }
  });

  test('OMP_NUM_THREADS given by the caller is kept', async () => {
    const dir = runDir();
    await launchWorkers(options(dir, ['env', 'env'], { env: { OMP_NUM_THREADS: '7' } }));
    for (const rank of [0, 1]) expect(JSON.parse(fs.readFileSync(path.join(dir, `env-${rank}.json`), 'utf8')).OMP_NUM_THREADS).toBe('7');
  });

  test('--master-port 0 picks a free port, and every worker gets it', async () => {
    const dir = runDir();
    const outcome = await launchWorkers(options(dir, ['env', 'env', 'env'], { masterPort: 0 }));
    expect(outcome.masterPort).toBeGreaterThan(0);
    expect(outcome.masterPort).toBeLessThan(65536);
    for (const rank of [0, 1, 2]) {
      expect(JSON.parse(fs.readFileSync(path.join(dir, `env-${rank}.json`), 'utf8')).MASTER_PORT).toBe(String(outcome.masterPort));
    }
  });
});

describe('a failing worker', () => {
  test('exit code 3 stops the sleeping one, is reported once, and gives the exit code', async () => {
    const dir = runDir();
    const log: string[] = [];
    // The grace before SIGKILL is far longer than jest's timeout: the sleeper must stop on SIGTERM.
    const outcome = await launchWorkers(options(dir, ['sleep', 'exit:3'], { killGraceMs: 3_600_000, log: (line) => log.push(line) }));
    const sleeper = readPid(dir, 0);
    expect(outcome).toEqual({
      exitCode: 3, interrupted: false, masterPort: 29511,
      failure: { rank: 1, localRank: 1, pid: readPid(dir, 1), exitCode: 3, signal: null, stderrTail: '' },
    });
    expect(log).toEqual([`albert-train: rank 1 (local rank 1, pid ${readPid(dir, 1)}) exited with code 3; stopping the other 1 worker(s)`]);
    expect(alive(sleeper)).toBe(false);
  });

  test('a worker killed by SIGKILL: the signal is named, exit code 1', async () => {
    const dir = runDir();
    const log: string[] = [];
    const outcome = await launchWorkers(options(dir, ['sleep', 'sigkill', 'sleep'], { log: (line) => log.push(line) }));
    expect(outcome.exitCode).toBe(1);
    expect(outcome.failure).toMatchObject({ rank: 1, exitCode: null, signal: 'SIGKILL' });
    expect(log).toEqual([`albert-train: rank 1 (local rank 1, pid ${readPid(dir, 1)}) was killed by SIGKILL; stopping the other 2 worker(s)`]);
    for (const rank of [0, 2]) expect(alive(readPid(dir, rank))).toBe(false);
  });

  test('a worker that ignores SIGTERM is killed after killGraceMs, not before', async () => {
    // The launcher's timers run on jest's fake clock: the grace is counted exactly, whatever the machine's load.
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask', 'Date', 'hrtime', 'performance'] });
    try {
      const dir = runDir();
      const log: string[] = [];
      const running = launchWorkers(options(dir, ['ignore-term', 'exit:2'], { killGraceMs: 500, log: (line) => log.push(line) }));
      await until(() => signals(dir, 0).length > 0, 'rank 0 got SIGTERM');
      expect(signals(dir, 0)).toEqual(['SIGTERM']);
      expect(log).toHaveLength(1); // rank 1's failure
      jest.advanceTimersByTime(499);
      expect(log).toHaveLength(1);
      expect(alive(readPid(dir, 0))).toBe(true);
      jest.advanceTimersByTime(1);
      expect(log[1]).toBe(`albert-train: rank 0 (pid ${readPid(dir, 0)}) did not stop within 500 ms of SIGTERM; killing it`);
      const outcome = await running;
      expect(outcome.exitCode).toBe(2);
      expect(outcome.failure).toMatchObject({ rank: 1, exitCode: 2 });
      expect(signals(dir, 0)).toEqual(['SIGTERM']);
      expect(alive(readPid(dir, 0))).toBe(false);
    } finally {
      jest.useRealTimers();
    }
  });

  test('the other ranks\' output is prefixed, and the stderr tail is in the failure', async () => {
    const dir = runDir();
    const out: string[] = [];
    const err: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
    let outcome: LaunchOutcome;
    try {
      outcome = await launchWorkers(options(dir, ['sleep', 'stderr:4']));
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    expect(out).toEqual(['[rank 1] hello from rank 1\n']);
    expect(err).toEqual([...Array.from({ length: 30 }, (_, i) => `[rank 1] line ${i}\n`), '[rank 1] no newline at the end\n']);
    expect(outcome.exitCode).toBe(4);
    expect(outcome.failure?.stderrTail).toBe([...Array.from({ length: 19 }, (_, i) => `line ${i + 11}`), 'no newline at the end'].join('\n'));
  });

  test('a worker that cannot be started: the started ones are stopped, and the launch rejects', async () => {
    const dir = runDir();
    const realSpawn = childProcess.spawn;
    const started: ChildProcess[] = [];
    const spy = jest.spyOn(childProcess, 'spawn').mockImplementation(((file: string, args: string[], opts: SpawnOptions) => {
      const child = realSpawn(started.length === 1 ? path.join(work, 'no-such-node') : file, args, opts);
      started.push(child);
      return child;
    }) as typeof childProcess.spawn);
    const log: string[] = [];
    try {
      await expect(launchWorkers(options(dir, ['sleep', 'sleep'], { log: (line) => log.push(line) }))).rejects.toMatchObject({
        code: 'ERR_IO', message: expect.stringMatching(/^albert-train: cannot start the worker for rank 1 \(local rank 1\): spawn .*no-such-node ENOENT$/),
      });
    } finally {
      spy.mockRestore();
    }
    expect(log).toEqual([expect.stringMatching(/ENOENT; stopping the other 1 worker\(s\)$/)]);
    expect(started).toHaveLength(2);
    expect(started[0].exitCode !== null || started[0].signalCode !== null).toBe(true);
    expect(alive(started[0].pid!)).toBe(false);
  });

  test('arguments spawn refuses outright: the launch rejects, nothing is left running', async () => {
    await expect(launchWorkers(options(runDir(), ['env', 'env'], { workerArgs: [WORKER, 'bad\0arg'] }))).rejects.toMatchObject({
      code: 'ERR_IO', message: expect.stringMatching(/^albert-train: cannot start the worker for rank 0 \(local rank 0\): /),
    });
  });

  test('exit 0 while another still runs is fine; signal handlers are removed afterwards', async () => {
    const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM'), process.listenerCount('exit')];
    const outcome = await launchWorkers(options(runDir(), ['exit:0', 'env']));
    expect(outcome).toEqual({ exitCode: 0, failure: undefined, interrupted: false, masterPort: 29511 });
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM'), process.listenerCount('exit')]).toEqual(before);
  });
});

describe('signals to the launcher', () => {
  let compiled: string;

  // The launcher as plain JS, for a driver in its own process (no build of dist/ needed).
  beforeAll(() => {
    compiled = path.join(work, 'compiled');
    for (const file of ['distributed/launcher.ts', 'errors.ts', 'checks.ts']) {
      const source = fs.readFileSync(path.join(REPO_ROOT, 'ts', file), 'utf8');
      const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } });
      fs.mkdirSync(path.dirname(path.join(compiled, file)), { recursive: true });
      fs.writeFileSync(path.join(compiled, file.replace(/\.ts$/, '.js')), js.outputText);
    }
  });

  interface Driver {
    child: ChildProcess;
    stdout: () => string;
    done: Promise<number | null>;
  }

  /** The launcher in its own process group, as a shell runs a foreground job. */
  function driver(dir: string, behaviours: string[], overrides: Partial<LaunchOptions> = {}): Driver {
    const { log: _log, ...plain } = options(dir, behaviours, overrides);
    const child = spawn(process.execPath, [DRIVER, path.join(compiled, 'distributed', 'launcher.js'), JSON.stringify(plain)],
      { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    return { child, stdout: () => stdout, done };
  }

  async function ready(dir: string, ranks: number[]): Promise<void> {
    const started = Date.now();
    while (!ranks.every((r) => fs.existsSync(path.join(dir, `ready-${r}`)))) {
      if (Date.now() - started > 20_000) throw new Error(`workers not ready in ${dir}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Ctrl-C in a terminal: SIGINT to the whole foreground process group. */
  const ctrlC = (d: Driver) => process.kill(-d.child.pid!, 'SIGINT');

  function outcome(d: Driver): LaunchOutcome & { listeners: number } {
    const line = d.stdout().split('\n').find((l) => l.startsWith('OUTCOME '));
    if (line === undefined) throw new Error(`no outcome in:\n${d.stdout()}`);
    return JSON.parse(line.slice('OUTCOME '.length));
  }

  test('Ctrl-C reaches each worker exactly once; they stop with 130 and so does the launcher', async () => {
    const dir = runDir();
    const d = driver(dir, ['sigint', 'sigint']);
    await ready(dir, [0, 1]);
    ctrlC(d);
    expect(await d.done).toBe(0);
    expect(outcome(d)).toEqual({ exitCode: 130, interrupted: true, masterPort: 29511, listeners: 0 });
    expect(d.stdout()).not.toContain('LOG ');
    for (const rank of [0, 1]) expect(signals(dir, rank)).toEqual(['SIGINT']);
  });

  test('a second Ctrl-C is forwarded again and the workers quit at once', async () => {
    const dir = runDir();
    const d = driver(dir, ['sigint-slow', 'sigint-slow']);
    await ready(dir, [0, 1]);
    ctrlC(d);
    const deadline = Date.now() + 10_000;
    while (!(signals(dir, 0).length === 1 && signals(dir, 1).length === 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    ctrlC(d);
    expect(await d.done).toBe(0);
    expect(outcome(d)).toMatchObject({ exitCode: 130, interrupted: true });
    for (const rank of [0, 1]) expect(signals(dir, rank)).toEqual(['SIGINT', 'SIGINT']);
  });

  test('SIGTERM to the launcher is forwarded as SIGTERM: exit code 143, no failure', async () => {
    const dir = runDir();
    const d = driver(dir, ['sigterm', 'sigterm']);
    await ready(dir, [0, 1]);
    d.child.kill('SIGTERM');
    expect(await d.done).toBe(0);
    expect(outcome(d)).toEqual({ exitCode: 143, interrupted: true, masterPort: 29511, listeners: 0 });
    for (const rank of [0, 1]) expect(signals(dir, rank)).toEqual(['SIGTERM']);
  });

  test('a worker with no SIGINT handler dies by it: that too is a clean stop', async () => {
    const dir = runDir();
    const d = driver(dir, ['sigint', 'sleep']);
    await ready(dir, [0, 1]);
    ctrlC(d);
    expect(await d.done).toBe(0);
    expect(outcome(d)).toEqual({ exitCode: 130, interrupted: true, masterPort: 29511, listeners: 0 });
    expect(d.stdout()).not.toContain('LOG ');
  });

  test('a worker that fails while stopping after Ctrl-C is still a failure', async () => {
    const dir = runDir();
    const d = driver(dir, ['sigint', 'sigint:5', 'sigint-slow'], { killGraceMs: 500 });
    await ready(dir, [0, 1, 2]);
    ctrlC(d);
    expect(await d.done).toBe(0);
    expect(outcome(d)).toMatchObject({ exitCode: 5, interrupted: true, failure: { rank: 1, exitCode: 5, signal: null } });
    expect(d.stdout()).toContain(`LOG albert-train: rank 1 (local rank 1, pid ${readPid(dir, 1)}) exited with code 5; stopping the other`);
    expect(signals(dir, 2)).toEqual(['SIGINT', 'SIGTERM']); // the slow saver was stopped
  });
});

describe('bad options', () => {
  const base = (): LaunchOptions => options(path.join(os.tmpdir(), 'unused'), ['env']);
  test.each([
    [{ nprocPerNode: 0 }, 'Expected positive integer for --nproc-per-node but received 0 of type number'],
    [{ nprocPerNode: 1.5 }, 'Expected positive integer for --nproc-per-node but received 1.5 of type number'],
    [{ nnodes: '2' }, 'Expected positive integer for --nnodes but received "2" of type string'],
    [{ nnodes: 2, nodeRank: 2 }, 'Expected integer from 0 to 1 (--nnodes is 2) for --node-rank but received 2 of type number'],
    [{ nodeRank: -1 }, 'Expected integer from 0 to 0 (--nnodes is 1) for --node-rank but received -1 of type number'],
    [{ masterPort: 65536 }, 'Expected integer from 0 to 65535 for --master-port but received 65536 of type number'],
    [{ masterPort: 80.5 }, 'Expected integer from 0 to 65535 for --master-port but received 80.5 of type number'],
    [{ masterPort: 0, nnodes: 2, nodeRank: 1 }, /^--master-port 0 \(pick a free port\) works only with --nnodes 1/],
    [{ masterAddr: '' }, 'Expected non-empty host name or address for --master-addr but received "" of type string'],
    [{ killGraceMs: -1 }, 'Expected non-negative number for killGraceMs but received -1 of type number'],
  ] as [Record<string, unknown>, string | RegExp][])('%j', async (overrides, message) => {
    await expect(launchWorkers({ ...base(), ...overrides } as LaunchOptions)).rejects.toMatchObject({
      name: 'AlbertTrainerError', code: 'ERR_ARGUMENT', message: typeof message === 'string' ? message : expect.stringMatching(message),
    });
  });
});
