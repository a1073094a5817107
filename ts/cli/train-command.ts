// `albert-train train`: HF TrainingArguments' flags in kebab case, the reference run's values as
// defaults. Reads and checks everything (model, tokenizer, data, output folder) before the
// first step, trains, and writes an output directory that HF transformers loads.
import * as path from 'path';
import type { Argv } from 'yargs';
import { DEFAULT_VALIDATION_SPLIT_PERCENTAGE, type DataPlan, planData } from '../data/plan';
import { evaluateTestSplit, writeTestResults } from './test-results';
import { withFlagNames } from '../data/columns';
import { AlbertTokenizer } from '../data/tokenizer';
import { AlbertTrainerError, invalidArgument } from '../errors';
import { chooseDeviceAndAmp, info, setNumThreads } from '../info';
import { AlbertForSequenceClassification, findWeightsFile } from '../model/albert';
import { loadingReport } from '../model/loading-report';
import { type AlbertConfig, albertConfigToJson, parseAlbertConfig, readAlbertConfig } from '../model/config';
import { resolveModel } from '../resolve';
import { DEFAULT_TRAINING_ARGUMENTS as D, type TrainingArguments, toHfTrainingArguments, trainingArguments } from '../train/arguments';
import { train } from '../train/loop';
import type { TrainEvent } from '../train/train-types';
import type { TokenizedExample } from '../data/batching';
import { workerEnvironment } from '../distributed/environment';
import type { ProcessGroup } from '../distributed/process-group';
import { joinTrainingJob, launchRequested, launchTraining, runFingerprint } from './train-launch';
import { commandAgain } from './invocation';
import { runArguments } from './run-arguments';
import { hfSpellings } from './suggest';
import { modelCard } from '../train/model-card';
import { findCheckpoint } from '../train/checkpoint';
import { checkOutputDirectory, writeOutputDirectory } from '../train/output';
import { resultsTable } from '../train/results-table';
import { SCHEDULER_TYPES } from '../train/schedule';
import { REPORT_TO_CHOICES, resolveLoggingDir } from '../report/tensorboard';
import { RunReports, runTrainingCurves } from '../report/run-reports';

