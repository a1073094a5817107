// Resolving --model and --dataset, in the order the HF ecosystem uses, first hit wins:
//   1. a local folder;
//   2. the built-in names (the ALBERT v2 presets' configs and tokenizer, the `subj` dataset)
//      from the data folder ($ALBERT_TRAINER_DATA, else ../shared/data beside the package). A
//      preset is a config without weights, so it answers only a random init: with pretrained
//      weights wanted, a bare preset name is the hub's `albert/<name>` (the hub's own alias);
//      an `org/name` id always goes to the cache and the hub;
//   3. the HF hub cache (ts/hub/cache.ts), then a download into it (ts/hub/download.ts) unless
//      HF_HUB_OFFLINE. A name may carry a revision: `org/name@v1.0`; `subj` is `SetFit/subj`.
// A name found nowhere is one error listing every place we looked.
import * as fs from 'fs';
import * as path from 'path';
import { AlbertTrainerError } from './errors';
import { type RepoType, isOffline, parseRepoRef } from './hub/cache';
import type { DataLayout } from './data/splits';
import { type DatasetSnapshot, type Snapshot, datasetSnapshot, folderLayout, modelSnapshot } from './hub/snapshot';
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
  /** The hub commit, where the model came from the hub cache or a download. */
  commit?: string;
}

export interface ResolvedDataset {
  name: string;
  /** The folder the split files are in (a local folder, or the hub snapshot). */
  dir: string;
  /** The config chosen (`default` where the repo has one unnamed config) and every config there is. */
  config: string;
  configs: string[];
  /** Split name -> its files (absolute paths), shards in read order. */
  splits: Record<string, string[]>;
  /** The hub commit, where the dataset came from the hub cache or a download. */
  commit?: string;
  /** The hub revision read: the one asked for, or refs/convert/parquet for a script-only repo. */
  revision?: string;
}

function isDirectory(p: string): boolean {
  return fs.existsSync(p) && fs.statSync(p).isDirectory();
}

/** `org/name@rev` -> `org/name`. */
function repoId(name: string): string {
  return name.split('@')[0];
}

function notFound(flag: string, name: string, looked: string[]): AlbertTrainerError {
  const offline = isOffline() ? '; HF_HUB_OFFLINE is on, so the hub was not asked' : '';
  return new AlbertTrainerError('ERR_IO', `${flag} ${name}: not found; looked in ${looked.join(', ')}${offline}`);
}

/**
 * The hub step: the cache, then a download. Undefined where `repoName` cannot be a repo id (a
 * path); errors are prefixed with the flag and the name the user typed.
 */
async function fromHub(flag: string, name: string, repoName: string, type: RepoType, config?: string): Promise<Snapshot | DatasetSnapshot | undefined> {
  try {
    const ref = parseRepoRef(repoName, type);
    if (!ref) return undefined;
    return await (type === 'model' ? modelSnapshot(ref) : datasetSnapshot(ref, { config }));
  } catch (error) {
    if (error instanceof AlbertTrainerError) throw new AlbertTrainerError(error.code, `${flag} ${name}: ${error.message}`);
    throw error;
  }
}

/** `albert-base-v2` or `albert/albert-base-v2` -> `albert-base-v2`; undefined for other names. */
function presetName(name: string): string | undefined {
  const bare = name.replace(/^albert\//, '');
  return (PRESETS as readonly string[]).includes(bare) ? bare : undefined;
}

/**
 * `init`: what the caller will do with the model. 'random' (train --init random) needs only a
 * config, so a bare preset name is the data folder's; 'pretrained' (train's default, eval,
 * predict) needs weights, which only a folder, the cache or the hub has.
 */
export async function resolveModel(name: string, init: 'pretrained' | 'random' = 'pretrained'): Promise<ResolvedModel> {
  if (isDirectory(name)) {
    return { configFile: path.join(name, 'config.json'), weightsDir: name, tokenizerDir: name, name: path.basename(path.resolve(name)) };
  }
  const looked = [path.resolve(name)];
  const preset = presetName(repoId(name));
  if (preset && init === 'random' && preset === name) {
    const configFile = path.join(dataFolder(), 'albert-configs', `${preset}.json`);
    looked.push(configFile);
    if (fs.existsSync(configFile)) {
      return { configFile, tokenizerDir: path.join(dataFolder(), 'albert-v2-tokenizer'), name: preset };
    }
  }
  // The hub's legacy alias: `albert-large-v2` is `albert/albert-large-v2` there.
  const hubName = preset && preset === repoId(name) ? `albert/${name}` : name;
  const snapshot = await fromHub('--model', name, hubName, 'model') as Snapshot | undefined;
  if (snapshot?.dir === undefined) throw notFound('--model', name, [...looked, ...(snapshot?.looked ?? [])]);
  const dir = snapshot.dir;
  return { configFile: path.join(dir, 'config.json'), weightsDir: dir, tokenizerDir: dir, name: repoId(hubName), commit: snapshot.commit };
}

function withSplits(dir: string, layout: DataLayout): Pick<ResolvedDataset, 'config' | 'configs' | 'splits'> {
  const splits = Object.fromEntries(Object.entries(layout.splits).map(([split, files]) => [split, files.map((f) => path.join(dir, f))]));
  return { config: layout.config, configs: layout.configs, splits };
}

/**
 * `needs`: the split the caller must have ('train' for training; 'eval' for `albert-train eval`,
 * which checks its own). `config`: --dataset-config-name.
 */
export async function resolveDataset(name: string, needs: 'train' | 'eval' = 'train', config?: string): Promise<ResolvedDataset> {
  const isSubj = name === 'subj' || name === 'SetFit/subj';
  const candidates = [name];
  if (isSubj) candidates.push(path.join(dataFolder(), 'subj'));
  const needTrain = (resolved: ResolvedDataset, where: string): ResolvedDataset => {
    if (needs === 'train' && !resolved.splits.train) {
      throw new AlbertTrainerError('ERR_IO', `--dataset ${name}: no train split in ${where}${resolved.config !== 'default' ? ` (config "${resolved.config}")` : ''}; ` +
        `its splits are ${Object.keys(resolved.splits).join(', ') || '(none)'}`);
    }
    return resolved;
  };
  for (const dir of candidates) {
    if (!isDirectory(dir)) continue;
    const layout = prefixed(() => folderLayout(dir, config, dir));
    return needTrain({ name: isSubj ? 'SetFit/subj' : path.basename(path.resolve(dir)), dir, ...withSplits(dir, layout) }, dir);
  }
  const looked = candidates.map((c) => path.resolve(c));
  const hubName = name === 'subj' || name.startsWith('subj@') ? `SetFit/${name}` : name;
  const snapshot = await fromHub('--dataset', name, hubName, 'dataset', config);
  if (snapshot?.dir === undefined) throw notFound('--dataset', name, [...looked, ...(snapshot?.looked ?? [])]);
  const { dir, layout, commit, revision } = snapshot as Extract<DatasetSnapshot, { layout: DataLayout }>;
  return needTrain({ name: repoId(hubName), dir, ...withSplits(dir, layout), commit, revision }, dir);
}

/** Errors of a local folder's layout, prefixed as the hub's are. */
function prefixed<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof AlbertTrainerError) throw new AlbertTrainerError(error.code, `--dataset ${error.message}`);
    throw error;
  }
}
