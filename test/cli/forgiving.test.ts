// A command line that forgives, through dist/cli.js as a user meets it: no command lists the
// commands; a misspelled command or flag gets the nearest one; HF's Python spellings of the flags
// train; a number flag given a word says so; --eval-strategy no does not announce an evaluation
// set; `info` says which data folder it uses and why; the resume hint after Ctrl-C runs as the
// user ran albert-train (here through a project's node_modules/.bin link, as npx does).
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { makeCliFixture } from '../helpers/cli-fixture';
import { REPO_ROOT, SHARED_DATA } from '../helpers/paths';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
let work: string;
let modelDir: string;
let dataDir: string;

function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ALBERT_TRAINER_DATA: SHARED_DATA, ...env } });
}

beforeAll(() => {
  ({ work, modelDir, dataDir } = makeCliFixture('albert-forgiving-', { train: 64, test: 32 }));
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const trainArgs = (out: string) => ['train', '--model', modelDir, '--init', 'random', '--dataset', dataDir, '--output-dir', out, '--amp', 'off'];

describe('commands', () => {
  test('no command: says so and lists every command, exit 2', () => {
    const run = cli([]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('albert-train: name a command');
    for (const command of ['train', 'eval', 'predict', 'export', 'bench', 'info', 'setup']) expect(run.stderr).toMatch(new RegExp(`albert-train ${command}\\s`));
  });

  test('a misspelled command: the nearest one, then the list', () => {
    const run = cli(['trian', '--model', 'x']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('albert-train: unknown command "trian"; did you mean train?');
    expect(run.stderr).toMatch(/albert-train predict\s/);
  });
});

describe('flags', () => {
  test('a misspelled flag: the nearest one, before anything runs', () => {
    const out = path.join(work, 'typo');
    const run = cli([...trainArgs(out), '--lerning-rate', '1e-3']);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('albert-train: unknown flag --lerning-rate (did you mean --learning-rate?); see --help for the flags\n');
    expect(fs.existsSync(out)).toBe(false);
  });

  test('a number flag given a word says it wants a number (in HF\'s spelling too)', () => {
    for (const flag of [['--num-train-epochs', 'one'], ['--num_train_epochs=one']]) {
      const run = cli([...trainArgs(path.join(work, 'nan')), ...flag]);
      expect(run.status).toBe(2);
      expect(run.stderr).toBe('albert-train: --num-train-epochs wants a number, got "one"\n');
    }
  });

  test('HF\'s Python spellings train as ours; --eval-strategy no leaves the validation split unannounced', () => {
    const out = path.join(work, 'hf-spellings');
    const run = cli(['train', '--model', modelDir, '--init', 'random', '--dataset', dataDir, '--output_dir', out, '--learning_rate', '0.002',
      '--max_steps', '3', '--per_device_train_batch_size=8', '--eval_strategy', 'no', '--amp', 'off']);
    expect(run.stderr).not.toMatch(/ERR_/);
    expect(run.status).toBe(0);
    const args = JSON.parse(fs.readFileSync(path.join(out, 'training_args.json'), 'utf8'));
    expect(args).toMatchObject({ learning_rate: 0.002, max_steps: 3, per_device_train_batch_size: 8, eval_strategy: 'no' });
    // dataDir has a validation split; with no evaluations it is not the evaluation set.
    expect(run.stderr).toContain('albert-train: evaluation: none');
    expect(run.stderr).toMatch(/albert-train: 64 training examples; cpu/);
    expect(run.stderr).not.toContain('for evaluation');
  });
});

describe('info', () => {
  test('says the data folder for presets and subj, why that one, and what it holds', () => {
    const run = cli(['info']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^data folder\\s+${SHARED_DATA.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\$ALBERT_TRAINER_DATA\\): presets \\(albert-configs/, albert-v2-tokenizer/\\) found, subj/ found$`, 'm'));
    const missing = path.join(work, 'no-data-here');
    const none = cli(['info'], { ALBERT_TRAINER_DATA: missing });
    expect(none.stdout).toContain(`${missing} ($ALBERT_TRAINER_DATA): not found; presets and subj then come from the HF hub`);
    const json = JSON.parse(cli(['info', '--json']).stdout) as { dataFolder: { dir: string; subj: boolean } };
    expect(json.dataFolder).toMatchObject({ dir: SHARED_DATA, subj: true });
  });
});

describe('the resume hint after Ctrl-C', () => {
  test('through a project\'s node_modules/.bin link (as npx runs it), the hint is npx albert-train ..., and it resumes', async () => {
    const bin = path.join(work, 'project', 'node_modules', '.bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(CLI, path.join(bin, 'albert-train'));
    const out = path.join(work, 'interrupted');
    const args = [...trainArgs(out), '--max_steps', '200', '--logging-steps', '5', '--eval-strategy', 'no', '--save-strategy', 'no', '--log-format', 'jsonl'];
    const stderr = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [path.join(bin, 'albert-train'), ...args], { env: { ...process.env, ALBERT_TRAINER_DATA: SHARED_DATA } });
      let err = '';
      let sent = false;
      child.stdout.on('data', (chunk: Buffer) => {
        if (!sent && chunk.toString().includes('"type":"log"')) {
          sent = true;
          child.kill('SIGINT');
        }
      });
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.on('close', () => resolve(err));
    });
    const hint = /To continue: (.*)$/m.exec(stderr)?.[1] ?? '';
    expect(hint).toMatch(new RegExp(`^npx albert-train train .*--max-steps 200 .*--resume-from-checkpoint ${out}/checkpoint-\\d+$`));
    // The hint, as npx would run it (npx albert-train = the link), continues the run.
    const words = hint.split(' ').slice(2);
    const resumed = spawnSync(process.execPath, [path.join(bin, 'albert-train'), ...words.map((w) => w.replace(/^'(.*)'$/, '$1'))],
      { encoding: 'utf8', env: { ...process.env, ALBERT_TRAINER_DATA: SHARED_DATA } });
    expect(resumed.stderr).not.toMatch(/ERR_/);
    expect(resumed.status).toBe(0);
  }, 180_000);
});
