// `albert-train predict` end to end, as a user runs it: a tiny checkpoint that HF transformers
// itself made (test/reference/make_tiny_checkpoint.py), SUBJ texts of many lengths in small
// batches (so the length-sorted batches differ from input order), and HF's own predictions for
// the same texts (test/reference/classify_reference.py, fp32) as the reference. Also the
// library API (predict from ts/index) and every bad input: exit 2, one message naming the
// flag/file/line, and no --output file.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AlbertForSequenceClassification, AlbertTokenizer, predict } from '../../ts';
import { REPO_ROOT, SHARED_DATA } from '../helpers/paths';
import { referencePython, runReference } from '../helpers/python';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
let work: string;
let modelDir: string;
let texts: string[];
let hf: HfClassification;

interface HfClassification {
  logits: number[][];
  probabilities: number[][];
  predicted: number[];
  id2label: Record<string, string>;
}

interface PredictionLine {
  id?: unknown;
  line?: number;
  label: string;
  score: number;
  probabilities: Record<string, number>;
  logits?: number[];
}

function cli(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ALBERT_TRAINER_DATA: SHARED_DATA, HF_HUB_OFFLINE: '1', HF_HOME: path.join(work, 'hf-home') },
  });
}

/** `base` with each flag of `extra` replacing the same flag's value, or added (--text repeats). */
function withFlags(base: string[], extra: string[]): string[] {
  const args = [...base];
  for (let i = 0; i < extra.length; i += 2) {
    const at = extra[i] === '--text' ? -1 : args.indexOf(extra[i]);
    if (at >= 0) args.splice(at, 2, extra[i], extra[i + 1]);
    else args.push(extra[i], extra[i + 1]);
  }
  return args;
}

/** numpy's str() of each value as a float32: the reference for how a float32 prints. */
function numpyFloat32(values: string[]): string[] {
  const code = 'import json, sys, numpy as np; print(json.dumps([str(np.float32(float(v))) for v in json.load(sys.stdin)]))';
  return JSON.parse(execFileSync(referencePython(), ['-c', code], { input: JSON.stringify(values), encoding: 'utf8' })) as string[];
}

function parseLines(text: string): PredictionLine[] {
  return text.trim().split('\n').map((line) => JSON.parse(line) as PredictionLine);
}

