// `albert-train info`'s data-folder line: the folder the built-in names come from (the ALBERT v2
// presets' configs and tokenizer, the `subj` dataset: ts/resolve.ts), why that folder (the
// ALBERT_TRAINER_DATA variable, or ../shared/data beside the package), and what is in it.
import * as fs from 'fs';
import * as path from 'path';
import { packageRoot } from '../native';
import { dataFolder } from '../resolve';

export interface DataFolderFacts {
  /** The folder looked in, absolute. */
  dir: string;
  /** Why there: the variable, or the default beside the package. */
  source: '$ALBERT_TRAINER_DATA' | '../shared/data beside the package';
  exists: boolean;
  /** What the built-in names need, each found or not: albert-configs/ (presets), albert-v2-tokenizer/, subj/. */
  presets: boolean;
  tokenizer: boolean;
  subj: boolean;
}

export function dataFolderFacts(): DataFolderFacts {
  const dir = path.resolve(dataFolder());
  const has = (name: string) => fs.existsSync(path.join(dir, name));
  return {
    dir, source: process.env.ALBERT_TRAINER_DATA !== undefined ? '$ALBERT_TRAINER_DATA' : '../shared/data beside the package',
    exists: fs.existsSync(dir), presets: has(path.join('albert-configs', 'albert-base-v2.json')),
    tokenizer: has(path.join('albert-v2-tokenizer', 'tokenizer.json')), subj: has('subj'),
  };
}

/** One line: where, why, and what the presets and `subj` resolve to from there. */
export function describeDataFolder(facts: DataFolderFacts): string {
  const where = `${facts.dir} (${facts.source}${facts.source === '$ALBERT_TRAINER_DATA' ? '' : ` ${packageRoot()}`})`;
  if (!facts.exists) {
    return `${where}: not found; presets and subj then come from the HF hub (albert/<preset>, SetFit/subj). ` +
      'Set ALBERT_TRAINER_DATA to a folder with albert-configs/, albert-v2-tokenizer/ and subj/ to use local copies';
  }
  const found = (ok: boolean, what: string, fallback: string) => `${what} ${ok ? 'found' : `missing (${fallback})`}`;
  return `${where}: ${found(facts.presets && facts.tokenizer, 'presets (albert-configs/, albert-v2-tokenizer/)', 'the hub\'s albert/<preset>')}, ` +
    `${found(facts.subj, 'subj/', 'the hub\'s SetFit/subj')}`;
}
