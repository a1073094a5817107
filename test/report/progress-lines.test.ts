// The plain progress lines of a stderr that is not a terminal: one per logging step at most every
// minIntervalSeconds (the last step's always), every evaluation, on a clock the test moves.
import { ProgressLines } from '../../ts/report/progress-lines';
import type { TrainEvent } from '../../ts/train/train-types';

const step = (n: number): TrainEvent => ({ type: 'step', step: n, totalSteps: 10, epoch: n / 5, loss: 0.5, learningRate: 1e-4, samplesPerSecond: 100 });
const log = (n: number): TrainEvent => ({ type: 'log', step: n, epoch: n / 5, loss: 0.25, learning_rate: 2e-5, grad_norm: 1.5 });
const evaluation = (n: number): TrainEvent => ({ type: 'eval', step: n, epoch: n / 5, eval_loss: 0.3, eval_accuracy: 0.875, eval_macro_f1: 0.8,
  eval_samples: 8, train_loss: 0.4, eval_runtime: 1.25, eval_samples_per_second: 6.4, eval_steps_per_second: 0.8 });

test('rate-limits log lines, keeps the last step\'s and every evaluation', () => {
  let now = 1_000_000;
  const lines: string[] = [];
  const progress = new ProgressLines({ write: (line) => lines.push(line), minIntervalSeconds: 5, now: () => now });
  for (let n = 1; n <= 10; n++) {
    now += 2000; // two seconds a step
    progress.onEvent(step(n));
    progress.onEvent(log(n));
    if (n === 5 || n === 10) progress.onEvent(evaluation(n));
  }
  // Logs at steps 1 (t=2 s), 4 (t=8 s: 6 s later), 7 (t=14 s), and 10 (the last step, 6 s later anyway).
  expect(lines).toEqual([
    'albert-train: step 1/10 epoch 0.20: loss 0.2500 grad_norm 1.5000 learning_rate 2.000e-5, ETA 18 s\n',
    'albert-train: step 4/10 epoch 0.80: loss 0.2500 grad_norm 1.5000 learning_rate 2.000e-5, ETA 12 s\n',
    'albert-train: evaluation at step 5 epoch 1.00: eval_loss 0.3000 eval_accuracy 0.8750 eval_macro_f1 0.8000 (1.3 s)\n',
    'albert-train: step 7/10 epoch 1.40: loss 0.2500 grad_norm 1.5000 learning_rate 2.000e-5, ETA 6 s\n',
    'albert-train: step 10/10 epoch 2.00: loss 0.2500 grad_norm 1.5000 learning_rate 2.000e-5\n',
    'albert-train: evaluation at step 10 epoch 2.00: eval_loss 0.3000 eval_accuracy 0.8750 eval_macro_f1 0.8000 (1.3 s)\n',
  ]);
});

test('the last step shows even within the interval; a resumed run\'s ETA counts from where it resumed', () => {
  let now = 0;
  const lines: string[] = [];
  const progress = new ProgressLines({ write: (line) => lines.push(line), minIntervalSeconds: 60, now: () => now });
  for (const n of [9, 10]) { // resumed at step 8
    now += 1000;
    progress.onEvent(step(n));
    progress.onEvent(log(n));
  }
  expect(lines).toEqual([
    'albert-train: step 9/10 epoch 1.80: loss 0.2500 grad_norm 1.5000 learning_rate 2.000e-5, ETA 1 s\n',
    'albert-train: step 10/10 epoch 2.00: loss 0.2500 grad_norm 1.5000 learning_rate 2.000e-5\n',
  ]);
});
