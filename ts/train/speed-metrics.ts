// The seconds and rates of an evaluation pass, named and rounded as HF's Trainer logs them
// (speed_metrics in transformers/trainer_utils.py: runtime to 4 decimals, rates to 3).
export interface EvalSpeed {
  eval_runtime: number;
  eval_samples_per_second: number;
  eval_steps_per_second: number;
}

/** `seconds` of a pass over `samples` examples in `steps` batches. */
export function evalSpeed(seconds: number, samples: number, steps: number): EvalSpeed {
  return {
    eval_runtime: Math.round(seconds * 1e4) / 1e4,
    eval_samples_per_second: Math.round((samples / seconds) * 1e3) / 1e3,
    eval_steps_per_second: Math.round((steps / seconds) * 1e3) / 1e3,
  };
}
