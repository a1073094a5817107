// README.md of an output directory: a model card as HF's Trainer writes one (evaluation
// results, hyperparameters, the results table, framework versions), saying what albert-trainer
// did differently (which evaluation the saved weights come from), and what the model is: its
// architecture as trained (overrides included), the data and split sizes, the training time, the
// confusion matrix, and how to use it (albert-train predict, the TypeScript API, HF's pipeline).
import type { AlbertConfig } from '../model/config';
import { type TrainingArguments } from './arguments';
import type { TrainResult } from './train-types';
import { resultsTable } from './results-table';

export interface ModelCardInput {
  name: string;
  baseModel: string;
  init: 'pretrained' | 'random';
  dataset: string;
  args: TrainingArguments;
  result: TrainResult;
  versions: Record<string, string>;
  /** What the evaluation set was (data plan: a validation split, rows held out of train, the test split). */
  evaluationSet?: string;
  /** True where the evaluation set is the test split (--eval-split test): said plainly. */
  evaluationIsTest?: boolean;
  /** The test split's metrics (test_results.json), evaluated once at the end. */
  testResults?: { test_loss: number; test_accuracy: number; test_macro_f1: number; test_samples: number };
  /** The architecture as trained (the saved config.json). */
  config?: AlbertConfig;
  /** --config-overrides: the fields of the base config that were changed (random init). */
  configOverrides?: string;
  /** Examples the run trained on and evaluated on. */
  splits?: { train: number; eval?: number };
}

/** The config fields that say how big the model is, in the order HF's config.json lists them. */
const ARCHITECTURE_FIELDS = ['vocab_size', 'embedding_size', 'hidden_size', 'num_hidden_layers', 'num_hidden_groups', 'num_attention_heads',
  'intermediate_size', 'inner_group_num', 'hidden_act', 'max_position_embeddings', 'num_labels'] as const;

export function modelCard(card: ModelCardInput): string {
  const { args, result } = card;
  const final = result.final;
  const base = card.configOverrides ? `the configuration of ${card.baseModel} changed by --config-overrides ${card.configOverrides}` : `the configuration of ${card.baseModel}`;
  const origin = card.init === 'random' ? `trained from a random initialization with ${base}` : `a fine-tuned version of ${card.baseModel}`;
  const lines = [
    '---',
    'library_name: transformers',
    ...(card.init === 'pretrained' ? [`base_model: ${card.baseModel}`] : []),
    'tags:',
    '- albert-trainer',
    '- generated_from_trainer',
    'metrics:',
    '- accuracy',
    '---',
    '',
    `# ${card.name}`,
    '',
    `This model is ${origin} on the ${card.dataset} dataset, by albert-trainer.`,
    ...architectureLines(card),
  ];
  if (final) {
    lines.push('', 'It achieves the following results on the evaluation set:', `- Loss: ${final.loss.toFixed(4)}`,
      `- Accuracy: ${final.accuracy.toFixed(4)}`, `- Macro F1: ${final.macroF1.toFixed(4)}`, ...confusionLines(final.confusion, card.config));
    if (card.evaluationSet) lines.push('', `The evaluation set is ${card.evaluationSet}.`);
    if (card.evaluationIsTest) lines.push('', '**The model was selected on the test split**: these results are not an unbiased estimate of its accuracy on new data.');
    if (args.loadBestModelAtEnd && result.best) {
      lines.push('', `These are the weights of the best evaluation by ${args.metricForBestModel} (step ${result.best.step}, ` +
        `epoch ${result.best.epoch.toFixed(1)}), kept by load_best_model_at_end rather than those of the last step.`);
    }
  }
  if (card.testResults) {
    const r = card.testResults;
    lines.push('', `On the test split (${r.test_samples} examples, evaluated once at the end, never used to choose the model; test_results.json):`,
      `- Loss: ${r.test_loss.toFixed(4)}`, `- Accuracy: ${r.test_accuracy.toFixed(4)}`, `- Macro F1: ${r.test_macro_f1.toFixed(4)}`);
  }
  lines.push(
    ...dataLines(card),
    '',
    '## Training procedure',
    '',
    '### Training hyperparameters',
    '',
    `- learning_rate: ${args.learningRate}`,
    `- train_batch_size: ${args.perDeviceTrainBatchSize}`,
    `- eval_batch_size: ${args.perDeviceEvalBatchSize}`,
    `- seed: ${args.seed}`,
    `- optimizer: AdamW with betas=(${args.adamBeta1},${args.adamBeta2}) and epsilon=${args.adamEpsilon}, weight_decay=${args.weightDecay}`,
    `- lr_scheduler_type: ${args.lrSchedulerType}`,
    args.warmupSteps > 0 ? `- lr_scheduler_warmup_steps: ${args.warmupSteps}` : `- lr_scheduler_warmup_ratio: ${args.warmupRatio}`,
    args.maxSteps > 0 ? `- training_steps: ${args.maxSteps}` : `- num_epochs: ${args.numTrainEpochs}`,
    `- max_grad_norm: ${args.maxGradNorm}`,
    `- mixed_precision_training: ${args.amp === 'off' ? 'none (fp32)' : `${args.amp} autocast`}`,
    `- max_seq_length: ${args.maxSeqLength}`,
    `- training time: ${result.trainSeconds.toFixed(1)} s for ${result.globalStep - result.resumedFromStep} steps (${result.samplesPerSecond.toFixed(1)} samples/s)`,
    ...(args.earlyStoppingPatience > 0 ? [`- early_stopping_patience: ${args.earlyStoppingPatience} (threshold ${args.earlyStoppingThreshold})`] : []),
    ...runLines(result),
    '',
    '### Training results',
    '',
    result.evaluations.length ? resultsTable(result.evaluations) : 'No evaluation was run (eval_strategy "no").',
    '',
    // Written beside this card by the train command (ts/report/training-curves.ts).
    '![Training loss, learning rate and evaluation accuracy over the steps](training_curves.svg)',
    '',
    '### Collapse guard',
    '',
    ...guardLines(args, result),
    '',
    '### Framework versions',
    '',
    ...Object.entries(card.versions).map(([name, version]) => `- ${name} ${version}`),
    '',
    ...usageLines(card.name),
  );
  return lines.join('\n');
}

