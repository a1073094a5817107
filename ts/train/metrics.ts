// Classification metrics over logits, as the HF ecosystem computes them (scikit-learn's
// accuracy_score, f1_score(average='macro') and confusion_matrix). A row labelled -100 is
// ignored, as the loss ignores it (torch's CrossEntropyLoss ignore_index, which batch validation
// allows): it counts in no metric, and the shares are of the rows scored.
import { AlbertTrainerError } from '../errors';

/** The label of a row the loss and the metrics ignore (HF's and torch's ignore_index). */
export const IGNORED_LABEL = -100;

export interface ClassificationMetrics {
  accuracy: number;
  /** Mean F1 over the classes that occur in the labels or the predictions (scikit-learn's
   *  default label set); a class with no true and no predicted positive scores 0 (zero_division=0). */
  macroF1: number;
  /** confusion[trueClass][predictedClass], numLabels x numLabels. */
  confusion: number[][];
  /** Share of predictions per class: what the collapse guard watches. */
  predictedShare: number[];
}

/** argmax per row of row-major (B, L) logits; ties go to the lowest index, as torch.argmax does. */
export function predictions(logits: Float32Array, numLabels: number): Int32Array {
  if (numLabels < 1 || logits.length % numLabels !== 0) {
    throw new AlbertTrainerError('ERR_INPUT', `logits length ${logits.length} is not a multiple of num_labels ${numLabels}`);
  }
  const out = new Int32Array(logits.length / numLabels);
  for (let row = 0; row < out.length; row++) {
    let best = 0;
    for (let c = 1; c < numLabels; c++) if (logits[row * numLabels + c] > logits[row * numLabels + best]) best = c;
    out[row] = best;
  }
  return out;
}

export function classificationMetrics(predicted: Int32Array, labels: Int32Array, numLabels: number): ClassificationMetrics {
  if (predicted.length !== labels.length || labels.length === 0) {
    throw new AlbertTrainerError('ERR_INPUT', `metrics need as many predictions as labels (got ${predicted.length} and ${labels.length})`);
  }
  // 1. The confusion matrix, over the rows not ignored.
  const confusion = Array.from({ length: numLabels }, () => new Array<number>(numLabels).fill(0));
  let scored = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === IGNORED_LABEL) continue;
    if (!(labels[i] >= 0 && labels[i] < numLabels)) {
      throw new AlbertTrainerError('ERR_INPUT', `labels[${i}] is ${labels[i]}, outside [0, ${numLabels}) (num_labels; -100 marks an ignored row)`);
    }
    if (!(predicted[i] >= 0 && predicted[i] < numLabels)) throw new AlbertTrainerError('ERR_INPUT', `predictions[${i}] is ${predicted[i]}, outside [0, ${numLabels})`);
    confusion[labels[i]][predicted[i]] += 1;
    scored += 1;
  }
  if (scored === 0) throw new AlbertTrainerError('ERR_INPUT', 'every label is -100 (ignored): no row to score');
  // 2. Accuracy: the diagonal over the rows scored.
  let correct = 0;
  for (let c = 0; c < numLabels; c++) correct += confusion[c][c];
  // 3. Macro-F1 over the classes present in either labels or predictions.
  let f1Sum = 0;
  let present = 0;
  for (let c = 0; c < numLabels; c++) {
    const truePositives = confusion[c][c];
    const actual = confusion[c].reduce((a, b) => a + b, 0);
    const predictedCount = confusion.reduce((a, row) => a + row[c], 0);
    if (actual === 0 && predictedCount === 0) continue;
    present += 1;
    f1Sum += actual + predictedCount === 0 ? 0 : (2 * truePositives) / (actual + predictedCount);
  }
  const predictedShare = Array.from({ length: numLabels }, (_, c) => confusion.reduce((a, row) => a + row[c], 0) / scored);
  return { accuracy: correct / scored, macroF1: present ? f1Sum / present : 0, confusion, predictedShare };
}
