// Resolving --model and --dataset: a local path first; then the built-in names (the ALBERT v2
// presets' configs and tokenizer, and the `subj` dataset) from the data folder
// ($ALBERT_TRAINER_DATA, else ../shared/data beside the package). The HF hub cache and
// downloads are not built yet: a name found nowhere is one error listing where we looked.
import * as fs from 'fs';
import * as path from 'path';
import { AlbertTrainerError } from './errors';
import { packageRoot } from './native';

export const PRESETS = ['albert-base-v2', 'albert-large-v2', 'albert-xlarge-v2', 'albert-xxlarge-v2'] as const;

export function dataFolder(): string {
  return process.env.ALBERT_TRAINER_DATA ?? path.resolve(packageRoot(), '..', 'shared', 'data');
}

export interface ResolvedModel {
  /** A folder with config.json (and, for pretrained weights, model.safetensors). */
  configFile: string;
  weightsDir?: string;
  /** Where the tokenizer files are, unless --tokenizer says otherwise. */
  tokenizerDir: string;
  name: string;
}

export function resolveModel(name: string): ResolvedModel {
  if (fs.existsSync(name) && fs.statSync(name).isDirectory()) {
    return { configFile: path.join(name, 'config.json'), weightsDir: name, tokenizerDir: name, name: path.basename(path.resolve(name)) };
  }
  const preset = (PRESETS as readonly string[]).includes(name.replace(/^albert\//, '')) ? name.replace(/^albert\//, '') : undefined;
  const looked = [path.resolve(name)];
  if (preset) {
    const configFile = path.join(dataFolder(), 'albert-configs', `${preset}.json`);
    looked.push(configFile);
    if (fs.existsSync(configFile)) {
      return { configFile, tokenizerDir: path.join(dataFolder(), 'albert-v2-tokenizer'), name: preset };
    }
  }
  throw new AlbertTrainerError('ERR_IO', `--model ${name}: not found; looked in ${looked.join(', ')} (HF hub downloads are not supported yet)`);
}

export interface ResolvedDataset {
  trainFile: string;
  evalFile?: string;
  name: string;
}

export function resolveDataset(name: string): ResolvedDataset {
  const candidates = [name];
  if (name === 'subj' || name === 'SetFit/subj') candidates.push(path.join(dataFolder(), 'subj'));
  for (const dir of candidates) {
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) continue;
    const find = (stems: string[]) => {
      for (const stem of stems) {
        for (const ext of ['.jsonl', '.json', '.csv', '.tsv']) {
          const file = path.join(dir, stem + ext);
          if (fs.existsSync(file)) return file;
        }
      }
      return undefined;
    };
    const trainFile = find(['train']);
    if (!trainFile) throw new AlbertTrainerError('ERR_IO', `--dataset ${dir}: no train.jsonl, train.csv or train.tsv in it`);
    return { trainFile, evalFile: find(['validation', 'test']), name: name === 'subj' ? 'SetFit/subj' : path.basename(path.resolve(dir)) };
  }
  throw new AlbertTrainerError('ERR_IO', `--dataset ${name}: not found; looked in ${candidates.map((c) => path.resolve(c)).join(', ')}`);
}