/** The architecture as trained, with the overrides said where the base config was changed. */
function architectureLines(card: ModelCardInput): string[] {
  if (!card.config) return [];
  const config = card.config as unknown as Record<string, unknown>;
  const fields = ARCHITECTURE_FIELDS.map((name) => `${name} ${String(config[name])}`).join(', ');
  return ['', `Architecture (config.json): ALBERT, ${fields}.`];
}

function dataLines(card: ModelCardInput): string[] {
  if (!card.splits) return [];
  const evaluation = card.splits.eval !== undefined ? `; evaluation set: ${card.evaluationSet ?? 'given'}, ${card.splits.eval} examples` : '; no evaluation set';
  const test = card.testResults ? `; test split: ${card.testResults.test_samples} examples` : '';
  return ['', '## Training and evaluation data', '', `${card.dataset}: ${card.splits.train} training examples${evaluation}${test}.`];
}

/** confusion[true][predicted] as a table, rows and columns named by id2label. */
function confusionLines(confusion: number[][], config: AlbertConfig | undefined): string[] {
  if (confusion.length === 0) return [];
  const name = (i: number) => config?.id2label?.[String(i)] ?? `LABEL_${i}`;
  return ['', 'Confusion matrix on the evaluation set (rows: true label, columns: predicted):', '',
    `| | ${confusion.map((_, i) => name(i)).join(' | ')} |`, `|---|${confusion.map(() => '---|').join('')}`,
    ...confusion.map((row, i) => `| ${name(i)} | ${row.join(' | ')} |`)];
}

/** How to use the folder, from the folder it is in: the CLI, the TypeScript API, HF's pipeline. */
function usageLines(name: string): string[] {
  const dir = JSON.stringify(name);
  return ['## How to use', '', 'With albert-train, from the folder that holds this one:', '', '```sh',
    `npx albert-train predict --model ${name} --text "A gripping story of two brothers."`, '```', '',
    'With the albert-trainer API (TypeScript):', '', '```ts',
    "import { AlbertForSequenceClassification, AlbertTokenizer, predict } from 'albert-trainer';", '',
    `const model = await AlbertForSequenceClassification.fromPretrained(${dir});`,
    `const tokenizer = await AlbertTokenizer.fromDirectory(${dir});`,
    "console.log(await predict(model, tokenizer, ['A gripping story of two brothers.']));",
    'model.dispose();', '```', '',
    'With HF transformers (Python):', '', '```python', 'from transformers import pipeline', '',
    `classifier = pipeline("text-classification", model=${dir})`, 'print(classifier("A gripping story of two brothers."))', '```', ''];
}

/** How the run went, when it was not one uninterrupted pass. */
function runLines(result: TrainResult): string[] {
  const lines: string[] = [];
  if (result.resumedFromStep > 0) lines.push(`- resumed from a checkpoint at step ${result.resumedFromStep}`);
  if (result.earlyStopped) lines.push(`- stopped early at step ${result.globalStep} of ${result.totalSteps} (no improvement)`);
  return lines;
}

function guardLines(args: TrainingArguments, result: TrainResult): string[] {
  if (!args.collapseGuard) return ['Off for this run (`--collapse-guard off`).'];
  if (result.guardEvents.length === 0) return ['On; training never collapsed, so it did nothing.'];
  const reasons: Record<string, string> = {
    accuracy: 'evaluation accuracy fell to what a constant predictor scores',
    'one-class': 'nearly all predictions fell on one class',
    'non-finite-loss': 'the training loss became non-finite',
    'loss-spike': 'the training loss rose far above its best',
  };
  return result.guardEvents.map((e) => `- Step ${e.step} (epoch ${e.epoch.toFixed(1)}): ${reasons[e.reason]}; restored the weights and ` +
    `optimizer state of step ${e.restored_step} (accuracy ${e.restored_accuracy.toFixed(4)}) and halved the learning rate for the rest of the run.`);
}
