// Data-parallel jobs that go wrong end, each with one clear message and a non-zero exit of its
// own, never a hang: a rank killed mid-run, a wrong MASTER_PORT, mismatched world sizes, ranks
// started with other arguments. No test times the job: one that hangs is killed by start()'s
// limit and fails on its exit status (null, signal SIGKILL) instead of jest's timeout. Ctrl-C stops every rank after the same step, saves a
// checkpoint, and the run resumes to the same result as an uninterrupted one.
import { type ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { makeCliFixture } from '../helpers/cli-fixture';
import { REPO_ROOT, SHARED_DATA } from '../helpers/paths';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
let work: string;
let modelDir: string;
let dataDir: string;

interface Finished { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Starts the CLI; `done` resolves when it exits (killed after `limitMs`, so a hang fails the test instead of jest). */
function start(args: string[], env: NodeJS.ProcessEnv = {}, limitMs = 90_000): { child: ChildProcess; done: Promise<Finished>; stdout: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ALBERT_TRAINER_DATA: SHARED_DATA, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const done = new Promise<Finished>((resolve) => child.on('close', (status, signal) => {
    clearTimeout(timer);
    resolve({ status, signal, stdout, stderr });
  }));
  return { child, done, stdout: () => stdout };
}

async function until(condition: () => boolean, limitMs = 60_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The pids of `parent`'s children whose environment says RANK=`rank`. */
function workerPid(parent: number, rank: number): number | undefined {
  for (const entry of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const status = fs.readFileSync(`/proc/${entry}/status`, 'utf8');
      if (Number(/PPid:\s+(\d+)/.exec(status)?.[1]) !== parent) continue;
      if (fs.readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`RANK=${rank}`)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const trainArgs = (out: string, more: string[] = []) => ['train', '--model', modelDir, '--init', 'random', '--dataset', dataDir, '--output-dir', out,
  '--per-device-train-batch-size', '8', '--learning-rate', '1e-3', '--amp', 'off', '--log-format', 'jsonl', '--logging-steps', '1', ...more];

beforeAll(() => {
  ({ work, modelDir, dataDir } = makeCliFixture('albert-ddp-fail-', { train: 96, test: 32 }));
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test('a rank killed mid-run ends the job with a message naming it, leaves no worker behind and no output directory', async () => {
  const out = path.join(work, 'killed');
  const run = start(trainArgs(out, ['--nproc-per-node', '2', '--num-train-epochs', '200', '--save-strategy', 'no']));
  await until(() => run.stdout().includes('"type":"log"'));
  const rank0 = workerPid(run.child.pid as number, 0) as number;
  const rank1 = workerPid(run.child.pid as number, 1) as number;
  expect(rank0).toBeGreaterThan(0);
  expect(rank1).toBeGreaterThan(0);
  process.kill(rank1, 'SIGKILL');
  const result = await run.done;
  expect({ status: result.status, signal: result.signal }).toEqual({ status: 1, signal: null }); // the launcher's own exit, not start()'s limit
  expect(result.stderr).toMatch(/rank 1 \(local rank 1, pid \d+\) was killed by SIGKILL/);
  expect(alive(rank0)).toBe(false);
  expect(fs.existsSync(path.join(out, 'model.safetensors'))).toBe(false);
  expect(fs.readdirSync(work).filter((n) => n.startsWith('.killed.tmp-'))).toEqual([]);
});

test('a wrong MASTER_PORT: both ranks fail within the timeout, each saying what it could not reach', async () => {
  const [port, wrong] = [await freePort(), await freePort()];
  const env = (rank: number, p: number) => ({ RANK: String(rank), WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(p) });
  const args = trainArgs(path.join(work, 'wrong-port'), ['--ddp-timeout', '5', '--save-strategy', 'no']);
  const [r0, r1] = await Promise.all([start(args, env(0, port)).done, start(args, env(1, wrong)).done]);
  expect(r0.status).toBe(2);
  expect(r0.stderr).toContain(`ERR_DISTRIBUTED: only 1 of 2 processes joined the rendezvous at 127.0.0.1:${port} within 5 s; missing rank(s) 1`);
  expect(r1.status).toBe(2);
  expect(r1.stderr).toContain(`ERR_DISTRIBUTED: rank 1: could not reach the rendezvous at 127.0.0.1:${wrong} within 5 s`);
  expect(fs.existsSync(path.join(work, 'wrong-port'))).toBe(false);
});

test('mismatched world sizes: both ranks stop at once, naming the mismatch', async () => {
  const port = await freePort();
  const env = (rank: number, world: number) => ({ RANK: String(rank), WORLD_SIZE: String(world), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) });
  // A timeout far beyond start()'s limit: a rank that waited for it instead of seeing the
  // mismatch would be killed by the limit and fail on its status.
  const args = trainArgs(path.join(work, 'mismatch'), ['--ddp-timeout', '3600', '--save-strategy', 'no']);
  const [r0, r1] = await Promise.all([start(args, env(0, 2)).done, start(args, env(1, 3)).done]);
  for (const r of [r0, r1]) {
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('ERR_DISTRIBUTED: rank 1 was started with WORLD_SIZE=3, rank 0 with 2');
  }
});

test('ranks started with other arguments are refused before training', async () => {
  const port = await freePort();
  const env = (rank: number) => ({ RANK: String(rank), WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) });
  const out = path.join(work, 'other-args');
  const [r0, r1] = await Promise.all([
    start(trainArgs(out, ['--ddp-timeout', '60', '--save-strategy', 'no']), env(0)).done,
    start(trainArgs(out, ['--ddp-timeout', '60', '--save-strategy', 'no', '--seed', '7']), env(1)).done,
  ]);
  for (const r of [r0, r1]) {
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('rank 1 runs with other training arguments or data than rank 0');
  }
});

test('bad torchrun variables are named', async () => {
  const args = trainArgs(path.join(work, 'bad-env'), ['--save-strategy', 'no']);
  const r = await start(args, { RANK: '2', WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: '29500' }).done;
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('RANK=2 is not an integer in [0, 1]');
  const noPort = await start(args, { RANK: '0', WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: '' }).done;
  expect(noPort.status).toBe(2);
  expect(noPort.stderr).toContain('MASTER_PORT is not set');
});

test('bad data-parallel flags: one message naming the flag, exit 2, nothing written', async () => {
  const out = path.join(work, 'bad-flags');
  const cases: Array<[string[], NodeJS.ProcessEnv, string]> = [
    [['--ddp-timeout', '0'], {}, 'Expected positive number of seconds for --ddp-timeout but received 0'],
    [['--nproc-per-node', '0'], {}, 'Expected positive integer for --nproc-per-node but received 0'],
    [['--nnodes', '2', '--node-rank', '2'], {}, '--node-rank'],
    [['--ddp-backend', 'nccl'], { RANK: '0', WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: '29500' }, 'ERR_DEVICE: the nccl backend needs a CUDA build of libtorch'],
  ];
  for (const [flags, env, message] of cases) {
    const r = await start(trainArgs(out, ['--save-strategy', 'no', ...flags]), env).done;
    expect({ flags, status: r.status }).toEqual({ flags, status: 2 });
    expect(r.stderr).toContain(message);
    expect(fs.existsSync(out)).toBe(false);
  }
});

describe('Ctrl-C', () => {
  type Log = { step: number; loss?: number };
  const losses = (dir: string) => (JSON.parse(fs.readFileSync(path.join(dir, 'trainer_state.json'), 'utf8')) as { log_history: Log[] }).log_history
    .filter((e) => e.loss !== undefined).map((e) => [e.step, e.loss as number]);
  const args = (out: string, more: string[] = []) => trainArgs(out, ['--nproc-per-node', '2', '--num-train-epochs', '40', '--save-strategy', 'no', ...more]);

  test('stops every rank after the same step with a checkpoint; the resumed run ends as an uninterrupted one', async () => {
    const whole = await start(args(path.join(work, 'whole'))).done;
    expect(whole.stderr).not.toMatch(/ERR_/);
    expect(whole.status).toBe(0);

    const out = path.join(work, 'interrupted');
    const run = start(args(out));
    await until(() => run.stdout().includes('"type":"log"'));
    run.child.kill('SIGINT');
    const stopped = await run.done;
    expect(stopped.status).toBe(130);
    const interrupted = JSON.parse(stopped.stdout.split('\n').find((l) => l.startsWith('{"type":"interrupted"')) as string) as { step: number; checkpoint: string };
    expect(interrupted.step).toBeLessThan(480);
    expect(fs.existsSync(path.join(interrupted.checkpoint, 'rng_state_1.json'))).toBe(true);

    const resumed = await start(args(out, ['--resume-from-checkpoint', 'last'])).done;
    expect(resumed.stderr).not.toMatch(/ERR_/);
    expect(resumed.status).toBe(0);
    expect(losses(out)).toEqual(losses(path.join(work, 'whole')));
  });
});
