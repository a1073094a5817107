// For tests that run the CLI as a user does: a tiny random-init model folder (the ALBERT v2
// tokenizer; hidden 64, 2 layers, so a step takes milliseconds) and a slice of SUBJ, in a
// fresh temporary folder.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT, SHARED_DATA } from './paths';

export interface CliFixture {
  work: string;
  modelDir: string;
  dataDir: string;
}

/** `train` and `test` are how many SUBJ lines go into data/train.jsonl and data/test.jsonl (and validation.jsonl). */
export function makeCliFixture(prefix: string, lines: { train: number; test: number }): CliFixture {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const modelDir = path.join(work, 'tiny');
  fs.mkdirSync(modelDir);
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'spiece.model']) {
    fs.copyFileSync(path.join(SHARED_DATA, 'albert-v2-tokenizer', f), path.join(modelDir, f));
  }
  fs.writeFileSync(path.join(modelDir, 'config.json'), JSON.stringify({ model_type: 'albert', vocab_size: 30000, embedding_size: 32,
    hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 128 }));
  const dataDir = path.join(work, 'data');
  fs.mkdirSync(dataDir);
  const head = (file: string, n: number) => fs.readFileSync(path.join(SHARED_DATA, 'subj', file), 'utf8').split('\n').slice(0, n).join('\n');
  fs.writeFileSync(path.join(dataDir, 'train.jsonl'), `${head('train.jsonl', lines.train)}\n`);
  fs.writeFileSync(path.join(dataDir, 'test.jsonl'), `${head('test.jsonl', lines.test)}\n`);
  // The same rows as the validation split, so runs evaluate on them (with no validation split,
  // train would hold out --validation-split-percentage of its rows); test.jsonl is then scored
  // once at the end into test_results.json.
  fs.writeFileSync(path.join(dataDir, 'validation.jsonl'), `${head('test.jsonl', lines.test)}\n`);
  return { work, modelDir, dataDir };
}

/**
 * Runs `albert-train` (dist/cli.js) as a child process without blocking this one (a test that
 * serves a hub in-process must not spawnSync), with the HF token, offline and cache variables of
 * this process removed and `env` on top.
 */
export function runCliAsync(args: string[], env: Record<string, string>): Promise<{ status: number; stdout: string; stderr: string }> {
  const clean = { ...process.env };
  for (const name of ['HF_TOKEN', 'HF_HUB_OFFLINE', 'TRANSFORMERS_OFFLINE', 'HUGGINGFACE_HUB_CACHE']) delete clean[name];
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(REPO_ROOT, 'dist', 'cli.js'), ...args], { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...clean, ...env } }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}
