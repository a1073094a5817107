// Where the suite finds things (the repository, the reference python, the shared data) and the
// model configs it times. Every runner of a config starts from one seeded HF checkpoint,
// written once by make_model.py.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** The repository root (this file runs from build/bench/benchmarks/). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
/** The python with torch + transformers: $ALBERT_TRAINER_PYTHON, else the project's .venv. */
export const PYTHON = process.env.ALBERT_TRAINER_PYTHON ?? path.join(REPO_ROOT, '.venv', 'bin', 'python');
/** Model configs, the ALBERT tokenizer and SUBJ: $ALBERT_TRAINER_DATA, else ../shared/data. */
export const SHARED_DATA = process.env.ALBERT_TRAINER_DATA ?? path.resolve(REPO_ROOT, '..', 'shared', 'data');
export const TOKENIZER_DIR = path.join(SHARED_DATA, 'albert-v2-tokenizer');
export const SUBJ_TRAIN = path.join(SHARED_DATA, 'subj', 'train.jsonl');
/** Benchmark sources that are not compiled (python peers, make_model.py). */
export const BENCH_SRC = path.join(REPO_ROOT, 'benchmarks');

const fromFile = (name: string) => () =>
  JSON.parse(fs.readFileSync(path.join(SHARED_DATA, 'albert-configs', `${name}.json`), 'utf8')) as Record<string, unknown>;

/** Config name -> HF config.json fields (num_labels is added by makeModel). */
export const CONFIGS: Record<string, () => Record<string, unknown>> = {
  // The small config: hidden 256, 4 layers, 4 heads, FFN 1024, embedding 128.
  small: () => ({ vocab_size: 30000, embedding_size: 128, hidden_size: 256, num_hidden_layers: 4,
    num_attention_heads: 4, intermediate_size: 1024, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 }),
  base: fromFile('albert-base-v2'),
  large: fromFile('albert-large-v2'),
};

/** How reports name a config. */
export const CONFIG_LABELS: Record<string, string> = { small: 'small', base: 'albert-base-v2', large: 'albert-large-v2' };

/** Writes a random-init AlbertForSequenceClassification (2 labels) seeded by `seed` into `dir`. */
export function makeModel(name: string, dir: string, seed = 42): void {
  const config = { ...CONFIGS[name](), num_labels: 2 };
  try {
    execFileSync(PYTHON, [path.join(BENCH_SRC, 'make_model.py'), dir, String(seed)],
      { input: JSON.stringify(config), stdio: ['pipe', 'ignore', 'pipe'], encoding: 'utf8' });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim().split('\n').slice(-3).join(' | ');
    throw new Error(`make_model.py could not write the ${name} checkpoint: ${stderr || (error as Error).message}`);
  }
}
