// README.md of an output directory: a model card as HF's Trainer writes one (evaluation
// results, hyperparameters, the results table, framework versions), saying what albert-trainer
// did differently (which evaluation the saved weights come from).
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
}

export function modelCard(card: ModelCardInput): string {
  const { args, result } = card;
  const final = result.final;
  const origin = card.init === 'random' ? `trained from a random initialization with the configuration of ${card.baseModel}` : `a fine-tuned version of ${card.baseModel}`;
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
  ];
  if (final) {
    lines.push('It achieves the following results on the evaluation set:', `- Loss: ${final.loss.toFixed(4)}`,
      `- Accuracy: ${final.accuracy.toFixed(4)}`, `- Macro F1: ${final.macroF1.toFixed(4)}`);
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
    ...(args.earlyStoppingPatience > 0 ? [`- early_stopping_patience: ${args.earlyStoppingPatience} (threshold ${args.earlyStoppingThreshold})`] : []),
    ...runLines(result),
    '',
    '### Training results',
    '',
    result.evaluations.length ? resultsTable(result.evaluations) : 'No evaluation was run (eval_strategy "no").',
    '',
    '### Collapse guard',
    '',
    ...guardLines(args, result),
    '',
    '### Framework versions',
    '',
    ...Object.entries(card.versions).map(([name, version]) => `- ${name} ${version}`),
    '',
  );
  return lines.join('\n');
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