/** Each line against HF's prediction for the text at the same position. */
function expectMatchesHf(lines: PredictionLine[], positions: number[]): void {
  expect(lines).toHaveLength(positions.length);
  lines.forEach((line, i) => {
    const k = positions[i];
    expect(line.label).toBe(hf.id2label[String(hf.predicted[k])]);
    expect(Object.keys(line.probabilities)).toEqual(['objective', 'subjective']);
    expect(Math.abs(line.probabilities.objective - hf.probabilities[k][0])).toBeLessThan(1e-5);
    expect(Math.abs(line.probabilities.subjective - hf.probabilities[k][1])).toBeLessThan(1e-5);
    expect(line.score).toBe(line.probabilities[line.label]);
  });
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-predict-'));
  modelDir = path.join(work, 'tiny');
  // initializer_range 0.3, seed 0: a random model whose predictions differ between texts.
  runReference('make_tiny_checkpoint.py', [], {
    dir: modelDir, tokenizer_dir: path.join(SHARED_DATA, 'albert-v2-tokenizer'), seed: 0, config: { initializer_range: 0.3 },
  });
  texts = fs.readFileSync(path.join(SHARED_DATA, 'subj', 'test.jsonl'), 'utf8').split('\n').slice(0, 40)
    .map((line) => JSON.parse(line).text as string);
  hf = runReference<HfClassification>('classify_reference.py', [], { dir: modelDir, texts, max_length: 128 });
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('predictions equal HF transformers\', in input order', () => {
  test('the reference is a useful one: both labels occur, and the texts are of many lengths', () => {
    expect(new Set(hf.predicted).size).toBe(2);
    expect(new Set(texts.map((t) => t.split(' ').length)).size).toBeGreaterThan(10);
  });

  test('--text, repeated: one line per text on stdout', () => {
    const picked = [3, 0, 17, 9, 25];
    const run = cli(['predict', '--model', modelDir, '--amp', 'off', ...picked.flatMap((k) => ['--text', texts[k]])]);
    expect(run.stderr).not.toMatch(/ERR_/);
    expect(run.status).toBe(0);
    const lines = parseLines(run.stdout);
    expectMatchesHf(lines, picked);
    for (const line of lines) expect(line.logits).toBeUndefined();
  });

  test('--file jsonl in batches of 3, --output-logits, --output: every row, in file order', () => {
    const input = path.join(work, 'texts.jsonl');
    fs.writeFileSync(input, `${texts.map((text, i) => JSON.stringify({ id: i, text })).join('\n')}\n`);
    const output = path.join(work, 'predictions.jsonl');
    const run = cli(['predict', '--model', modelDir, '--amp', 'off', '--file', input, '--per-device-eval-batch-size', '3',
      '--output-logits', '--output', output]);
    expect(run.stderr).not.toMatch(/ERR_/);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('');
    const lines = parseLines(fs.readFileSync(output, 'utf8'));
    expectMatchesHf(lines, texts.map((_, i) => i));
    expect(lines.map((line) => line.id)).toEqual(texts.map((_, i) => i)); // the file's id column
    expect(lines.every((line) => line.line === undefined)).toBe(true);
    lines.forEach((line, i) => {
      expect(line.logits).toHaveLength(2);
      line.logits!.forEach((value, c) => expect(Math.abs(value - hf.logits[i][c])).toBeLessThan(1e-4));
    });
    expect(fs.readdirSync(work).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });

  test('--file csv with --text-column: the same predictions', () => {
    const input = path.join(work, 'texts.csv');
    const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
    fs.writeFileSync(input, `n,sentence\n${texts.slice(0, 12).map((text, i) => `${i},${quote(text)}`).join('\n')}\n`);
    const run = cli(['predict', '--model', modelDir, '--amp', 'off', '--file', input, '--text-column', 'sentence']);
    expect(run.status).toBe(0);
    const lines = parseLines(run.stdout);
    expectMatchesHf(lines, texts.slice(0, 12).map((_, i) => i));
    // No id column: each line names its input's line in the file (the header is line 1).
    expect(lines.map((line) => [line.id, line.line])).toEqual(texts.slice(0, 12).map((_, i) => [undefined, i + 2]));
  });

  test('--file txt: one text per line, blank lines skipped, each output naming its line', () => {
    const input = path.join(work, 'texts.txt');
    const picked = [5, 1, 30, 12];
    // CRLF line ends, a blank and a whitespace-only line between texts, no final newline.
    fs.writeFileSync(input, `${texts[5]}\r\n\r\n${texts[1]}\n   \n${texts[30]}\n${texts[12]}`);
    const run = cli(['predict', '--model', modelDir, '--amp', 'off', '--file', input]);
    expect(run.stderr).not.toMatch(/ERR_/);
    expect(run.status).toBe(0);
    const lines = parseLines(run.stdout);
    expectMatchesHf(lines, picked);
    expect(lines.map((line) => line.line)).toEqual([1, 3, 5, 6]);
  });

  test('numbers are printed as float32 values, also when the forward ran in bf16', () => {
    const input = path.join(work, 'fp32.jsonl');
    fs.writeFileSync(input, `${texts.slice(0, 6).map((text) => JSON.stringify({ text })).join('\n')}\n`);
    for (const amp of ['off', 'bf16']) {
      const run = cli(['predict', '--model', modelDir, '--amp', amp, '--file', input, '--output-logits']);
      expect([amp, run.status, run.stderr.match(/ERR_\w+.*/)?.[0]]).toEqual([amp, 0, undefined]);
      // Every number as JSON printed it is what numpy prints for that float32 (the shortest
      // decimal that reads back as it), not a float64 (0.621821403503418 before).
      const printed = run.stdout.match(/-?\d+(\.\d+)?(e[-+]?\d+)?/g) as string[];
      expect(printed.length).toBeGreaterThanOrEqual(6 * 5);
      expect(printed.map(Number)).toEqual(numpyFloat32(printed).map(Number));
      expect(printed.every((token) => token.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').length <= 9)).toBe(true);
      // Within bf16's precision of HF's fp32 logits (8 bits of mantissa: about 1%, and the logits are O(1)).
      const tolerance = amp === 'off' ? 1e-4 : 5e-2;
      parseLines(run.stdout).forEach((line, i) => line.logits!.forEach((v, c) => expect(Math.abs(v - hf.logits[i][c])).toBeLessThan(tolerance)));
    }
  });

  test('the library API: typed rows in input order, the same whatever the batch size', async () => {
    const model = await AlbertForSequenceClassification.fromPretrained(modelDir);
    const tokenizer = await AlbertTokenizer.fromDirectory(modelDir);
    try {
      const one = await predict(model, tokenizer, texts, { batchSize: 1, outputLogits: true });
      const seven = await predict(model, tokenizer, texts.map((text) => ({ text })), { batchSize: 7, outputLogits: true });
      expectMatchesHf(one, texts.map((_, i) => i));
      expectMatchesHf(seven, texts.map((_, i) => i));
      expect(seven).toHaveLength(texts.length);
      // fp32 forward: padding to another length changes the logits by rounding only.
      seven.forEach((row, i) => {
        expect(row.label).toBe(one[i].label);
        expect(row.logits).toHaveLength(2);
        row.logits!.forEach((v, c) => expect(Math.abs(v - one[i].logits![c])).toBeLessThan(1e-5));
        for (const name of Object.keys(row.probabilities)) expect(Math.abs(row.probabilities[name] - one[i].probabilities[name])).toBeLessThan(1e-6);
      });
      await expect(predict(model, tokenizer, texts, { batchSize: 0 })).rejects.toThrow(/positive integer for batchSize/);
    } finally {
      model.dispose();
    }
  });
});

describe('bad input: exit 2, a message naming the flag, file or line, no --output file', () => {
  const files: Record<string, string> = {};

  beforeAll(() => {
    const write = (name: string, contents: string) => {
      files[name] = path.join(work, name);
      fs.writeFileSync(files[name], contents);
    };
    write('empty.jsonl', '');
    write('malformed.jsonl', '{"text": "one"}\n{"text": "two"}\n{"text": "three"\n');
    write('good.jsonl', '{"text": "one"}\n{"text": "two"}\n');
    write('twice.csv', 'text,id,text\na,1,b\n');
    write('blank.txt', '\n  \n\n');
    write('good.txt', 'one\ntwo\n');
    const latin1 = Buffer.concat([Buffer.from('first text\nsecond text\ncaf'), Buffer.from([0xe9]), Buffer.from(' au lait\n')]);
    files['latin1.txt'] = path.join(work, 'latin1.txt');
    fs.writeFileSync(files['latin1.txt'], latin1);
    const noWeights = path.join(work, 'no-weights');
    fs.mkdirSync(noWeights);
    fs.copyFileSync(path.join(modelDir, 'config.json'), path.join(noWeights, 'config.json'));
    files['no-weights'] = noWeights;
  });

  const cases: Array<[string, () => string[], () => RegExp]> = [
    ['a missing model folder', () => ['--model', '/nonexistent/model', '--text', 'a'], () => /--model \/nonexistent\/model: not found/],
    ['a model folder without model.safetensors', () => ['--model', files['no-weights'], '--text', 'a'],
      () => new RegExp(`--model ${files['no-weights']}: no model\\.safetensors \\(nor pytorch_model\\.bin\\) in`)],
    ['an empty --file', () => ['--file', files['empty.jsonl']], () => new RegExp(`${files['empty.jsonl']}: no rows \\(the file is empty\\)`)],
    ['malformed JSON on line 3', () => ['--file', files['malformed.jsonl']], () => new RegExp(`${files['malformed.jsonl']}:3: malformed JSON`)],
    ['an unknown column', () => ['--file', files['good.jsonl'], '--text-column', 'sentence'],
      () => new RegExp(`${files['good.jsonl']}:1: --text-column "sentence" is not a column; the columns are "text"`)],
    ['a misspelled column: the columns there are, and the close one suggested', () => ['--file', files['good.jsonl'], '--text-column', 'txt'],
      () => new RegExp(`${files['good.jsonl']}:1: --text-column "txt" is not a column; the columns are "text"; did you mean --text-column "text"\\?`)],
    ['a header that names a column twice', () => ['--file', files['twice.csv']],
      () => new RegExp(`${files['twice.csv']}:1: the header names the column "text" twice \\(fields 1 and 3\\)`)],
    ['a .txt that is not UTF-8: the line and byte', () => ['--file', files['latin1.txt']],
      () => new RegExp(`${files['latin1.txt']}:3: not valid UTF-8: byte 0xe9 at byte offset 26 of the file`)],
    ['a .txt of blank lines', () => ['--file', files['blank.txt']], () => new RegExp(`${files['blank.txt']}: no rows \\(the file is empty or blank\\)`)],
    ['--text-column with a .txt', () => ['--file', files['good.txt'], '--text-column', 'sentence'], () => /a \.txt file holds one text per line and has no columns/],
    ['batch size 0', () => ['--text', 'a', '--per-device-eval-batch-size', '0'],
      () => /ERR_ARGUMENT: Expected positive integer for --per-device-eval-batch-size but received 0/],
    ['max length below 3', () => ['--text', 'a', '--max-seq-length', '2'], () => /for --max-seq-length but received 2/],
    ['both --text and --file', () => ['--text', 'a', '--file', files['good.jsonl']], () => /give --text or --file, not both/],
    ['neither --text nor --file', () => [], () => /--text "\.\.\." \(repeatable\) or --file FILE/],
    ['an empty --text', () => ['--text', ' '], () => /--text number 1 is only whitespace/],
    ['an --output in a missing folder', () => ['--text', 'a', '--output', '/nonexistent/dir/out.jsonl'], () => /--output \/nonexistent\/dir\/out\.jsonl: the folder/],
  ];

  test.each(cases)('%s', (_, extra, message) => {
    const outDir = fs.mkdtempSync(path.join(work, 'bad-'));
    const output = path.join(outDir, 'out.jsonl');
    const run = cli(withFlags(['predict', '--model', modelDir, '--amp', 'off', '--output', output], extra()));
    expect(run.stderr).toMatch(message());
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(fs.readdirSync(outDir)).toEqual([]);
  });
});
