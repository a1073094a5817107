// The names of the files a run leaves in its output folder, as HF's Trainer names them: one list
// for every writer (output.ts, checkpoint.ts, cli/test-results.ts, report/run-reports.ts) and
// reader (resume, sweep/). A leaf module (no imports), so a reader such as sweep/ loads no more
// than these names. The model folder's own files (config.json, model.safetensors) are
// ts/model/albert.ts's CONFIG_FILE and WEIGHTS_FILE; the tokenizer's, ts/data/tokenizer.ts's.
export const RUN_FILES = {
  /** The arguments as HF's TrainingArguments.to_json_string writes them (also in each checkpoint). */
  trainingArgs: 'training_args.json',
  /** HF's TrainerState: log_history, best checkpoint (also in each checkpoint). */
  trainerState: 'trainer_state.json',
  /** The final evaluation's metrics, as trainer.save_metrics("eval", ...) writes them. */
  evalResults: 'eval_results.json',
  /** The test split's metrics, as trainer.save_metrics("test", ...) writes them. */
  testResults: 'test_results.json',
  /** The model card. */
  modelCard: 'README.md',
  /** Loss and accuracy against the step, drawn from log_history. */
  trainingCurves: 'training_curves.svg',
} as const;

/** A checkpoint folder's name is this prefix and its step (HF's checkpoint-<step>). */
export const CHECKPOINT_PREFIX = 'checkpoint-';
/** A checkpoint folder's name; group 1 is the step. */
export const CHECKPOINT_FOLDER = /^checkpoint-(\d+)$/;