export function trainOptions(y: Argv) {
  return y
    .option('model', { type: 'string', demandOption: true, describe: 'an HF model folder, a preset (albert-base-v2, albert-large-v2, albert-xlarge-v2, albert-xxlarge-v2), or an HF hub id (org/name[@rev]: the HF cache, else a download from $HF_ENDPOINT)' })
    .option('config-overrides', { type: 'string', describe: 'with --init random: config fields to change, e.g. hidden_size=256,num_hidden_layers=4 (HF run_mlm.py\'s --config_overrides)' })
    .option('init', { choices: ['pretrained', 'random'] as const, default: 'pretrained' as const, describe: 'load the checkpoint\'s weights (any ALBERT architecture, as HF\'s from_pretrained: a missing classifier is initialised from --seed), or train from the config\'s random init' })
    .option('ignore-mismatched-sizes', { type: 'boolean', default: false, describe: 'a checkpoint classifier of another shape (another num_labels) is re-initialised instead of an error (HF\'s ignore_mismatched_sizes)' })
    .option('dataset', { type: 'string', describe: 'a folder or HF hub dataset id (org/name[@rev]) with train/validation/test splits in parquet, jsonl, csv or tsv (top level, data/, config folders, shards, a README.md configs: block), or "subj"' })
    .option('dataset-config-name', { type: 'string', describe: 'the config of --dataset (HF\'s dataset_config_name: glue + sst2)' })
    .option('train-file', { type: 'string', describe: 'training file (parquet, jsonl, csv, tsv); instead of --dataset' })
    .option('eval-file', { type: 'string', describe: 'evaluation file' })
    .option('eval-split', { type: 'string', describe: 'the split of --dataset to evaluate on (default: validation, valid or dev; else rows held out of train). "test" selects on the test split, and says so' })
    .option('validation-split-percentage', { type: 'number', default: DEFAULT_VALIDATION_SPLIT_PERCENTAGE, describe: 'with no validation split: the % of train held out (seeded by --seed) for evaluation, the best model and the collapse guard; the test split is then evaluated once at the end (test_results.json)' })
    .option('max-train-samples', { type: 'number', describe: 'keep the first N train rows (HF\'s --max_train_samples)' })
    .option('max-eval-samples', { type: 'number', describe: 'keep the first N evaluation rows (HF\'s --max_eval_samples)' })
    .option('text-column', { type: 'string', describe: 'default: text, else run_glue.py\'s pair columns (sentence1/sentence2, question/sentence, ...), sentence, or the first one or two string columns' })
    .option('text-pair-column', { type: 'string', describe: 'second text of a pair task' })
    .option('label-column', { type: 'string', default: 'label' })
    .option('tokenizer', { type: 'string', describe: 'tokenizer folder (default: the model\'s)' })
    .option('output-dir', { type: 'string', demandOption: true, describe: 'where the trained model goes (must not exist or be empty)' })
    .option('learning-rate', { type: 'number', default: D.learningRate })
    .option('per-device-train-batch-size', { type: 'number', default: D.perDeviceTrainBatchSize })
    .option('per-device-eval-batch-size', { type: 'number', default: D.perDeviceEvalBatchSize })
    .option('num-train-epochs', { type: 'number', default: D.numTrainEpochs })
    .option('max-steps', { type: 'number', default: D.maxSteps, describe: '> 0 overrides --num-train-epochs' })
    .option('seed', { type: 'number', default: D.seed })
    .option('adam-beta1', { type: 'number', default: D.adamBeta1 })
    .option('adam-beta2', { type: 'number', default: D.adamBeta2 })
    .option('adam-epsilon', { type: 'number', default: D.adamEpsilon })
    .option('weight-decay', { type: 'number', default: D.weightDecay })
    .option('lr-scheduler-type', { choices: SCHEDULER_TYPES, default: D.lrSchedulerType })
    .option('warmup-ratio', { type: 'number', default: D.warmupRatio })
    .option('warmup-steps', { type: 'number', default: D.warmupSteps, describe: '> 0 overrides --warmup-ratio' })
    .option('max-grad-norm', { type: 'number', default: D.maxGradNorm })
    .option('amp', { choices: ['auto', 'off', 'bf16', 'fp16'] as const, default: 'auto' as const, describe: 'auto: bf16 on a CPU that has it, fp16 on CUDA' })
    .option('max-seq-length', { type: 'number', default: D.maxSeqLength })
    .option('device', { choices: ['auto', 'cpu', 'cuda'] as const, default: 'auto' as const })
    .option('cuda-graphs', { type: 'boolean', default: D.cudaGraphs, describe: 'on CUDA: replay each training and evaluation step as a CUDA graph per (batch, length) bucket (on CUDA lengths are padded to multiples of 16 either way; --no-cuda-graphs: eager steps)' })
    .option('eval-strategy', { choices: ['epoch', 'steps', 'no'] as const, default: D.evalStrategy })
    .option('eval-steps', { type: 'number', default: D.evalSteps })
    .option('logging-steps', { type: 'number', default: D.loggingSteps })
    .option('save-strategy', { choices: ['epoch', 'steps', 'no'] as const, default: D.saveStrategy, describe: 'when to write checkpoint-<step>/ into --output-dir' })
    .option('save-steps', { type: 'number', default: D.saveSteps, describe: 'with --save-strategy steps' })
    .option('save-total-limit', { type: 'number', default: D.saveTotalLimit, describe: 'keep the newest N checkpoints (0: all)' })
    .option('resume-from-checkpoint', { type: 'string', describe: 'a checkpoint-<step> folder, or "last" for the newest in --output-dir' })
    .option('early-stopping-patience', { type: 'number', default: D.earlyStoppingPatience, describe: 'stop after N evaluations without improvement (0: never)' })
    .option('early-stopping-threshold', { type: 'number', default: D.earlyStoppingThreshold, describe: 'the least improvement of --metric-for-best-model that counts' })
    .option('load-best-model-at-end', { type: 'boolean', default: D.loadBestModelAtEnd })
    .option('metric-for-best-model', { choices: ['accuracy', 'macro_f1', 'loss'] as const, default: D.metricForBestModel })
    .option('group-by-length', { type: 'boolean', default: D.groupByLength })
    .option('shuffle', { type: 'boolean', default: D.shuffle, describe: '--no-shuffle keeps file order' })
    .option('collapse-guard', { choices: ['on', 'off'] as const, default: 'on' as const, describe: 'on a collapse to a constant predictor: restore the best state, halve the LR, go on (at most 3 times)' })
    .option('threads', { type: 'number', describe: 'libtorch intra-op threads (default: all cores; data-parallel: cores / --nproc-per-node)' })
    .option('nproc-per-node', { type: 'number', default: 1, describe: 'data-parallel worker processes on this machine (as torchrun\'s)' })
    .option('nnodes', { type: 'number', default: 1, describe: 'machines in the data-parallel job' })
    .option('node-rank', { type: 'number', default: 0, describe: 'this machine\'s index in [0, --nnodes)' })
    .option('master-addr', { type: 'string', default: '127.0.0.1', describe: 'the address of the machine of rank 0, which hosts the rendezvous' })
    .option('master-port', { type: 'number', describe: 'the rendezvous port (default: a free one with --nnodes 1, else 29500)' })
    .option('ddp-backend', { choices: ['auto', 'gloo', 'nccl'] as const, default: 'auto' as const, describe: 'collectives: auto is gloo on CPU, nccl on CUDA' })
    .option('ddp-timeout', { type: 'number', default: 1800, describe: 'seconds the rendezvous and each collective wait for a peer before the job fails' })
    .option('report-to', { choices: REPORT_TO_CHOICES, default: 'none' as const, describe: 'tensorboard (or all): TensorBoard event files as HF\'s report_to="tensorboard" writes them (HF 5.18\'s default: none)' })
    .option('logging-dir', { type: 'string', describe: 'the TensorBoard folder (default: $TENSORBOARD_LOGGING_DIR, else <output-dir>/runs/<date>_<host> as HF\'s; a resumed run continues the newest)' })
    .option('log-format', { choices: ['pretty', 'jsonl'] as const, default: 'pretty' as const, describe: 'jsonl: stdout carries one JSON event per log and eval' });
}

