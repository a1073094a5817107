// Which files make which split of which config, from a list of relative file names (a hub
// listing, already checked by checkListing, or a local folder's files), as HF
// `datasets.load_dataset` resolves a repo without a loading script:
//   1. a README.md `configs:` block (YAML front matter): each config's `data_files`, a pattern
//      or list of patterns (all `train`) or a list of {split, path}; `default: true` marks the
//      config used when none is named. Patterns match only names from the list.
//   2. else config folders and split names: `<config>/<split>-00000-of-00003.parquet` (GLUE),
//      `<config>/<split>/0000.parquet` (the hub's refs/convert/parquet branch), `train.jsonl`
//      and `data/train-*.parquet` at the top (the config "default").
// Split names by keyword, as datasets' defaults: train|training, validation|valid|dev|val,
// test|testing|eval|evaluation, each followed by nothing or by one of `-._ ` and digits or more
// (`train-00000-of-00003`, `dev_matched`). Shards are sorted by name, so read in order.
import { parse as parseYaml } from 'yaml';
import { AlbertTrainerError } from '../errors';
import { quotedList } from './columns';

export const DATA_EXTENSIONS = ['.parquet', '.jsonl', '.json', '.csv', '.tsv'];
export const SPLIT_KEYWORDS: Record<string, string[]> = {
  train: ['train', 'training'],
  validation: ['validation', 'valid', 'dev', 'val'],
  test: ['test', 'testing', 'eval', 'evaluation'],
};
export const DEFAULT_CONFIG = 'default';

export interface DataLayout {
  /** The config chosen. */
  config: string;
  /** Every config found, in name order. */
  configs: string[];
  /** Split name (train, validation, test, or a card's own name) -> relative file names, in read order. */
  splits: Record<string, string[]>;
  /** Where the layout came from: 'README.md configs' or 'file names'. */
  source: string;
}

const isDataFile = (name: string) => DATA_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext)) && !name.split('/').some((part) => part.startsWith('.'));

/** `train-00000-of-00003.parquet` -> 'train'; `dev_matched.tsv` -> 'validation'; undefined for other names. */
export function splitOfName(name: string): string | undefined {
  const stem = name.replace(/\.[^.]+$/, '').toLowerCase();
  for (const [split, keywords] of Object.entries(SPLIT_KEYWORDS)) {
    for (const keyword of keywords) {
      if (stem === keyword || new RegExp(`^${keyword}[-._ 0-9]`).test(stem)) return split;
    }
  }
  return undefined;
}

/** A path under a config's base: `train/0000.parquet` (split folder) or `train-00000-of-00001.parquet`. */
function splitOfPath(rest: string): string | undefined {
  const parts = rest.split('/');
  if (parts.length === 1) return splitOfName(parts[0]);
  if (parts.length === 2) {
    const folder = parts[0].toLowerCase();
    for (const [split, keywords] of Object.entries(SPLIT_KEYWORDS)) if (keywords.includes(folder)) return split;
  }
  return undefined;
}

/** A glob of datasets' data_files (`*` within a folder, `**` across folders, `?`, `[...]`) as a RegExp. */
export function globToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      out += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i);
      if (end < 0) out += '\\[';
      else {
        out += `[${pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else out += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${out.replace(/^\.\//, '')}$`);
}

interface CardConfig {
  config_name?: unknown;
  data_files?: unknown;
  default?: unknown;
}

/** The `configs:` list of a dataset card's YAML front matter; undefined where the card has none. */
export function cardConfigs(readme: string, where: string): CardConfig[] | undefined {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\s*(\r?\n|$)/.exec(readme.replace(/^\uFEFF/, ''));
  if (!match) return undefined;
  let front: unknown;
  try {
    front = parseYaml(match[1]);
  } catch (e) {
    throw new AlbertTrainerError('ERR_INPUT', `${where}: the YAML front matter does not parse: ${(e as Error).message.split('\n')[0]}`);
  }
  const configs = (front as { configs?: unknown } | null)?.configs;
  if (configs === undefined || configs === null) return undefined;
  if (!Array.isArray(configs)) throw new AlbertTrainerError('ERR_INPUT', `${where}: configs: is not a list`);
  return configs as CardConfig[];
}

