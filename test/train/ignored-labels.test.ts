// A -100 label (an ignored row: batch validation allows it, the loss skips it, as torch's
// CrossEntropyLoss ignore_index does) must not reach the metrics or the guard's class shares as
// a class. The expected values are worked by hand from the rows that are not ignored.
import { classShares } from '../../ts/train/collapse-guard';
import { classificationMetrics } from '../../ts/train/metrics';

test('classificationMetrics leaves -100 rows out of accuracy, F1, the confusion matrix and the shares', () => {
  // labelled rows: (0 -> 0), (1 -> 1), (1 -> 0); the -100 rows predict 1 and 0
  const metrics = classificationMetrics(Int32Array.from([0, 1, 1, 0, 0]), Int32Array.from([0, -100, 1, -100, 1]), 2);
  expect(metrics.confusion).toEqual([[1, 0], [1, 1]]);
  expect(metrics.accuracy).toBeCloseTo(2 / 3, 12);
  // class 0: tp 1, actual 1, predicted 2 -> 2/3; class 1: tp 1, actual 2, predicted 1 -> 2/3
  expect(metrics.macroF1).toBeCloseTo(2 / 3, 12);
  expect(metrics.predictedShare).toEqual([2 / 3, 1 / 3]);
});

test('a label outside [0, num_labels) other than -100 is ERR_INPUT naming the row', () => {
  expect(() => classificationMetrics(Int32Array.from([0, 1]), Int32Array.from([0, 7]), 2)).toThrow(
    expect.objectContaining({ code: 'ERR_INPUT', message: 'labels[1] is 7, outside [0, 2) (num_labels; -100 marks an ignored row)' }),
  );
});

test('only ignored rows: nothing to score is ERR_INPUT', () => {
  expect(() => classificationMetrics(Int32Array.from([0, 1]), Int32Array.from([-100, -100]), 2)).toThrow(
    expect.objectContaining({ code: 'ERR_INPUT', message: 'every label is -100 (ignored): no row to score' }),
  );
});

test('the collapse guard\'s class shares leave -100 rows out (they summed to 0.75 with one -100 in four)', () => {
  expect(classShares([0, 1, -100, 1], 2)).toEqual([1 / 3, 2 / 3]);
  expect(() => classShares([-100], 2)).toThrow(expect.objectContaining({ code: 'ERR_INPUT' }));
  expect(() => classShares([0, 2], 2)).toThrow('evaluation label 2 is outside [0, 2) (num_labels; -100 marks an ignored row)');
});