type TrainFlags = Awaited<ReturnType<ReturnType<typeof trainOptions>['parseAsync']>>;

/** `startStep`: the step this process started from (a resumed run's checkpoint), for the ETA. */
function progressLine(event: Extract<TrainEvent, { type: 'step' }>, started: number, startStep: number): string {
  const width = 24;
  const done = Math.round((event.step / event.totalSteps) * width);
  const elapsed = (Date.now() - started) / 1000;
  const eta = (elapsed / Math.max(1, event.step - startStep)) * (event.totalSteps - event.step);
  return `\r[${'#'.repeat(done)}${'.'.repeat(width - done)}] step ${event.step}/${event.totalSteps} epoch ${event.epoch.toFixed(2)} ` +
    `loss ${event.loss.toFixed(4)} lr ${event.learningRate.toExponential(2)} ${event.samplesPerSecond.toFixed(1)} samples/s ETA ${Math.round(eta)}s `;
}

/**
 * HF's `config.update_from_string`: "k=v,k=v", each k a config field, each v read as an integer,
 * a float, true/false, or else a string; the result is checked as any config.json is.
 */
function applyConfigOverrides(base: AlbertConfig, overrides: string | undefined, configFile: string): AlbertConfig {
  if (overrides === undefined) return base;
  const json = albertConfigToJson(base);
  for (const pair of overrides.split(',')) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(pair.trim());
    if (!match) throw new AlbertTrainerError('ERR_ARGUMENT', `--config-overrides: "${pair}" is not key=value`);
    const [, key, text] = match;
    if (!Object.hasOwn(base, key) || key === 'extra') {
      throw new AlbertTrainerError('ERR_ARGUMENT', `--config-overrides: ${key} is not an ALBERT config field`);
    }
    json[key] = /^-?\d+$/.test(text) ? Number(text) : /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text)
      : text === 'true' ? true : text === 'false' ? false : text;
  }
  return parseAlbertConfig(json, `${configFile} with --config-overrides ${overrides}`);
}

/** Argument errors name the flag a CLI user typed: perDeviceTrainBatchSize -> --per-device-train-batch-size. */
function asFlagErrors<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof AlbertTrainerError && error.code === 'ERR_ARGUMENT') {
      const message = error.message.replace(/ for ([a-z][A-Za-z0-9]*) but/, (_, name: string) => ` for --${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} but`);
      throw new AlbertTrainerError('ERR_ARGUMENT', message);
    }
    throw error;
  }
}