function patternsOf(value: unknown, where: string): Record<string, string[]> {
  const list = (v: unknown): string[] => {
    if (typeof v === 'string') return [v];
    if (Array.isArray(v) && v.every((p) => typeof p === 'string')) return v as string[];
    throw new AlbertTrainerError('ERR_INPUT', `${where}: a data_files path is ${JSON.stringify(v)}; expected a pattern or a list of patterns`);
  };
  if (typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'))) return { train: list(value) };
  if (Array.isArray(value)) {
    const out: Record<string, string[]> = {};
    for (const entry of value as Array<{ split?: unknown; path?: unknown }>) {
      if (entry === null || typeof entry !== 'object' || typeof entry.split !== 'string') {
        throw new AlbertTrainerError('ERR_INPUT', `${where}: a data_files entry is ${JSON.stringify(entry)}; expected {split, path}`);
      }
      out[entry.split] = [...(out[entry.split] ?? []), ...list(entry.path)];
    }
    return out;
  }
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([split, p]) => [split, list(p)]));
  throw new AlbertTrainerError('ERR_INPUT', `${where}: data_files is ${JSON.stringify(value)}`);
}

function chooseConfig(configs: string[], wanted: string | undefined, preferred: string | undefined, where: string): string {
  if (configs.length === 0) {
    throw new AlbertTrainerError('ERR_INPUT', `${where}: no data files (${DATA_EXTENSIONS.join(', ')}) named as train/validation/test splits, at the top, under data/ or in a config folder`);
  }
  if (wanted !== undefined) {
    if (!configs.includes(wanted)) throw new AlbertTrainerError('ERR_ARGUMENT', `${where}: no config "${wanted}" (--dataset-config-name); the configs are ${quotedList(configs)}`);
    return wanted;
  }
  if (preferred !== undefined) return preferred;
  if (configs.length === 1) return configs[0];
  throw new AlbertTrainerError('ERR_ARGUMENT', `${where}: the dataset has ${configs.length} configs; pick one with --dataset-config-name: ${quotedList(configs)}`);
}

/** Splits named by an alias of validation (dev, valid) are called validation, as run_glue.py's users know them. */
function normalised(splits: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, files] of Object.entries(splits)) {
    const alias = Object.entries(SPLIT_KEYWORDS).find(([, keywords]) => keywords.includes(name.toLowerCase()))?.[0];
    const key = alias !== undefined && splits[alias] === undefined ? alias : name;
    out[key] = [...files].sort();
  }
  return out;
}

/**
 * The layout of `files` (relative names, already checked as safe) for `config` (undefined: the
 * default one, or the only one). `readme`: the text of the repo's README.md, when it has one.
 * `where` names the dataset in messages.
 */
