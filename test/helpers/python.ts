// Runs the reference Python (HF transformers + torch in the project's venv) from tests.
// `npm test` installs the test requirements into that venv first (scripts/test-deps.js).
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from './paths';

/** The python that has torch and transformers: $ALBERT_TRAINER_PYTHON, else the project's .venv. */
export function referencePython(): string {
  if (process.env.ALBERT_TRAINER_TEST_NO_PYTHON) {
    throw new Error('this test runs the reference python, but its jest project (tier unit or native) runs without Python: list it under `reference` or `e2e` in jest.config.js');
  }
  const fromEnv = process.env.ALBERT_TRAINER_PYTHON;
  if (fromEnv) return fromEnv;
  const venv = path.join(REPO_ROOT, '.venv', 'bin', 'python');
  if (!fs.existsSync(venv)) {
    throw new Error(`no reference python: ${venv} is missing; run \`npm install\` then \`npm test\``);
  }
  return venv;
}

/** The environment the reference scripts run in: this process's, deterministic hashing, 2 threads unless set. */
function referenceEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, PYTHONHASHSEED: '0', OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '2', ...env };
}

/** The JSON a reference script printed last on stdout. */
function lastJson<T>(stdout: string): T {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}

/**
 * Runs `test/reference/<script>` with `args`, feeding `input` as JSON on stdin, and parses
 * the JSON it prints last on stdout.
 */
export function runReference<T = unknown>(script: string, args: string[] = [], input?: unknown): T {
  const file = path.join(REPO_ROOT, 'test', 'reference', script);
  const stdout = execFileSync(referencePython(), [file, ...args], {
    input: input === undefined ? '' : JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: referenceEnv({}),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return lastJson<T>(stdout);
}

/**
 * The same without blocking this process (a test that serves a loopback hub to the script must
 * keep its event loop running), with `env` on top of this process's environment.
 */
export function runReferenceAsync<T = unknown>(script: string, input: unknown, env: Record<string, string> = {}): Promise<T> {
  const file = path.join(REPO_ROOT, 'test', 'reference', script);
  return new Promise((resolve, reject) => {
    const child = execFile(referencePython(), [file], { encoding: 'utf8', maxBuffer: 1 << 30, env: referenceEnv(env) }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${script} failed (${error.message.split('\n')[0]}):\n${stderr}`));
      else resolve(lastJson<T>(stdout));
    });
    child.stdin?.end(JSON.stringify(input));
  });
}
