// A command line that forgives: HF's Python spellings of the flags (--learning_rate,
// --num_train_epochs) read as ours (--learning-rate), a misspelled command or flag gets the
// nearest known one ("did you mean --learning-rate?"), and a number flag given a word says it
// wants a number (yargs would hand on NaN). The flags a command knows are read from its yargs
// builder, so this file lists none of them.
import type { Argv } from 'yargs';

export interface DeclaredFlags {
  /** Every flag the command takes, without dashes (help and version included). */
  names: string[];
  /** The flags yargs reads as numbers. */
  numbers: string[];
}

/** What yargs knows of a parse at run time (getOptions and getStrict exist, untyped in @types/yargs). */
interface YargsRuntime {
  getOptions(): { key: Record<string, unknown>; number: string[]; alias: Record<string, string[]> };
  getStrict(): boolean;
}

/**
 * The flags declared where `y` stands (inside a command: that command's), or undefined where
 * flags are not checked: the top level (no command matched) and commands that pass unknown
 * flags on (`bench`, whose suite parses them).
 */
export function declaredFlags(y: Argv): DeclaredFlags | undefined {
  const runtime = y as unknown as YargsRuntime;
  const options = runtime.getOptions();
  const names = [...Object.keys(options.key), ...Object.values(options.alias).flat()];
  if (!runtime.getStrict() || names.every((name) => name === 'help' || name === 'version')) return undefined;
  return { names: [...new Set(names)], numbers: [...options.number] };
}

/**
 * HF's spellings: `--learning_rate 1e-3` and `--learning_rate=1e-3` become `--learning-rate ...`.
 * Only flag names change (never a value, nor anything after `--`).
 */
export function hfSpellings(argv: readonly string[]): string[] {
  const end = argv.indexOf('--');
  return argv.map((arg, i) => {
    if ((end >= 0 && i >= end) || !arg.startsWith('--') || !arg.includes('_')) return arg;
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    return name.replace(/_/g, '-') + (eq < 0 ? '' : arg.slice(eq));
  });
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The candidate nearest to `word`, when it is near enough to be a typo of it (a third of its letters, at least 2). */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** `--name` of a flag argument (`--name=value` too), or undefined for a value. */
function flagName(arg: string): string | undefined {
  if (!arg.startsWith('--') || arg === '--') return undefined;
  const eq = arg.indexOf('=');
  return arg.slice(2, eq < 0 ? undefined : eq);
}

/**
 * The first number flag given something that is not a number (`--num-train-epochs one`), as a
 * message that names the flag and the value; undefined when all are numbers.
 */
export function nonNumberValue(argv: readonly string[], flags: DeclaredFlags): string | undefined {
  const end = argv.indexOf('--');
  for (let i = 0; i < (end < 0 ? argv.length : end); i++) {
    const name = flagName(argv[i]);
    if (name === undefined || !flags.numbers.includes(name)) continue;
    const eq = argv[i].indexOf('=');
    const value = eq >= 0 ? argv[i].slice(eq + 1) : argv[i + 1];
    if (value === undefined || (eq < 0 && value.startsWith('--'))) return `--${name} needs a number`;
    if (value.trim() === '' || !Number.isFinite(Number(value))) return `--${name} wants a number, got ${JSON.stringify(value)}`;
  }
  return undefined;
}

/** Whether `name` is one of the command's flags, as yargs reads it: kebab or camel case, `no-` before a switch. */
function isDeclared(name: string, flags: DeclaredFlags): boolean {
  const kebab = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return flags.names.includes(kebab) || (kebab.startsWith('no-') && flags.names.includes(kebab.slice(3)));
}

/**
 * The flags in argv the command does not take, each with the nearest one it takes
 * ("unknown flag --lerning-rate: did you mean --learning-rate?"); undefined when there are none.
 */
export function unknownFlags(argv: readonly string[], flags: DeclaredFlags): string | undefined {
  const end = argv.indexOf('--');
  const unknown = argv.slice(0, end < 0 ? undefined : end).map(flagName).filter((name): name is string => name !== undefined && !isDeclared(name, flags));
  if (unknown.length === 0) return undefined;
  const described = [...new Set(unknown)].map((name) => {
    const negated = name.startsWith('no-') ? closest(name.slice(3), flags.names) : undefined;
    const suggestion = negated ? `no-${negated}` : closest(name, flags.names);
    return `--${name}${suggestion ? ` (did you mean --${suggestion}?)` : ''}`;
  });
  return `unknown flag${described.length > 1 ? 's' : ''} ${described.join(', ')}; see --help for the flags`;
}
