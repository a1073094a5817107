// `albert-train eval` end to end, as a user runs it: a tiny checkpoint that HF transformers
// itself made (test/reference/make_tiny_checkpoint.py, id2label objective/subjective), 96 SUBJ
// test rows, and HF's own loss, accuracy and confusion matrix on them
// (test/reference/classify_reference.py, fp32, Trainer.evaluate()'s loss averaging) as the
// reference. Labels as ids (--dataset) and as names through the model's label2id
// (--label-column label_text). Every bad input: exit 2, one message naming the flag/file/line,
// and no --output file.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { EvalReport } from '../../ts/cli/eval-command';
import { REPO_ROOT, SHARED_DATA } from '../helpers/paths';
import { runReference } from '../helpers/python';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const ROWS = 96;
let work: string;
let modelDir: string;
let dataDir: string;
let hf: { eval: { loss: number; accuracy: number; confusion: number[][] }; predicted: number[] };

function cli(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ALBERT_TRAINER_DATA: SHARED_DATA, HF_HUB_OFFLINE: '1', HF_HOME: path.join(work, 'hf-home') },
  });
}

/** `base` less the flags in `drop`, with each flag of `extra` replacing the same flag's value, or added. */
function withFlags(base: string[], extra: string[], drop: string[] = []): string[] {
  const args = [...base];
  for (const flag of drop) {
    const at = args.indexOf(flag);
    if (at >= 0) args.splice(at, 2);
  }
  for (let i = 0; i < extra.length; i += 2) {
    const at = args.indexOf(extra[i]);
    if (at >= 0) args.splice(at, 2, extra[i], extra[i + 1]);
    else args.push(extra[i], extra[i + 1]);
  }
  return args;
}

/** The report against HF's numbers: loss within 1e-5, accuracy and confusion matrix exact; its
 * speed metrics consistent with `evalBatchSize`, the run's --per-device-eval-batch-size. */