export function resolveLayout(files: readonly string[], options: { config?: string; readme?: string; where: string }): DataLayout {
  const { where } = options;
  const data = files.filter(isDataFile).sort();
  const card = options.readme === undefined ? undefined : cardConfigs(options.readme, `${where} README.md`);
  if (card !== undefined) {
    const names = card.map((c, i) => (typeof c?.config_name === 'string' ? c.config_name : i === 0 && card.length === 1 ? DEFAULT_CONFIG : undefined));
    if (names.some((n) => n === undefined)) throw new AlbertTrainerError('ERR_INPUT', `${where} README.md: a configs: entry has no config_name`);
    const preferred = card.find((c) => c?.default === true)?.config_name as string | undefined;
    const config = chooseConfig(names as string[], options.config, preferred ?? (names.includes(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined), where);
    const entry = card[names.indexOf(config)];
    const splits: Record<string, string[]> = {};
    for (const [split, patterns] of Object.entries(patternsOf(entry.data_files, `${where} README.md config "${config}"`))) {
      const regexps = patterns.map(globToRegExp);
      const matched = data.filter((file) => regexps.some((r) => r.test(file)));
      if (matched.length === 0) {
        throw new AlbertTrainerError('ERR_INPUT', `${where} README.md config "${config}": split "${split}" (${quotedList(patterns)}) matches no data file in the repo`);
      }
      splits[split] = matched;
    }
    return { config, configs: [...(names as string[])].sort(), splits: normalised(splits), source: 'README.md configs' };
  }
  const byConfig = new Map<string, Record<string, string[]>>();
  for (const file of data) {
    const parts = file.split('/');
    const [config, rest] = parts.length === 1 ? [DEFAULT_CONFIG, file] : parts[0] === 'data' ? [DEFAULT_CONFIG, parts.slice(1).join('/')] : [parts[0], parts.slice(1).join('/')];
    const split = splitOfPath(rest);
    if (split === undefined) continue;
    const splits = byConfig.get(config) ?? {};
    (splits[split] ??= []).push(file);
    byConfig.set(config, splits);
  }
  const configs = [...byConfig.keys()].sort();
  const config = chooseConfig(configs, options.config, byConfig.has(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined, where);
  return { config, configs, splits: normalised(byConfig.get(config) as Record<string, string[]>), source: 'file names' };
}

/** A split's shards that are missing by their own count (`-00001-of-00003`): a message, or undefined when whole. */
export function missingShards(files: readonly string[]): string | undefined {
  const groups = new Map<string, Set<number>>();
  for (const file of files) {
    const m = /^(.*)-(\d+)-of-(\d+)(\.[^./]+)$/.exec(file);
    if (!m) continue;
    const key = `${m[1]}-*-of-${m[3]}${m[4]}`;
    const seen = groups.get(key) ?? new Set<number>();
    seen.add(Number(m[2]));
    groups.set(key, seen);
  }
  for (const [key, seen] of groups) {
    const total = Number(/-of-(\d+)/.exec(key)?.[1]);
    if (seen.size !== total) return `${key}: ${seen.size} of ${total} shards`;
  }
  return undefined;
}

/** The split used for evaluation when none is named: validation (or its aliases), as run_glue.py. */
export function validationSplit(splits: Record<string, string[]>): string | undefined {
  return Object.keys(splits).find((name) => SPLIT_KEYWORDS.validation.includes(name.toLowerCase()));
}

/**
 * Class names of `column` from a dataset card's YAML `dataset_info` (features: - name: label,
 * dtype: class_label: names: {'0': neg, '1': pos}; a list of such per config_name) or from a
 * dataset_info.json ({features: {label: {_type: ClassLabel, names}}}, or keyed by config), as
 * `datasets` reads its features from either. Undefined where neither names them.
 */
export function cardClassNames(card: { readme?: string; datasetInfo?: string }, config: string, column: string): string[] | undefined {
  const fromFeatureList = (info: unknown): string[] | undefined => {
    const features = (info as { features?: unknown } | null)?.features;
    if (Array.isArray(features)) {
      const feature = features.find((f) => (f as { name?: unknown } | null)?.name === column) as { dtype?: { class_label?: { names?: unknown } } } | undefined;
      const names = feature?.dtype?.class_label?.names;
      if (names && typeof names === 'object') {
        const entries = Array.isArray(names) ? names.map((n, i) => [String(i), n] as const) : Object.entries(names as Record<string, unknown>);
        const out: string[] = [];
        for (const [id, name] of entries) if (/^\d+$/.test(id) && typeof name === 'string') out[Number(id)] = name;
        if (out.length > 0 && out.every((n) => typeof n === 'string')) return out;
      }
    } else if (features && typeof features === 'object') {
      const feature = (features as Record<string, { _type?: unknown; names?: unknown } | null>)[column];
      if (feature?._type === 'ClassLabel' && Array.isArray(feature.names) && feature.names.every((n) => typeof n === 'string')) return feature.names as string[];
    }
    return undefined;
  };
  if (card.readme !== undefined) {
    const match = /^---\r?\n([\s\S]*?)\r?\n---\s*(\r?\n|$)/.exec(card.readme.replace(/^\uFEFF/, ''));
    let info: unknown;
    try {
      info = match ? (parseYaml(match[1]) as { dataset_info?: unknown } | null)?.dataset_info : undefined;
    } catch {
      info = undefined; // a card that does not parse names nothing; the configs: reader reports it
    }
    const forConfig = Array.isArray(info) ? info.find((i) => (i as { config_name?: unknown } | null)?.config_name === config) ?? (info.length === 1 ? info[0] : undefined) : info;
    const names = fromFeatureList(forConfig);
    if (names) return names;
  }
  if (card.datasetInfo !== undefined) {
    let info: unknown;
    try {
      info = JSON.parse(card.datasetInfo);
    } catch {
      return undefined;
    }
    return fromFeatureList(info) ?? fromFeatureList((info as Record<string, unknown> | null)?.[config]);
  }
  return undefined;
}
