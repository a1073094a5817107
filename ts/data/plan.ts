// What a training run reads, and which rows serve which purpose:
//   train       the train split (after the held-out rows and --max-train-samples);
//   evaluation  the validation split when there is one (validation|valid|dev, as run_glue.py);
//               else --validation-split-percentage of train, held out (seeded, so a resumed or
//               data-parallel run holds out the same rows); or the split --eval-split names;
//   test        the test split, evaluated once at the end into test_results.json (HF's
//               `do_predict`), never used to choose a model unless --eval-split test says so.
// Every data flag applies to every format (parquet, jsonl, csv, tsv) and to folders, hub repos
// and --train-file alike.
import * as fs from 'fs';
import * as path from 'path';
import { optionalPositiveCount } from '../checks';
import { AlbertTrainerError } from '../errors';
import { type ResolvedDataset, resolveDataset } from '../resolve';
import { RUN_FILES } from '../train/output-files';
import { quotedList } from './columns';
import type { DatasetRow } from './dataset';
import { type SplitData, readSplit } from './read-split';
import { cardClassNames, validationSplit } from './splits';
import { mulberry32 } from './seeded-random';

/** The default share of train held out when a dataset has no validation split (see README "Datasets"). */
export const DEFAULT_VALIDATION_SPLIT_PERCENTAGE = 10;

export interface DataPlanInput {
  dataset?: string;
  datasetConfigName?: string;
  trainFile?: string;
  evalFile?: string;
  /** A split of --dataset to evaluate on instead of validation. */
  evalSplit?: string;
  validationSplitPercentage: number;
  maxTrainSamples?: number;
  maxEvalSamples?: number;
  textColumn?: string;
  textPairColumn?: string;
  labelColumn?: string;
  seed: number;
  /** Whether the run evaluates (--eval-strategy other than no). */
  evaluates: boolean;
}

export interface RowSet {
  rows: DatasetRow[];
  /** What these rows are, for the start line and the model card: "the validation split", ... */
  what: string;
}

export interface DataPlan {
  name: string;
  config?: string;
  commit?: string;
  train: SplitData;
  eval?: RowSet;
  /** True where the evaluation set (and so the best model and the guard) is the test split. */
  evalIsTest: boolean;
  test?: RowSet;
  /** Lines for the user: columns chosen, skipped splits. */
  notes: string[];
}


/** Rows held out of `rows`: `percentage`% of them (rounded, at least 1), chosen by a seeded shuffle, each part in file order. */
export function holdOut(rows: DatasetRow[], percentage: number, seed: number): { train: DatasetRow[]; heldOut: DatasetRow[] } {
  const n = Math.max(1, Math.round((rows.length * percentage) / 100));
  if (n >= rows.length) throw new AlbertTrainerError('ERR_ARGUMENT', `--validation-split-percentage ${percentage} of ${rows.length} train rows leaves none to train on`);
  const order = rows.map((_, i) => i);
  const random = mulberry32((seed >>> 0) ^ 0x9e3779b9); // the held-out rows depend on --seed only
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const held = new Set(order.slice(0, n));
  return { train: rows.filter((_, i) => !held.has(i)), heldOut: rows.filter((_, i) => held.has(i)) };
}