export async function runTrain(flags: TrainFlags): Promise<void> {
  // 1. Flags -> arguments; device and precision.
  const facts = info();
  const { device, amp } = chooseDeviceAndAmp(flags, facts);
  const args = asFlagErrors(() => trainingArguments({
    learningRate: flags['learning-rate'], perDeviceTrainBatchSize: flags['per-device-train-batch-size'],
    perDeviceEvalBatchSize: flags['per-device-eval-batch-size'], numTrainEpochs: flags['num-train-epochs'],
    maxSteps: flags['max-steps'], seed: flags.seed, adamBeta1: flags['adam-beta1'], adamBeta2: flags['adam-beta2'],
    adamEpsilon: flags['adam-epsilon'], weightDecay: flags['weight-decay'], lrSchedulerType: flags['lr-scheduler-type'],
    warmupRatio: flags['warmup-ratio'], warmupSteps: flags['warmup-steps'], maxGradNorm: flags['max-grad-norm'], amp,
    maxSeqLength: flags['max-seq-length'], evalStrategy: flags['eval-strategy'], evalSteps: flags['eval-steps'],
    loggingSteps: flags['logging-steps'], saveStrategy: flags['save-strategy'], saveSteps: flags['save-steps'],
    saveTotalLimit: flags['save-total-limit'], earlyStoppingPatience: flags['early-stopping-patience'],
    earlyStoppingThreshold: flags['early-stopping-threshold'], loadBestModelAtEnd: flags['load-best-model-at-end'],
    metricForBestModel: flags['metric-for-best-model'], groupByLength: flags['group-by-length'], shuffle: flags.shuffle,
    collapseGuard: flags['collapse-guard'] === 'on', cudaGraphs: flags['cuda-graphs'], reportTo: flags['report-to'] === 'none' ? [] : ['tensorboard'],
  }));
  if (flags.threads !== undefined) setNumThreads(flags.threads);
  const outputDir = flags['output-dir'];
  const resumeSpec = flags['resume-from-checkpoint'];
  const logDir = args.reportTo.includes('tensorboard') ? resolveLoggingDir(outputDir, flags['logging-dir'], resumeSpec !== undefined) : undefined;
  await checkOutputDirectory(outputDir, { resuming: resumeSpec !== undefined, logDir });
  const ddpTimeout = flags['ddp-timeout'];
  if (typeof ddpTimeout !== 'number' || !Number.isFinite(ddpTimeout) || ddpTimeout <= 0) throw invalidArgument('positive number of seconds', '--ddp-timeout', ddpTimeout);
  // Data-parallel: launch the workers (the checks above ran once, here), or be one.
  const worker = workerEnvironment();
  if (launchRequested(flags, worker)) return launchTraining(flags);
  if (worker && device === 'cuda') {
    throw new AlbertTrainerError('ERR_DEVICE', 'data-parallel training on CUDA needs NCCL, which this build does not have; use --device cpu (Gloo)');
  }
  const resumeFrom = resumeSpec !== undefined ? await findCheckpoint(resumeSpec, outputDir) : undefined;

  // 2. Data files, model, tokenizer: everything checked before the first step.
  if (flags['config-overrides'] !== undefined && flags.init !== 'random') {
    throw new AlbertTrainerError('ERR_ARGUMENT', '--config-overrides changes the architecture: it needs --init random (as in HF\'s run_mlm.py)');
  }
  const plan = await planData({
    dataset: flags.dataset, datasetConfigName: flags['dataset-config-name'], trainFile: flags['train-file'], evalFile: flags['eval-file'],
    evalSplit: flags['eval-split'], validationSplitPercentage: flags['validation-split-percentage'], maxTrainSamples: flags['max-train-samples'],
    maxEvalSamples: flags['max-eval-samples'], textColumn: flags['text-column'], textPairColumn: flags['text-pair-column'], labelColumn: flags['label-column'],
    seed: args.seed, evaluates: args.evalStrategy !== 'no',
  }).catch((error: unknown) => {
    throw withFlagNames(error); // the readers' column errors, worded with the flags (as eval and predict)
  });
  const resolvedData = { name: plan.config && plan.config !== 'default' ? `${plan.name} (${plan.config})` : plan.name };
  const { train: trainData } = plan;
  // --eval-strategy no: a validation split there goes unused, so it is neither read nor announced as the evaluation set.
  const evalData = args.evalStrategy === 'no' ? undefined : plan.eval;
  const columns = trainData.columns;
  if (args.evalStrategy !== 'no' && !evalData) {
    throw new AlbertTrainerError('ERR_ARGUMENT', `--eval-strategy ${args.evalStrategy} needs an evaluation set: a validation split, --eval-file, --eval-split, or --validation-split-percentage above 0 (or --eval-strategy no)`);
  }
  if (!worker || worker.rank === 0) {
    if (flags['log-format'] === 'jsonl') {
      process.stdout.write(`${JSON.stringify({ type: 'data', dataset: resolvedData.name, columns, evaluation: evalData?.what ?? null, evaluation_is_test: plan.evalIsTest, test: plan.test?.what ?? null, notes: plan.notes })}\n`);
    } else {
      for (const line of [...plan.notes, `evaluation: ${evalData?.what ?? 'none'}`, ...(plan.test ? [`test: ${plan.test.what}`] : [])]) process.stderr.write(`albert-train: ${line}\n`);
    }
  }
  const resolved = await resolveModel(flags.model, flags.init);
  const tokenizer = await AlbertTokenizer.fromDirectory(flags.tokenizer ?? resolved.tokenizerDir);
  const names = trainData.labelNames; // label names, ClassLabel names, or a label_text column's (read with the split)
  const id2label = Object.fromEntries(Array.from({ length: trainData.numLabels }, (_, i) => [String(i), names?.[i] ?? `LABEL_${i}`]));
  let model: AlbertForSequenceClassification;
  if (flags.init === 'pretrained') {
    if (!resolved.weightsDir || !findWeightsFile(resolved.weightsDir)) {
      throw new AlbertTrainerError('ERR_ARGUMENT', `--model ${flags.model} has no pretrained weights here; pass an HF folder or hub id with model.safetensors or pytorch_model.bin, or --init random`);
    }
    // As HF's run_glue.py: the dataset's labels replace the checkpoint config's.
    model = await AlbertForSequenceClassification.fromPretrained(resolved.weightsDir, {
      device, seed: args.seed, id2label, ignoreMismatchedSizes: flags['ignore-mismatched-sizes'],
    });
    const info = model.loadingInfo as NonNullable<typeof model.loadingInfo>;
    if (!worker || worker.rank === 0) {
      if (flags['log-format'] === 'jsonl') {
        process.stdout.write(`${JSON.stringify({ type: 'load', checkpoint: model.checkpointFile, missing_keys: info.missingKeys, unexpected_keys: info.unexpectedKeys, mismatched_keys: info.mismatchedKeys })}\n`);
      } else {
        for (const line of loadingReport(info, flags.model)) process.stderr.write(`${line}\n`);
      }
    }
  } else {
    const base = applyConfigOverrides(await readAlbertConfig(resolved.configFile), flags['config-overrides'], resolved.configFile);
    model = AlbertForSequenceClassification.fromConfig({ ...base, extra: {}, id2label, label2id: Object.fromEntries(Object.entries(id2label).map(([k, v]) => [v, Number(k)])), num_labels: trainData.numLabels }, { seed: args.seed, device });
  }
  if (tokenizer.vocabSize > model.config.vocab_size) {
    throw new AlbertTrainerError('ERR_CONFIG', `the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${model.config.vocab_size}`);
  }
  if (args.maxSeqLength > model.config.max_position_embeddings) {
    throw new AlbertTrainerError('ERR_ARGUMENT', `--max-seq-length ${args.maxSeqLength} exceeds the model's max_position_embeddings (${model.config.max_position_embeddings})`);
  }
  const encode = (rows: typeof trainData.rows) =>
    rows.map((row) => ({ ...tokenizer.encode(row.text, row.textPair, args.maxSeqLength), label: row.label }));
  const trainExamples = encode(trainData.rows);
  const evalExamples = evalData ? encode(evalData.rows) : undefined;
  const group = worker ? await joinTrainingJob(worker, {
    backend: flags['ddp-backend'] === 'auto' ? (device === 'cuda' ? 'nccl' : 'gloo') : flags['ddp-backend'], timeoutSeconds: ddpTimeout,
    fingerprint: runFingerprint(args, model.config, trainExamples, evalExamples), threads: flags.threads,
  }).catch((error: unknown) => {
    model.dispose();
    throw error;
  }) : undefined;
  try {
    // Every argument of the run goes into training_args.json (after the data-parallel fingerprint: the command lines of ranks differ).
    const withRun = { ...args, run: runArguments(flags, trainOptions as unknown as (y: Argv) => Argv, { device, albert_trainer_version: facts.version }) };
    await trainAndSave({ flags, args: withRun, device, amp, facts, model, group, resolved, resolvedData, outputDir, resumeFrom, trainExamples, evalExamples, tokenizer, plan, logDir });
  } finally {
    group?.dispose();
  }
}

