// The per-evaluation results table, laid out as HF's Trainer model cards print it:
// | Training Loss | Epoch | Step | Validation Loss | Accuracy | (+ Macro F1).
import type { EvalLogEntry } from './train-types';

export function resultsTable(evaluations: readonly EvalLogEntry[]): string {
  const rows = evaluations.map((e) =>
    `| ${Number.isFinite(e.train_loss) ? e.train_loss.toFixed(4) : 'No log'} | ${e.epoch.toFixed(1)} | ${e.step} | ` +
    `${e.eval_loss.toFixed(4)} | ${e.eval_accuracy.toFixed(4)} | ${e.eval_macro_f1.toFixed(4)} |`);
  return ['| Training Loss | Epoch | Step | Validation Loss | Accuracy | Macro F1 |', '|---|---|---|---|---|---|', ...rows].join('\n');
}
