// The grid of `albert-train sweep`: comma lists for the flags a sweep varies, every other
// `train` flag passed through to each run as the user typed it. A run is one point of the grid;
// its folder name says its values (lr-2e-05_seed-3), a configuration is a run without its seed.
import { AlbertTrainerError } from '../errors';
import { type TrainingArguments, trainingArguments } from '../train/arguments';

/** The flags a sweep varies, in the order run names list them, with their short names. */
export const SWEPT_FLAGS = [
  { flag: 'learning-rate', short: 'lr', field: 'learningRate' },
  { flag: 'per-device-train-batch-size', short: 'bs', field: 'perDeviceTrainBatchSize' },
  { flag: 'num-train-epochs', short: 'epochs', field: 'numTrainEpochs' },
  { flag: 'seed', short: 'seed', field: 'seed' },
] as const satisfies ReadonlyArray<{ flag: string; short: string; field: keyof TrainingArguments }>;
export type SweptFlag = (typeof SWEPT_FLAGS)[number]['flag'];

/** Flags the sweep sets for each run (or refuses): not passed through. */
const SWEEP_OWNED = new Set(['output-dir', 'parallel', 'resume-from-checkpoint']);

export interface SweepRun {
  /** The run's folder under the sweep folder. */
  name: string;
  /** The configuration it belongs to: its name without the seed. */
  config: string;
  /** The values of the flags the grid varies (listed with two values or more). */
  values: Partial<Record<SweptFlag, number>>;
  /** Swept flags given one value: the same for every run, so not in the names. */
  fixed: Partial<Record<SweptFlag, number>>;
}

/** "--flag", "--flag=value" or "--flag_name" -> "flag-name"; undefined for a value. */
function flagName(token: string): string | undefined {
  if (!token.startsWith('--')) return undefined;
  return token.slice(2).split('=')[0].replace(/_/g, '-');
}

/**
 * One swept flag's values from its text ("1e-5,2e-5"): every item a number that `train` accepts
 * for it, none twice. Errors name the flag and the item.
 */
export function parseList(flag: SweptFlag, text: unknown): number[] {
  if (Array.isArray(text)) throw new AlbertTrainerError('ERR_ARGUMENT', `--${flag} is given ${text.length} times; give its values once, as one comma-separated list`);
  const raw = String(text ?? '').trim();
  if (raw === '') throw new AlbertTrainerError('ERR_ARGUMENT', `--${flag}: the list is empty; give one or more values, e.g. --${flag} ${flag === 'seed' ? '1,2,3' : '1e-5,2e-5'}`);
  const { field } = SWEPT_FLAGS.find((s) => s.flag === flag) as (typeof SWEPT_FLAGS)[number];
  const values = raw.split(',').map((item, i) => {
    const trimmed = item.trim();
    if (trimmed === '') throw new AlbertTrainerError('ERR_ARGUMENT', `--${flag} "${raw}": item ${i + 1} is empty`);
    const value = Number(trimmed);
    if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(trimmed) || !Number.isFinite(value)) {
      throw new AlbertTrainerError('ERR_ARGUMENT', `--${flag} "${raw}": "${trimmed}" is not a number`);
    }
    try {
      trainingArguments({ [field]: value });
    } catch (error) { // the rule train applies, in the words of the flag
      throw new AlbertTrainerError('ERR_ARGUMENT', `--${flag} "${raw}": ${(error as Error).message.replace(/ for \w+ but/, ' but')}`);
    }
    return value;
  });
  const twice = values.find((v, i) => values.indexOf(v) !== i);
  if (twice !== undefined) throw new AlbertTrainerError('ERR_ARGUMENT', `--${flag} "${raw}": ${twice} is listed twice`);
  return values;
}

/**
 * The runs of the grid, the swept flags varying slowest first in SWEPT_FLAGS order (all seeds of
 * a configuration one after another). `lists` holds only the flags the user gave.
 */
export function gridRuns(lists: Partial<Record<SweptFlag, number[]>>): SweepRun[] {
  const fixed: SweepRun['fixed'] = {};
  let runs: SweepRun[] = [{ name: '', config: '', values: {}, fixed }];
  for (const { flag, short } of SWEPT_FLAGS) {
    const list = lists[flag];
    if (!list) continue;
    if (list.length === 1) {
      fixed[flag] = list[0];
      continue;
    }
    runs = runs.flatMap((run) => list.map((value) => {
      const part = `${short}-${value}`;
      return { ...run, name: run.name ? `${run.name}_${part}` : part, config: flag === 'seed' ? run.config : (run.config ? `${run.config}_${part}` : part), values: { ...run.values, [flag]: value } };
    }));
  }
  return runs.map((run) => ({ ...run, name: run.name || 'run', config: run.config || 'all' }));
}

/**
 * The tokens after `sweep` that go to every run: all but the swept flags, the sweep's own
 * (--output-dir, --parallel) and their values. Refused: --resume-from-checkpoint (a sweep resumes
 * its runs itself), --logging-dir (one folder for all runs) and a comma list for a number flag that cannot be swept.
 */
export function passThroughArgs(tokens: readonly string[], numberFlags: ReadonlySet<string>): string[] {
  const swept = new Set<string>(SWEPT_FLAGS.map((s) => s.flag));
  const kept: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const name = flagName(tokens[i]);
    const inline = tokens[i].includes('=');
    const value = inline ? tokens[i].slice(tokens[i].indexOf('=') + 1) : tokens[i + 1];
    if (name === 'resume-from-checkpoint') {
      throw new AlbertTrainerError('ERR_ARGUMENT', '--resume-from-checkpoint: a sweep resumes its runs itself; run the same sweep command again to continue it');
    }
    if (name === 'logging-dir') {
      throw new AlbertTrainerError('ERR_ARGUMENT', '--logging-dir: every run of a sweep writes its TensorBoard events into its own folder (<run>/runs/); point TensorBoard at the sweep folder to see them all');
    }
    if (name !== undefined && numberFlags.has(name) && !swept.has(name) && value !== undefined && value.includes(',')) {
      throw new AlbertTrainerError('ERR_ARGUMENT', `--${name} ${value}: --${name} cannot be swept; a sweep varies ${SWEPT_FLAGS.map((s) => `--${s.flag}`).join(', ')} (run one sweep per value of --${name})`);
    }
    if (name !== undefined && (swept.has(name) || SWEEP_OWNED.has(name))) {
      if (!inline) i += 1; // its value
      continue;
    }
    kept.push(tokens[i]);
  }
  return kept;
}

/** The argv of one run of the sweep: `train`, the passed-through flags, the run's values and folder. */
export function runArgv(passThrough: readonly string[], run: SweepRun, runDir: string, extra: readonly string[]): string[] {
  const values = Object.entries({ ...run.fixed, ...run.values }).flatMap(([flag, value]) => [`--${flag}`, String(value)]);
  return ['train', ...passThrough, ...values, '--output-dir', runDir, ...extra];
}