interface TrainAndSaveInput {
  flags: TrainFlags;
  args: TrainingArguments;
  device: string;
  amp: string;
  facts: ReturnType<typeof info>;
  model: AlbertForSequenceClassification;
  group: ProcessGroup | undefined;
  resolved: Awaited<ReturnType<typeof resolveModel>>;
  resolvedData: { name: string };
  outputDir: string;
  resumeFrom: string | undefined;
  trainExamples: TokenizedExample[];
  evalExamples: TokenizedExample[] | undefined;
  tokenizer: AlbertTokenizer;
  /** The data plan: what the evaluation set is, and the test split evaluated at the end. */
  plan: DataPlan;
  /** The TensorBoard folder with --report-to tensorboard. */
  logDir: string | undefined;
}

/** Trains, then (rank 0) writes the output directory and the table. Other ranks stay silent. */
async function trainAndSave(input: TrainAndSaveInput): Promise<void> {
  const { flags, args, device, amp, facts, model, group, resolved, resolvedData, outputDir, resumeFrom, trainExamples, evalExamples, tokenizer } = input;
  const leader = !group || group.rank === 0;

  // 3. Train, reporting as the log format asks.
  const jsonl = flags['log-format'] === 'jsonl';
  const tty = !jsonl && process.stderr.isTTY && leader;
  const started = Date.now();
  let firstStep: number | undefined;
  // Ctrl-C: the current step finishes, a checkpoint is saved, and we say how to resume; a
  // second Ctrl-C quits at once.
  let stopRequested = false;
  const onSigint = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    if (leader) process.stderr.write(`${tty ? '\n' : ''}albert-train: stopping after this step and saving a checkpoint (Ctrl-C again to quit now)\n`);
  };
  process.on('SIGINT', onSigint);
  const reports = leader ? new RunReports({ logDir: input.logDir, argsJson: JSON.stringify(toHfTrainingArguments(args), null, 2), configJson: JSON.stringify(albertConfigToJson(model.config), null, 2),
    resumeFrom, progressLines: !jsonl && !tty }) : undefined;
  if (!jsonl && leader) {
    process.stderr.write(`albert-train: ${trainExamples.length} training examples${evalExamples ? `, ${evalExamples.length} for evaluation` : ''}; ` +
      `${device}, amp ${amp}, libtorch ${facts.torchVersion}${group ? `; data-parallel over ${group.worldSize} processes (${args.perDeviceTrainBatchSize} examples each per step)` : ''}\n`);
  }
  const result = await train({
    model, train: trainExamples, eval: evalExamples, padTokenId: tokenizer.padTokenId, args,
    checkpoints: { dir: outputDir, tokenizerDir: flags.tokenizer ?? resolved.tokenizerDir },
    ...(resumeFrom ? { resumeFromCheckpoint: resumeFrom } : {}),
    shouldStop: () => stopRequested,
    ...(group ? { processGroup: group } : {}),
    onEvent: (event) => {
      if (!leader && event.type !== 'warning') return;
      if (event.type === 'step') firstStep ??= event.step - 1;
      reports?.onEvent(event);
      if (event.type === 'warning') process.stderr.write(`${tty ? '\n' : ''}albert-train: warning: ${event.message}\n`);
      if (jsonl && event.type !== 'step') process.stdout.write(`${JSON.stringify(event)}\n`);
      else if (tty && event.type === 'step') process.stderr.write(progressLine(event, started, firstStep ?? 0));
      else if (event.type === 'guard') {
        process.stderr.write(`${tty ? '\n' : ''}albert-train: collapse guard at step ${event.step} (${event.reason}): restored the weights and optimizer state of step ` +
          `${event.restored_step} (accuracy ${event.restored_accuracy.toFixed(4)}) and halved the learning rate for the rest of the run\n`);
      } else if (tty && event.type === 'eval') {
        process.stderr.write(`\nepoch ${event.epoch.toFixed(1)} step ${event.step}: eval loss ${event.eval_loss.toFixed(4)} accuracy ${event.eval_accuracy.toFixed(4)}\n`);
      }
    },
  }).catch((error: unknown) => {
    reports?.close();
    throw error;
  });
  reports?.finish(result);

  process.off('SIGINT', onSigint);
  if (!leader) { // rank 0 writes the output directory and reports
    model.dispose();
    if (result.interrupted) process.exitCode = 130;
    return;
  }
  // From here the output directory is written (checkpoints move into it): Ctrl-C waits for it.
  const whileWriting = () => process.stderr.write('albert-train: writing the output directory; it takes a moment\n');
  process.on('SIGINT', whileWriting);
  try {
    if (result.interrupted) {
      model.dispose();
      // The command as the user ran it (npx, a global install, node dist/cli.js), in our flag spellings.
      const again = commandAgain(hfSpellings(process.argv.slice(2)), 'resume-from-checkpoint', ['--resume-from-checkpoint', result.lastCheckpoint as string]);
      const message = `albert-train: interrupted at step ${result.globalStep} of ${result.totalSteps}; saved ${result.lastCheckpoint}. To continue: ${again}`;
      if (jsonl) process.stdout.write(`${JSON.stringify({ type: 'interrupted', step: result.globalStep, checkpoint: result.lastCheckpoint })}\n`);
      process.stderr.write(`${tty ? '\n' : ''}${message}\n`);
      process.exitCode = 130;
      return;
    }
    if (result.earlyStopped && !jsonl) {
      process.stderr.write(`${tty ? '\n' : ''}albert-train: early stopping at step ${result.globalStep}: ${args.earlyStoppingPatience} evaluations without improvement of ${args.metricForBestModel}\n`);
    }

    // 4. The output directory, then the table.
    const versions = { 'albert-trainer': facts.version, libtorch: facts.torchVersion, 'Node.js': facts.nodeVersion, '@huggingface/tokenizers': facts.tokenizersVersion };
    const { plan } = input;
    const testResults = plan.test ? await evaluateTestSplit(model, plan.test.rows, tokenizer, args) : undefined;
    const card = modelCard({ name: path.basename(path.resolve(outputDir)), baseModel: resolved.name, init: flags.init, dataset: resolvedData.name, args, result, versions,
      evaluationSet: plan.eval?.what, evaluationIsTest: plan.evalIsTest, ...(testResults ? { testResults } : {}),
      config: model.config, configOverrides: flags['config-overrides'], splits: { train: trainExamples.length, eval: evalExamples?.length } });
    const trainingCurves = runTrainingCurves(result, path.basename(path.resolve(outputDir)));
    await writeOutputDirectory({ dir: outputDir, model, tokenizerDir: flags.tokenizer ?? resolved.tokenizerDir, args, result, card, trainingCurves, logDir: input.logDir });
    if (testResults) await writeTestResults(outputDir, testResults);
    model.dispose();
    if (!jsonl) {
      if (tty) process.stderr.write('\n');
      if (result.evaluations.length) process.stdout.write(`${resultsTable(result.evaluations)}\n`);
      const final = result.final ? `; final accuracy ${result.final.accuracy.toFixed(4)}${args.loadBestModelAtEnd && result.best ? ` (best, step ${result.best.step})` : ''}` : '';
      // This run's evaluations (a resumed run's earlier ones took none of its seconds).
      const evalSeconds = result.evaluations.filter((e) => e.step > result.resumedFromStep).reduce((sum, e) => sum + e.eval_runtime, 0);
      const parts = [...(evalSeconds > 0 ? [`evaluation ${evalSeconds.toFixed(1)} s`] : []), ...(result.checkpointSeconds > 0 ? [`checkpoints ${result.checkpointSeconds.toFixed(1)} s`] : [])];
      const shares = parts.length ? `; ${parts.join(', ')} of it` : '';
      // The steps this call ran: a resumed run started at resumedFromStep.
      const ran = result.globalStep - result.resumedFromStep;
      process.stdout.write(`\n${ran} steps${result.resumedFromStep > 0 ? ` (steps ${result.resumedFromStep + 1}-${result.globalStep})` : ''} in ${result.trainSeconds.toFixed(1)} s (${result.samplesPerSecond.toFixed(1)} samples/s${shares})${final}; saved to ${outputDir}\n`);
    } else {
      process.stdout.write(`${JSON.stringify({ type: 'done', output_dir: outputDir, global_step: result.globalStep, train_runtime: result.trainSeconds, final: result.final ? { eval_loss: result.final.loss, eval_accuracy: result.final.accuracy, eval_macro_f1: result.final.macroF1 } : null })}\n`);
    }
  } finally {
    process.off('SIGINT', whileWriting);
  }
}