export async function planData(input: DataPlanInput): Promise<DataPlan> {
  const maxTrain = optionalPositiveCount(input.maxTrainSamples, '--max-train-samples');
  const maxEval = optionalPositiveCount(input.maxEvalSamples, '--max-eval-samples');
  const pct = input.validationSplitPercentage;
  if (typeof pct !== 'number' || !(pct >= 0 && pct < 100)) throw new AlbertTrainerError('ERR_ARGUMENT', `Expected a number in [0, 100) for --validation-split-percentage but received ${pct}`);
  if (!input.dataset && !input.trainFile) throw new AlbertTrainerError('ERR_ARGUMENT', 'give --dataset or --train-file');
  if (input.datasetConfigName !== undefined && !input.dataset) throw new AlbertTrainerError('ERR_ARGUMENT', '--dataset-config-name picks a config of --dataset; give --dataset');
  if (input.evalSplit !== undefined && !input.dataset) throw new AlbertTrainerError('ERR_ARGUMENT', '--eval-split names a split of --dataset; with --train-file, pass --eval-file');
  if (input.evalSplit !== undefined && input.evalFile !== undefined) throw new AlbertTrainerError('ERR_ARGUMENT', 'give --eval-split or --eval-file, not both');

  const resolved: ResolvedDataset | undefined = input.dataset ? await resolveDataset(input.dataset, 'train', input.datasetConfigName) : undefined;
  const splits = resolved?.splits ?? {};
  const where = resolved ? `--dataset ${input.dataset}${resolved.config !== 'default' ? ` (config "${resolved.config}")` : ''}` : '';
  const columns = { textColumn: input.textColumn, textPairColumn: input.textPairColumn, labelColumn: input.labelColumn };
  const trainFiles = input.trainFile !== undefined ? [input.trainFile] : splits.train;
  const notes: string[] = [];
  const train = await readSplit(trainFiles, columns);
  notes.push(`columns: ${train.columnsNote}`);
  if (resolved && !train.labelNames) {
    // Integer labels in jsonl/csv: the class names a README.md dataset_info or a dataset_info.json gives, as datasets reads its features.
    const text = (file: string) => (fs.existsSync(path.join(resolved.dir, file)) ? fs.readFileSync(path.join(resolved.dir, file), 'utf8') : undefined);
    const names = cardClassNames({ readme: text('README.md'), datasetInfo: text('dataset_info.json') }, resolved.config, train.columns.labelColumn);
    if (names && names.length >= train.numLabels) {
      train.labelNames = names;
      train.numLabels = names.length;
      notes.push(`class names from the dataset card: ${quotedList(names)}`);
    }
  }
  const labels = { ...(train.labelNames ? { label2id: Object.fromEntries(train.labelNames.map((n, i) => [n, i])) } : {}), numLabels: train.numLabels };
  const read = async (files: string[]) => readSplit(files, { ...train.columns, ...labels, allowUnlabelled: true });
  const shown = (files: string[]) => files.length === 1 ? files[0] : `${files.length} shards`;

  // Evaluation: --eval-file, --eval-split, validation, else held out of train.
  let evalSet: RowSet | undefined;
  let evalIsTest = false;
  let trainRows = train.rows;
  const validation = validationSplit(splits);
  const chosen = input.evalSplit ?? (input.evalFile === undefined ? validation : undefined);
  if (input.evalSplit !== undefined && (splits[input.evalSplit] === undefined || input.evalSplit === 'train')) {
    throw new AlbertTrainerError('ERR_ARGUMENT', `${where}: no split "${input.evalSplit}" to evaluate on (--eval-split); its splits are ${quotedList(Object.keys(splits))}`);
  }
  if (input.evalFile !== undefined) {
    const data = await read([input.evalFile]);
    if (data.unlabelled) throw new AlbertTrainerError('ERR_INPUT', `${input.evalFile}: every label is -1 or null: an unlabelled file cannot be evaluated on`);
    evalSet = { rows: data.rows, what: `--eval-file ${input.evalFile}` };
  } else if (chosen !== undefined) {
    const data = await read(splits[chosen]);
    if (data.unlabelled) {
      throw new AlbertTrainerError('ERR_INPUT', `${where}: the ${chosen} split (${shown(splits[chosen])}) is unlabelled (every label is -1 or null); it cannot be evaluated on`);
    }
    evalIsTest = chosen === 'test';
    evalSet = { rows: data.rows, what: evalIsTest ? 'the test split (--eval-split test: the best model, the collapse guard and the reported accuracy all select on the test split)' : `the ${chosen} split` };
  } else if (input.evaluates && pct > 0) {
    const { train: kept, heldOut } = holdOut(trainRows, pct, input.seed);
    trainRows = kept;
    evalSet = { rows: heldOut, what: `${heldOut.length} rows (${pct}%) held out of the train split (--validation-split-percentage ${pct}, seed ${input.seed}), as it has no validation split` };
  }
  if (maxTrain !== undefined && trainRows.length > maxTrain) trainRows = trainRows.slice(0, maxTrain);
  if (evalSet && maxEval !== undefined && evalSet.rows.length > maxEval) evalSet = { ...evalSet, rows: evalSet.rows.slice(0, maxEval) };

  // Test: evaluated once at the end, unless it is already the evaluation set.
  let test: RowSet | undefined;
  if (splits.test && !evalIsTest && input.evalFile === undefined) {
    const data = await read(splits.test);
    if (data.unlabelled) notes.push(`the test split (${shown(splits.test)}) is unlabelled (every label is -1, as GLUE's): skipped, not evaluated`);
    else test = { rows: data.rows, what: `the test split (${data.rows.length} rows), evaluated once at the end into ${RUN_FILES.testResults}` };
  }
  const name = resolved?.name ?? path.basename(input.trainFile as string);
  return {
    name, ...(resolved?.config !== undefined ? { config: resolved.config } : {}), ...(resolved?.commit ? { commit: resolved.commit } : {}),
    train: { ...train, rows: trainRows }, ...(evalSet ? { eval: evalSet } : {}), evalIsTest, ...(test ? { test } : {}), notes,
  };
}
