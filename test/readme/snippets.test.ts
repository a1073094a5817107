// Every code block of README.md runs, so the README cannot go stale (issue 18). TypeScript blocks
// are whole programs: type-checked with the project's compiler options against the package
// sources (ts/index.ts as 'albert-trainer'), then run against the built package (dist/, as a
// consumer's node_modules/albert-trainer) in a folder that holds what the program names: a small
// model folder and SUBJ files. Shell blocks are `npx albert-train ...` commands, run in order in
// one folder against dist/cli.js, with tiny settings where training would take minutes. A block
// that cannot run here (set-up, hub downloads, output shown) is marked
// `<!-- illustrative: why -->`, and every other block must be one of the two kinds.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { AlbertForSequenceClassification, AlbertTokenizer } from '../../ts';
import { REPO_ROOT, SHARED_DATA } from '../helpers/paths';
import { type CodeBlock, codeBlocks, shellCommands } from './readme-blocks';

const README = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const blocks = codeBlocks(README);
const ENV = { ...process.env, ALBERT_TRAINER_DATA: SHARED_DATA, HF_HUB_OFFLINE: '1' };
let work: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-readme-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const where = (b: CodeBlock) => `README.md:${b.line} (${b.lang || 'no language'})`;

test('every block is run below or marked illustrative with a reason', () => {
  const uncovered = blocks.filter((b) => !b.illustrative && b.lang !== 'ts' && b.lang !== 'sh').map(where);
  expect(uncovered).toEqual([]);
  const notCommands = blocks.filter((b) => !b.illustrative && b.lang === 'sh')
    .flatMap((b) => shellCommands(b.code).filter((w) => w[0] !== 'npx' || w[1] !== 'albert-train').map((w) => `${where(b)}: ${w.join(' ')}`));
  expect(notCommands).toEqual([]);
  expect(blocks.filter((b) => !b.illustrative && b.lang === 'ts')).not.toHaveLength(0);
});

/** The SUBJ lines 0..n of a split, as a file. */
function subjSlice(split: string, n: number, file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${fs.readFileSync(path.join(SHARED_DATA, 'subj', `${split}.jsonl`), 'utf8').split('\n').slice(0, n).join('\n')}\n`);
}

/** Type errors of `file` compiled with tsconfig.json's options, 'albert-trainer' being ts/index.ts. */
function typeErrors(file: string): string[] {
  const config = ts.readConfigFile(path.join(REPO_ROOT, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, REPO_ROOT);
  const program = ts.createProgram([file], {
    ...options, noEmit: true, incremental: false, declaration: false, rootDir: undefined, outDir: undefined, tsBuildInfoFile: undefined,
    baseUrl: REPO_ROOT, paths: { 'albert-trainer': [path.join(REPO_ROOT, 'ts', 'index.ts')] },
  });
  return ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === file)
    .map((d) => `${file}:${(d.file?.getLineAndCharacterOfPosition(d.start ?? 0).line ?? 0) + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

describe('TypeScript blocks: compiled and run', () => {
  const programs = blocks.filter((b) => !b.illustrative && b.lang === 'ts');

  test.each(programs.map((b) => [where(b), b] as const))('%s', async (_, block) => {
    // What the program names: a model folder (a small random-init one, with the tokenizer) and SUBJ files.
    const dir = fs.mkdtempSync(path.join(work, 'ts-'));
    const tokenizer = await AlbertTokenizer.fromDirectory(path.join(SHARED_DATA, 'albert-v2-tokenizer'));
    const model = AlbertForSequenceClassification.fromConfig({ vocab_size: 30000, embedding_size: 32, hidden_size: 64, num_hidden_layers: 1,
      num_attention_heads: 2, intermediate_size: 128 }, { seed: 1 });
    await model.savePretrained(path.join(dir, 'albert-base-v2'), { tokenizer });
    model.dispose();
    subjSlice('train', 64, path.join(dir, 'data', 'train.jsonl'));
    subjSlice('test', 32, path.join(dir, 'data', 'validation.jsonl'));
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(REPO_ROOT, path.join(dir, 'node_modules', 'albert-trainer'), 'dir');

    const source = path.join(dir, 'program.ts');
    fs.writeFileSync(source, block.code);
    expect(typeErrors(source)).toEqual([]);
    const js = ts.transpileModule(block.code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText;
    fs.writeFileSync(path.join(dir, 'program.js'), js);
    const run = spawnSync(process.execPath, ['program.js'], { cwd: dir, encoding: 'utf8', env: ENV });
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.status).toBe(0);
    // What the README says it prints: the evaluation, then the reloaded model's predictions.
    expect(run.stdout).toMatch(/accuracy 0\.\d{4}/);
    expect(run.stdout).toMatch(/label: '(objective|subjective)'/);
    expect(fs.existsSync(path.join(dir, 'my-classifier', 'model.safetensors'))).toBe(true);
  }, 300_000);
});

/**
 * A README command with tiny settings where it would train for minutes: a few steps on a few
 * rows of a small config; everything else as written.
 */
function tiny(args: string[]): string[] {
  const out = [...args];
  const set = (flag: string, value: string) => {
    const at = out.indexOf(flag);
    if (at >= 0) out[at + 1] = value;
    else out.push(flag, value);
  };
  if (out[0] === 'train') {
    set('--max-steps', '4');
    set('--max-train-samples', '64');
    set('--max-eval-samples', '32');
    if (out.includes('--config-overrides')) set('--config-overrides', 'hidden_size=64,num_hidden_layers=1,num_attention_heads=2,intermediate_size=128,embedding_size=32');
  }
  if (out[0] === 'eval') set('--max-eval-samples', '32');
  return out;
}

describe('shell blocks: each albert-train command, in order, in one folder', () => {
  const commands = blocks.filter((b) => !b.illustrative && b.lang === 'sh').flatMap((b) => shellCommands(b.code).map((w) => [where(b), w.slice(2)] as const));
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(work, 'sh-'));
  });

  test.each(commands.map(([at, args]) => [`${at}: albert-train ${args.join(' ')}`, args] as const))('%s', (_, args) => {
    const run = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'cli.js'), ...tiny(args)], { cwd: dir, encoding: 'utf8', env: ENV });
    expect(run.stderr).not.toMatch(/ERR_/);
    expect(run.status).toBe(0);
  }, 300_000);
});
