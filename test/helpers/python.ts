// Runs the reference Python (HF transformers + torch in the project's venv) from tests.
// `npm test` installs the test requirements into that venv first (scripts/test-deps.js).
import { execFileSync } from 'child_process';
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
    env: { ...process.env, PYTHONHASHSEED: '0', OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '2' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}