function expectMatchesHf(report: EvalReport, evalBatchSize = 16): void {
  expect(Math.abs(report.eval_loss - hf.eval.loss)).toBeLessThan(1e-5);
  expect(report.eval_accuracy).toBe(hf.eval.accuracy);
  expect(report.eval_confusion_matrix).toEqual(hf.eval.confusion);
  expect(report.eval_confusion_matrix.flat().reduce((a, b) => a + b, 0)).toBe(ROWS);
  expect(report.eval_samples).toBe(ROWS);
  expect(report.eval_labels).toEqual(['objective', 'subjective']);
  expect(report.eval_runtime).toBeGreaterThan(0);
  expect(Math.abs((report.eval_samples_per_second * report.eval_runtime) / ROWS - 1)).toBeLessThan(0.01); // rounded as HF rounds
  expect(Math.abs((report.eval_steps_per_second * report.eval_runtime) / Math.ceil(ROWS / evalBatchSize) - 1)).toBeLessThan(0.01);
  // macro-F1 from the confusion matrix, as scikit-learn's f1_score(average='macro')
  const [[a, b], [c, d]] = hf.eval.confusion;
  const f1 = (tp: number, actual: number, predicted: number) => (actual + predicted === 0 ? 0 : (2 * tp) / (actual + predicted));
  expect(report.eval_macro_f1).toBeCloseTo((f1(a, a + b, a + c) + f1(d, c + d, b + d)) / 2, 12);
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-eval-'));
  modelDir = path.join(work, 'tiny');
  // initializer_range 0.3, seed 0: a random model that predicts both classes on these rows.
  runReference('make_tiny_checkpoint.py', [], {
    dir: modelDir, tokenizer_dir: path.join(SHARED_DATA, 'albert-v2-tokenizer'), seed: 0, config: { initializer_range: 0.3 },
  });
  dataDir = path.join(work, 'data');
  fs.mkdirSync(dataDir);
  const lines = (file: string, n: number) => fs.readFileSync(path.join(SHARED_DATA, 'subj', file), 'utf8').split('\n').slice(0, n);
  fs.writeFileSync(path.join(dataDir, 'train.jsonl'), `${lines('train.jsonl', 32).join('\n')}\n`);
  const testLines = lines('test.jsonl', ROWS);
  fs.writeFileSync(path.join(dataDir, 'test.jsonl'), `${testLines.join('\n')}\n`);
  const rows = testLines.map((line) => JSON.parse(line) as { text: string; label: number });
  hf = runReference('classify_reference.py', [], { dir: modelDir, texts: rows.map((r) => r.text), labels: rows.map((r) => r.label), batch_size: 16 });
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('metrics equal HF transformers\'', () => {
  test('the reference is a useful one: the model predicts both classes', () => {
    expect(new Set(hf.predicted).size).toBe(2);
  });

  test('--dataset (its test file), --output: the JSON file, and a report with the labelled confusion matrix', () => {
    const output = path.join(work, 'eval.json');
    const run = cli(['eval', '--model', modelDir, '--dataset', dataDir, '--amp', 'off', '--output', output]);
    expect(run.stderr).not.toMatch(/ERR_/);
    expect(run.status).toBe(0);
    const report = JSON.parse(fs.readFileSync(output, 'utf8')) as EvalReport;
    expect(Object.keys(report).sort()).toEqual(['eval_accuracy', 'eval_confusion_matrix', 'eval_labels', 'eval_loss', 'eval_macro_f1',
      'eval_runtime', 'eval_samples', 'eval_samples_per_second', 'eval_steps_per_second']);
    expectMatchesHf(report);
    expect(run.stdout).toContain(`eval_loss                ${report.eval_loss.toFixed(4)}`);
    expect(run.stdout).toContain(`eval_accuracy            ${report.eval_accuracy.toFixed(4)}`);
    expect(run.stdout).toContain(`eval_macro_f1            ${report.eval_macro_f1.toFixed(4)}`);
    const [[a, b], [c, d]] = report.eval_confusion_matrix;
    const table = run.stdout.split('\n').filter((line) => /^(true \\ predicted|objective|subjective)/.test(line));
    expect(table).toEqual([
      expect.stringMatching(/^true \\ predicted\s+objective\s+subjective$/),
      expect.stringMatching(new RegExp(`^objective\\s+${a}\\s+${b}$`)),
      expect.stringMatching(new RegExp(`^subjective\\s+${c}\\s+${d}$`)),
    ]);
    expect(fs.readdirSync(work).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });

  test('--dataset with a folder that holds only the test split', () => {
    const testOnly = path.join(work, 'test-only');
    fs.mkdirSync(testOnly);
    fs.copyFileSync(path.join(dataDir, 'test.jsonl'), path.join(testOnly, 'test.jsonl'));
    const run = cli(['eval', '--model', modelDir, '--dataset', testOnly, '--amp', 'off', '--log-format', 'jsonl']);
    expect(run.stderr).not.toMatch(/ERR_/);
    expect(run.status).toBe(0);
    expectMatchesHf(JSON.parse(run.stdout.trim()) as EvalReport);
  });

  test('label names through the model\'s label2id, another batch size, --log-format jsonl: one JSON line', () => {
    const run = cli(['eval', '--model', modelDir, '--eval-file', path.join(dataDir, 'test.jsonl'), '--label-column', 'label_text',
      '--per-device-eval-batch-size', '5', '--amp', 'off', '--log-format', 'jsonl']);
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expectMatchesHf(JSON.parse(lines[0]) as EvalReport, 5);
  });
});

describe('bad input: exit 2, a message naming the flag, file or line, no --output file', () => {
  const files: Record<string, string> = {};

  beforeAll(() => {
    const write = (name: string, contents: string) => {
      files[name] = path.join(work, name);
      fs.writeFileSync(files[name], contents);
    };
    const rows = ['objective', 'subjective', 'objective', 'subjective', 'neutral', 'objective']
      .map((label, i) => JSON.stringify({ text: `sentence number ${i}`, label }));
    write('unknown-label.jsonl', `${rows.join('\n')}\n`);
    write('empty.jsonl', '');
    write('malformed.jsonl', '{"text": "one", "label": 0}\n{"text": "two", "label": 1}\n{"text": "three", "label": 0\n');
    const noWeights = path.join(work, 'no-weights');
    fs.mkdirSync(noWeights);
    fs.copyFileSync(path.join(modelDir, 'config.json'), path.join(noWeights, 'config.json'));
    files['no-weights'] = noWeights;
  });

  // [what, flags to add or replace, the message, flags to leave out]
  const cases: Array<[string, () => string[], () => RegExp, string[]]> = [
    ['a missing model folder', () => ['--model', '/nonexistent/model'], () => /--model \/nonexistent\/model: not found/, []],
    ['a model folder without model.safetensors', () => ['--model', files['no-weights']],
      () => new RegExp(`--model ${files['no-weights']}: no model\\.safetensors \\(nor pytorch_model\\.bin\\) in`), []],
    ['a label the model does not know', () => ['--eval-file', files['unknown-label.jsonl']],
      () => new RegExp(`${files['unknown-label.jsonl']}:5: the label "neutral" \\(column "label"\\) is not in the model's label2id \\(.*config\\.json\\); the known labels are "objective", "subjective"`), ['--dataset']],
    ['an empty eval file', () => ['--eval-file', files['empty.jsonl']], () => new RegExp(`${files['empty.jsonl']}: no rows \\(the file is empty\\)`), ['--dataset']],
    ['malformed JSON on line 3', () => ['--eval-file', files['malformed.jsonl']], () => new RegExp(`${files['malformed.jsonl']}:3: malformed JSON`), ['--dataset']],
    ['an unknown text column', () => ['--text-column', 'sentence'], () => /test\.jsonl:1: --text-column "sentence" is not a column/, []],
    ['an unknown label column', () => ['--label-column', 'category'], () => /test\.jsonl:1: --label-column "category" is not a column/, []],
    ['batch size 0', () => ['--per-device-eval-batch-size', '0'],
      () => /ERR_ARGUMENT: Expected positive integer for --per-device-eval-batch-size but received 0/, []],
    ['max length below 3', () => ['--max-seq-length', '2'], () => /for --max-seq-length but received 2/, []],
    ['max length beyond the model\'s positions', () => ['--max-seq-length', '513'], () => /--max-seq-length 513 exceeds the model's max_position_embeddings \(512/, []],
    ['neither --dataset nor --eval-file', () => [], () => /give --dataset or --eval-file/, ['--dataset']],
    ['a missing dataset', () => ['--dataset', '/nonexistent/data'], () => /--dataset \/nonexistent\/data: not found/, []],
  ];

  test.each(cases)('%s', (_, extra, message, drop) => {
    const outDir = fs.mkdtempSync(path.join(work, 'bad-'));
    const output = path.join(outDir, 'eval.json');
    const base = ['eval', '--model', modelDir, '--dataset', dataDir, '--amp', 'off', '--output', output];
    const run = cli(withFlags(base, extra(), drop));
    expect(run.stderr).toMatch(message());
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(fs.readdirSync(outDir)).toEqual([]);
  });
});
