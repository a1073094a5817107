// `albert-train train` end to end, as a user runs it: a SUBJ slice, a tiny random-init config,
// then HF transformers loads the output directory and gives the same probabilities as we do
// (and the model predicts both classes, so a constant predictor cannot pass); HF's pipeline runs
// the model card's own usage snippet. The output folder can be rerun: training_args.json holds
// every argument and the command line, and running that command again gives the same losses.
// Bad flags and files: a clear message, a non-zero exit, and no output directory.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { AlbertForSequenceClassification } from '../../ts';
import { AlbertTokenizer } from '../../ts/data/tokenizer';
import { predictions } from '../../ts/train/metrics';
import { makeCliFixture } from '../helpers/cli-fixture';
import { REPO_ROOT, SHARED_DATA } from '../helpers/paths';
import { referencePython, runReference } from '../helpers/python';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
let work: string;
let modelDir: string;
let dataDir: string;

function cli(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ALBERT_TRAINER_DATA: SHARED_DATA } });
}

beforeAll(() => {
  ({ work, modelDir, dataDir } = makeCliFixture('albert-cli-', { train: 640, test: 96 }));
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('a run', () => {
  const out = () => path.join(work, 'out');
  let stdout: string;

  beforeAll(() => {
    const run = cli(['train', '--model', modelDir, '--init', 'random', '--dataset', dataDir, '--output-dir', out(),
      '--num-train-epochs', '2', '--learning-rate', '1e-3', '--logging-steps', '5', '--amp', 'off']);
    expect(run.stderr).not.toMatch(/ERR_/);
    expect(run.status).toBe(0);
    stdout = run.stdout;
  });

  test('writes the output directory DESIGN.md lists, and a per-epoch table', () => {
    expect(fs.readdirSync(out()).sort()).toEqual(['README.md', 'checkpoint-40', 'checkpoint-80', 'config.json', 'eval_results.json', 'model.safetensors',
      'spiece.model', 'test_results.json', 'tokenizer.json', 'tokenizer_config.json', 'trainer_state.json', 'training_args.json', 'training_curves.svg']);
    // The test split, scored once at the end (HF's do_predict -> test_results.json), and said so in the card.
    const testResults = JSON.parse(fs.readFileSync(path.join(out(), 'test_results.json'), 'utf8')) as { test_samples: number; test_accuracy: number };
    expect(testResults.test_samples).toBe(96);
    expect(fs.readFileSync(path.join(out(), 'README.md'), 'utf8')).toContain('The evaluation set is the validation split.');
    expect(fs.readFileSync(path.join(out(), 'README.md'), 'utf8')).toContain('On the test split (96 examples, evaluated once at the end, never used to choose the model; test_results.json):');
    expect(stdout).toContain('| Training Loss | Epoch | Step | Validation Loss | Accuracy | Macro F1 |');
    expect(stdout).toMatch(/\| 2\.0 \| 80 \|/);
    const summary = /80 steps in ([\d.]+) s \([\d.]+ samples\/s; evaluation ([\d.]+) s, checkpoints ([\d.]+) s of it\)/.exec(stdout);
    expect(summary).not.toBeNull();
    const state = JSON.parse(fs.readFileSync(path.join(out(), 'trainer_state.json'), 'utf8'));
    // The evaluation share is the evaluations' own eval_runtime, summed (to the printed 0.1 s).
    const evalRuntime = state.log_history.reduce((sum: number, e: { eval_runtime?: number }) => sum + (e.eval_runtime ?? 0), 0);
    expect(Math.abs(Number(summary?.[2]) - evalRuntime)).toBeLessThanOrEqual(0.05 + 1e-3);
    expect(state.global_step).toBe(80);
    expect(state.log_history.filter((e: { loss?: number }) => e.loss !== undefined)).toHaveLength(16);
    type EvalEntry = { eval_loss?: number; eval_runtime: number; eval_samples_per_second: number; eval_steps_per_second: number };
    const evals = state.log_history.filter((e: EvalEntry) => e.eval_loss !== undefined) as EvalEntry[];
    expect(evals).toHaveLength(2);
    for (const e of evals) { // HF's speed metrics: 96 examples in 6 batches of 16 (the default eval batch size)
      expect(e.eval_runtime).toBeGreaterThan(0);
      expect(Math.abs((e.eval_samples_per_second * e.eval_runtime) / 96 - 1)).toBeLessThan(0.01); // rounded as HF rounds
      expect(Math.abs((e.eval_steps_per_second * e.eval_runtime) / 6 - 1)).toBeLessThan(0.01);
    }
    const evalResults = JSON.parse(fs.readFileSync(path.join(out(), 'eval_results.json'), 'utf8'));
    expect(evalResults.eval_samples).toBe(96);
    expect(JSON.parse(fs.readFileSync(path.join(out(), 'training_args.json'), 'utf8')).learning_rate).toBe(1e-3);
    // SUBJ's label_text column names the classes (ts/data/label-names.ts)
    expect(JSON.parse(fs.readFileSync(path.join(out(), 'config.json'), 'utf8')).id2label).toEqual({ 0: 'objective', 1: 'subjective' });
    const card = fs.readFileSync(path.join(out(), 'README.md'), 'utf8');
    expect(card).toContain('## Training procedure');
    expect(card).toContain('- learning_rate: 0.001');
    expect(card).toContain(`- Accuracy: ${evalResults.eval_accuracy.toFixed(4)}`);
    // What the model is and was trained on: its architecture, the split sizes, the time, the confusion matrix.
    expect(card).toContain('This model is trained from a random initialization with the configuration of tiny on the data dataset');
    expect(card).toContain('Architecture (config.json): ALBERT, vocab_size 30000, embedding_size 32, hidden_size 64, num_hidden_layers 2, num_hidden_groups 1, ' +
      'num_attention_heads 4, intermediate_size 128, inner_group_num 1, hidden_act gelu_new, max_position_embeddings 512, num_labels 2.');
    expect(card).toContain('data: 640 training examples; evaluation set: the validation split, 96 examples; test split: 96 examples.');
    expect(card).toMatch(/^- training time: [\d.]+ s for 80 steps \([\d.]+ samples\/s\)$/m);
    const [[a, b], [c, d]] = evalResults.eval_confusion_matrix as number[][];
    expect(card).toContain(`| | objective | subjective |\n|---|---|---|\n| objective | ${a} | ${b} |\n| subjective | ${c} | ${d} |`);
    expect(a + b + c + d).toBe(96);
  });

  test('HF transformers loads it (and its checkpoints, and their trainer_state.json) with no missing or unexpected keys and predicts the same labels', async () => {
    const texts = fs.readFileSync(path.join(dataDir, 'test.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).text as string);
    const stateDirs = [out(), path.join(out(), 'checkpoint-40')];
    type States = Record<string, { global_step: number; loading_info: Record<string, string[]> }>;
    const hf = runReference<{ labels: number[]; probabilities: number[][]; loading_info: Record<string, string[]>; states: States }>('cli_predict.py', [], { dir: out(), texts, state_dirs: stateDirs });
    for (const list of Object.values(hf.loading_info)) expect(list).toEqual([]);
    expect(hf.states[stateDirs[0]].global_step).toBe(80);
    expect(hf.states[stateDirs[1]].global_step).toBe(40);
    for (const dir of stateDirs) for (const list of Object.values(hf.states[dir].loading_info)) expect(list).toEqual([]);
    const model = await AlbertForSequenceClassification.fromPretrained(out());
    const tokenizer = await AlbertTokenizer.fromDirectory(out());
    const ours: number[] = [];
    const ourProbabilities: number[][] = [];
    for (const text of texts) {
      const { inputIds, tokenTypeIds } = tokenizer.encode(text, undefined, 128);
      const { logits } = await model.forward({ inputIds: Int32Array.from(inputIds), tokenTypeIds: Int32Array.from(tokenTypeIds),
        attentionMask: new Int32Array(inputIds.length).fill(1), batchSize: 1, seqLen: inputIds.length });
      ours.push(predictions(logits, 2)[0]);
      const max = Math.max(logits[0], logits[1]);
      const exp = [Math.exp(logits[0] - max), Math.exp(logits[1] - max)];
      ourProbabilities.push(exp.map((e) => e / (exp[0] + exp[1])));
    }
    model.dispose();
    // A model that learned something predicts both classes (a constant predictor would match HF's labels too).
    expect(new Set(ours)).toEqual(new Set([0, 1]));
    expect(ours).toEqual(hf.labels);
    // The same probabilities, to fp32 tolerance (HF runs padded batches of 32, we run one text at a time).
    const worst = Math.max(...ourProbabilities.map((p, i) => Math.abs(p[1] - hf.probabilities[i][1])));
    expect(worst).toBeLessThan(1e-4);
  });

  test('HF\'s pipeline runs the model card\'s Python snippet as written, from the folder that holds the model', () => {
    const card = fs.readFileSync(path.join(out(), 'README.md'), 'utf8');
    const snippet = /```python\n([\s\S]*?)```/.exec(card)?.[1] ?? '';
    expect(snippet).toContain('pipeline("text-classification", model="out")');
    const printed = execFileSync(referencePython(), ['-c', snippet], { cwd: work, encoding: 'utf8', env: { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' } });
    expect(printed).toMatch(/^\[\{'label': '(objective|subjective)', 'score': 0\.\d+\}\]$/m);
  });

  test('the model card\'s albert-train command runs as written, from the folder that holds the model', () => {
    const card = fs.readFileSync(path.join(out(), 'README.md'), 'utf8');
    const command = /```sh\nnpx albert-train (.*)\n```/.exec(card)?.[1] ?? '';
    expect(command).toBe('predict --model out --text "A gripping story of two brothers."');
    const run = spawnSync(process.execPath, [CLI, 'predict', '--model', 'out', '--text', 'A gripping story of two brothers.'], { cwd: work, encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ label: expect.stringMatching(/^(objective|subjective)$/) });
  });
});

describe('--config-overrides (HF run_mlm.py\'s): a preset\'s config, changed, from a random init', () => {
  const OVERRIDES = 'hidden_size=64,num_hidden_layers=1,num_attention_heads=2,intermediate_size=128,embedding_size=32,hidden_act=gelu';
  test('albert-base-v2 made small trains, and its config.json says so', () => {
    const out = path.join(work, 'overrides');
    const run = cli(['train', '--model', 'albert-base-v2', '--init', 'random', '--config-overrides', OVERRIDES,
      '--dataset', dataDir, '--output-dir', out, '--max-steps', '2', '--eval-strategy', 'no', '--amp', 'off']);
    expect(run.stderr).not.toMatch(/ERR_/);
    expect(run.status).toBe(0);
    const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ hidden_size: 64, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 128, embedding_size: 32,
      hidden_act: 'gelu', vocab_size: 30000, max_position_embeddings: 512 });
    // The card says what was trained: the preset's config as changed, not the preset.
    const card = fs.readFileSync(path.join(out, 'README.md'), 'utf8');
    expect(card).toContain(`with the configuration of albert-base-v2 changed by --config-overrides ${OVERRIDES} on the data dataset`);
    expect(card).toContain('Architecture (config.json): ALBERT, vocab_size 30000, embedding_size 32, hidden_size 64, num_hidden_layers 1,');
  });

  test('training_args.json holds every argument and the command line; that command, run again, gives the same run', () => {
    const out = path.join(work, 'overrides');
    const args = JSON.parse(fs.readFileSync(path.join(out, 'training_args.json'), 'utf8')) as Record<string, unknown>;
    expect(args).toMatchObject({ model_name_or_path: 'albert-base-v2', init: 'random', config_overrides: OVERRIDES, dataset_name: dataDir,
      output_dir: out, max_steps: 2, eval_strategy: 'no', amp: 'off', device: 'cpu', label_column: 'label', text_column: null, working_directory: process.cwd() });
    const command = args.command_line as string;
    expect(command.startsWith(`node ${path.relative(process.cwd(), CLI)} train --model albert-base-v2 --init random --config-overrides ${OVERRIDES}`)).toBe(true);
    const again = path.join(work, 'overrides-again');
    const words = command.split(' ').slice(2).map((w) => (w === out ? again : w));
    const rerun = cli(words);
    expect(rerun.status).toBe(0);
    const losses = (dir: string) => (JSON.parse(fs.readFileSync(path.join(dir, 'trainer_state.json'), 'utf8')).log_history as Array<{ loss?: number; train_loss?: number }>)
      .map((e) => e.loss ?? e.train_loss);
    expect(losses(again)).toEqual(losses(out));
    expect(losses(out).filter((l) => typeof l === 'number')).not.toHaveLength(0);
  });

  test.each([
    ['an unknown field', ['--config-overrides', 'hidden_sise=64'], /--config-overrides: hidden_sise is not an ALBERT config field/],
    ['not key=value', ['--config-overrides', 'hidden_size'], /--config-overrides: "hidden_size" is not key=value/],
    ['an inconsistent config', ['--config-overrides', 'hidden_size=65'], /ERR_CONFIG: .*with --config-overrides hidden_size=65/],
    ['with pretrained weights', ['--config-overrides', 'hidden_size=64', '--init', 'pretrained'], /--config-overrides changes the architecture: it needs --init random/],
  ])('%s', (_, extra, message) => {
    const out = path.join(work, `overrides-bad-${Math.random().toString(36).slice(2)}`);
    const args = ['train', '--model', 'albert-base-v2', '--init', 'random', '--dataset', dataDir, '--output-dir', out, '--max-steps', '2', ...extra];
    const run = cli(args);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('bad input: a message, a non-zero exit, no output directory', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['batch size 0', ['--per-device-train-batch-size', '0'], /ERR_ARGUMENT: Expected positive integer for --per-device-train-batch-size but received 0/],
    ['max length below 3', ['--max-seq-length', '2'], /for --max-seq-length but received 2/],
    ['an unknown flag', ['--no-such-flag', '1'], /unknown flag --no-such-flag; see --help/],
    ['no pretrained weights', ['--init', 'pretrained'], /has no pretrained weights here; pass an HF folder or hub id with model.safetensors or pytorch_model.bin, or --init random/],
    ['a missing dataset', ['--dataset', '/nonexistent/data'], /--dataset \/nonexistent\/data: not found/],
    ['an unknown text column', ['--text-column', 'sentence'], /sentence/],
  ];
  test.each(cases)('%s', (_, extra, message) => {
    const out = path.join(work, `bad-${Math.random().toString(36).slice(2)}`);
    const base = ['train', '--model', modelDir, '--init', 'random', '--dataset', dataDir, '--output-dir', out, '--max-steps', '2'];
    const args = [...base];
    for (let i = 0; i < extra.length; i += 2) {
      const at = args.indexOf(extra[i]);
      if (at >= 0) args.splice(at, 2, extra[i], extra[i + 1]);
      else args.push(extra[i], extra[i + 1]);
    }
    const run = cli(args);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(message);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('an output directory that cannot be written (its parent is a file) is refused before training', () => {
    const file = path.join(work, 'a-file');
    fs.writeFileSync(file, 'x');
    const out = path.join(file, 'out');
    const run = cli(['train', '--model', modelDir, '--init', 'random', '--dataset', dataDir, '--output-dir', out, '--max-steps', '2']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`ERR_IO: ${out}: cannot (use as the output directory|create its parent folder) \\(ENOTDIR`));
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });

  test('an output directory that is not empty is refused before training and left as it was', () => {
    const out = path.join(work, 'taken');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'keep.txt'), 'x');
    const run = cli(['train', '--model', modelDir, '--init', 'random', '--dataset', dataDir, '--output-dir', out, '--max-steps', '2']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`${out}: the output directory exists and is not empty`);
    expect(fs.readdirSync(out)).toEqual(['keep.txt']);
  });
});
