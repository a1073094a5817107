// trainer_state.json as HF's Trainer writes it (transformers.TrainerState): only the fields
// that dataclass has, so `TrainerState.load_from_json` reads ours. Used by the output
// directory and by every checkpoint.
import type { TrainingArguments } from './arguments';
import type { BestEvaluation, TrainResult } from './train-types';

export interface TrainerStateOptions {
  /** Overrides result.bestModelCheckpoint (the checkpoint folder of the best evaluation). */
  bestModelCheckpoint?: string | null;
}

/** HF's best_metric: the best evaluation's value of metric_for_best_model. */
export function bestMetricOf(best: BestEvaluation | undefined, args: TrainingArguments): number | null {
  if (!best) return null;
  return { accuracy: best.accuracy, macro_f1: best.macroF1, loss: best.loss }[args.metricForBestModel];
}

/** The epoch HF logs at `globalStep`: steps over steps per epoch. */
export function epochAt(result: Pick<TrainResult, 'globalStep' | 'stepsPerEpoch'>): number {
  return result.globalStep / result.stepsPerEpoch;
}

export function hfTrainerState(args: TrainingArguments, result: TrainResult, options: TrainerStateOptions = {}): Record<string, unknown> {
  return {
    best_global_step: result.best?.step ?? null,
    best_metric: bestMetricOf(result.best, args),
    best_model_checkpoint: options.bestModelCheckpoint !== undefined ? options.bestModelCheckpoint : (result.bestModelCheckpoint ?? null),
    epoch: epochAt(result),
    eval_steps: args.evalSteps,
    global_step: result.globalStep,
    is_hyper_param_search: false,
    is_local_process_zero: true,
    is_world_process_zero: true,
    log_history: result.logHistory,
    logging_steps: args.loggingSteps,
    max_steps: result.totalSteps,
    num_input_tokens_seen: 0,
    num_train_epochs: result.epochs,
    save_steps: args.saveSteps,
    stateful_callbacks: {},
    total_flos: 0,
    train_batch_size: args.perDeviceTrainBatchSize,
    trial_name: null,
    trial_params: null,
  };
}
