// Ctrl-C and --resume-from-checkpoint as a user meets them: SIGINT mid-run finishes the step,
// saves checkpoint-<step>/, exits 130 with the command that continues; that command (run as
// printed) finishes the run, and its per-step losses equal an uninterrupted run's exactly
// (fp32, CPU, dropout on). A folder holding checkpoints is refused without a resume flag.
import { type ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT, SHARED_DATA } from '../helpers/paths';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const ENV = { ...process.env, ALBERT_TRAINER_DATA: SHARED_DATA };
let work: string;
let common: string[];

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-resume-'));
  const modelDir = path.join(work, 'tiny');
  fs.mkdirSync(modelDir);
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'spiece.model']) {
    fs.copyFileSync(path.join(SHARED_DATA, 'albert-v2-tokenizer', f), path.join(modelDir, f));
  }
  fs.writeFileSync(path.join(modelDir, 'config.json'), JSON.stringify({ model_type: 'albert', vocab_size: 30000, embedding_size: 16,
    hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 64 })); // HF's dropout defaults: 0 / 0 / 0.1
  const dataDir = path.join(work, 'data');
  fs.mkdirSync(dataDir);
  const lines = (file: string, n: number) => fs.readFileSync(path.join(SHARED_DATA, 'subj', file), 'utf8').split('\n').slice(0, n).join('\n');
  fs.writeFileSync(path.join(dataDir, 'train.jsonl'), `${lines('train.jsonl', 200)}\n`);
  fs.writeFileSync(path.join(dataDir, 'validation.jsonl'), `${lines('test.jsonl', 40)}\n`);
  common = ['--model', modelDir, '--init', 'random', '--dataset', dataDir, '--num-train-epochs', '30', '--learning-rate', '1e-3',
    '--per-device-train-batch-size', '8', '--logging-steps', '1', '--amp', 'off', '--threads', '1', '--log-format', 'jsonl',
    '--eval-strategy', 'epoch', '--save-strategy', 'no'];
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** step -> loss of each logged step in a jsonl stdout. */
function stepLosses(stdout: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of stdout.trim().split('\n')) {
    const event = JSON.parse(line) as { type: string; step: number; loss: number };
    if (event.type === 'log') out.set(event.step, event.loss);
  }
  return out;
}

/** Runs the CLI and sends SIGINT once the log shows step `atStep`. */
function interrupt(args: string[], atStep: number): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child: ChildProcess = spawn(process.execPath, [CLI, ...args], { env: ENV });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!sent && new RegExp(`"type":"log","step":${atStep},`).test(stdout)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('Ctrl-C, then the printed resume command', () => {
  let full: Map<number, number>;
  let stitched: Map<number, number>;
  let out: string;
  let interrupted: { status: number | null; stdout: string; stderr: string };
  let resumed: ReturnType<typeof spawnSync>;
  let afterInterrupt: string[];

  beforeAll(async () => {
    const fullRun = spawnSync(process.execPath, [CLI, 'train', ...common, '--output-dir', path.join(work, 'full')], { env: ENV, encoding: 'utf8' });
    expect(fullRun.stderr).toBe('');
    expect(fullRun.status).toBe(0);
    full = stepLosses(fullRun.stdout);
    out = path.join(work, 'out');
    interrupted = await interrupt(['train', ...common, '--output-dir', out], 30);
    afterInterrupt = fs.readdirSync(out);
    // The command as this test ran it (node dist/cli.js); a user of the bin or npx gets albert-train / npx albert-train.
    const command = /To continue: (?:npx albert-train|albert-train|node \S*cli\.js) (.*)$/m.exec(interrupted.stderr)?.[1] ?? '';
    const args = command.split(' ').map((a) => a.replace(/^'(.*)'$/, '$1'));
    resumed = spawnSync(process.execPath, [CLI, ...args], { env: ENV, encoding: 'utf8' });
    stitched = new Map([...stepLosses(interrupted.stdout), ...stepLosses(resumed.stdout as string)]);
  });

  test('SIGINT: exit 130, a checkpoint, a message with the command, no output files yet', () => {
    expect(interrupted.status).toBe(130);
    expect(interrupted.stderr).toMatch(/interrupted at step (\d+) of 750; saved .*checkpoint-\1\. To continue: (?:npx albert-train|albert-train|node \S*cli\.js) train .* --resume-from-checkpoint .*checkpoint-\1$/m);
    expect(afterInterrupt).toHaveLength(1); // the checkpoint alone
    expect(afterInterrupt[0]).toMatch(/^checkpoint-\d+$/);
    expect(Number(afterInterrupt[0].slice('checkpoint-'.length))).toBeGreaterThanOrEqual(30);
    expect(JSON.parse(interrupted.stdout.trim().split('\n').pop() as string)).toMatchObject({ type: 'interrupted' });
  });

  test('the resumed run finishes and writes the whole output directory beside the checkpoint', () => {
    expect(resumed.stderr).toBe('');
    expect(resumed.status).toBe(0);
    // It reports the steps it ran, from the checkpoint's step to the last (not all 750).
    const from = Number(afterInterrupt[0].slice('checkpoint-'.length));
    const end = (resumed.stdout as string).trim().split('\n').map((line) => JSON.parse(line) as { type: string }).find((e) => e.type === 'end');
    expect(end).toMatchObject({ step: 750, stepsRun: 750 - from, interrupted: false });
    const files = fs.readdirSync(out);
    for (const f of ['model.safetensors', 'config.json', 'README.md', 'trainer_state.json', 'tokenizer.json']) expect(files).toContain(f);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'trainer_state.json'), 'utf8')).global_step).toBe(750);
    expect(fs.readFileSync(path.join(out, 'README.md'), 'utf8')).toMatch(/- resumed from a checkpoint at step \d+/);
  });

  test('interrupted + resumed logs the same loss at every step as the run that never stopped', () => {
    expect(full.size).toBe(750);
    expect([...stitched.keys()]).toEqual([...full.keys()]);
    for (const [step, loss] of full) expect(stitched.get(step)).toBe(loss);
  });

  test('the same folder without --resume-from-checkpoint is refused, and says how to continue', () => {
    const other = path.join(work, 'left');
    fs.mkdirSync(path.join(other, 'checkpoint-5'), { recursive: true });
    const run = spawnSync(process.execPath, [CLI, 'train', ...common, '--output-dir', other], { env: ENV, encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('it holds checkpoints: add --resume-from-checkpoint last to continue that run');
  });

  test('--resume-from-checkpoint last with no checkpoint, and a folder that is not a checkpoint', () => {
    const empty = path.join(work, 'empty');
    let run = spawnSync(process.execPath, [CLI, 'train', ...common, '--output-dir', empty, '--resume-from-checkpoint', 'last'], { env: ENV, encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`--resume-from-checkpoint last: no checkpoint-<step> folder in ${empty}`);
    const notOne = path.join(work, 'not-a-checkpoint');
    fs.mkdirSync(notOne);
    run = spawnSync(process.execPath, [CLI, 'train', ...common, '--output-dir', path.join(work, 'x'), '--resume-from-checkpoint', notOne], { env: ENV, encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/ERR_CHECKPOINT: .*not-a-checkpoint\/model\.safetensors: missing/);
    expect(fs.existsSync(path.join(work, 'x'))).toBe(false);
  });
});
