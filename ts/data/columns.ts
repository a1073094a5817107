// Naming columns in messages: one wording for a column that is not there, in every reader
// (jsonl, csv, tsv, txt, parquet) and so in `train`, `eval` and `predict`: it names the columns
// the file has and suggests the option with the closest one. Readers word it with the API's
// option names (textColumn); the CLI turns them into its flags (withFlagNames).
import { AlbertTrainerError } from '../errors';

export type ColumnOption = 'textColumn' | 'textPairColumn' | 'labelColumn';

/** The API's column options -> the CLI flags that set them. */
export const FLAG_OF_OPTION: Readonly<Record<ColumnOption, string>> = { textColumn: '--text-column', textPairColumn: '--text-pair-column', labelColumn: '--label-column' };

/** Names as a message lists them: quoted, comma-separated, "(none)" for none. */
export function quotedList(names: readonly string[]): string {
  return names.length === 0 ? '(none)' : names.map((name) => JSON.stringify(name)).join(', ');
}

/** Levenshtein distance, case-insensitive. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[y.length];
}

/**
 * The column to suggest for `wanted`: the closest of `columns` not already `taken` by another
 * option, when it is close (at most a third of the longer name's letters differ, or one
 * contains the other); undefined when none is.
 */
export function closestColumn(wanted: string, columns: readonly string[], taken: readonly string[] = []): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of columns) {
    if (name === '' || taken.includes(name)) continue;
    const lower = [wanted.toLowerCase(), name.toLowerCase()];
    const d = lower[0].includes(lower[1]) || lower[1].includes(lower[0]) ? 0.5 : distance(wanted, name);
    if (d <= Math.max(1, Math.floor(Math.max(wanted.length, name.length) / 3)) && (best === undefined || d < best.d)) best = { name, d };
  }
  return best?.name;
}

/**
 * The error for a column `option` names that `columns` lacks: `<where>: textColumn "x" is not a
 * column; the columns are "a", "b"` and a suggestion: `did you mean textColumn "a"?` for a close
 * name, `pass textColumn "a" to read it` when one column is left that no other option takes,
 * else `name one with textColumn`. `isDefault`: the option was not given (the message says the
 * default was tried). `taken`: the columns other options read.
 */
export function columnNotFound(where: string, option: ColumnOption, name: string, columns: readonly string[], options: { isDefault?: boolean; taken?: readonly string[] } = {}): AlbertTrainerError {
  const close = closestColumn(name, columns, options.taken);
  const free = columns.filter((c) => c !== '' && !(options.taken ?? []).includes(c));
  const hint = close !== undefined ? `; did you mean ${option} ${JSON.stringify(close)}?`
    : free.length === 1 ? `; pass ${option} ${JSON.stringify(free[0])} to read it` : `; name one with ${option}`;
  const what = options.isDefault ? `no "${name}" column (the default ${option})` : `${option} "${name}" is not a column`;
  return new AlbertTrainerError('ERR_INPUT', `${where}: ${what}; the columns are ${quotedList(columns)}${hint}`);
}

/** An error from the readers, reworded for the CLI: the option names become its flags. */
export function withFlagNames(error: unknown): unknown {
  if (!(error instanceof AlbertTrainerError)) return error;
  const message = error.message.replace(/\b(textColumn|textPairColumn|labelColumn)\b/g, (name) => FLAG_OF_OPTION[name as ColumnOption]);
  return message === error.message ? error : new AlbertTrainerError(error.code, message);
}
