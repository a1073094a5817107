// Metrics against scikit-learn itself (the library HF's examples compute them with).
import { classificationMetrics, predictions } from '../../ts/train/metrics';
import { rng } from '../helpers/batches';
import { runReference } from '../helpers/python';

interface Case { pred: number[]; true: number[]; num_labels: number }
interface Reference { accuracy: number; macro_f1: number; confusion: number[][] }

function randomCase(seed: number, n: number, numLabels: number, collapse: boolean): Case {
  const rand = rng(seed);
  const truth = Array.from({ length: n }, () => Math.floor(rand() * numLabels));
  const pred = truth.map((t) => (collapse ? 0 : rand() < 0.7 ? t : Math.floor(rand() * numLabels)));
  return { pred, true: truth, num_labels: numLabels };
}

const CASES: Case[] = [
  randomCase(1, 2000, 2, false),
  randomCase(2, 500, 3, false),
  randomCase(3, 2000, 2, true), // a collapsed model: every prediction is class 0
  { pred: [0, 0, 1], true: [0, 0, 0], num_labels: 3 }, // class 2 absent from both: left out of the macro mean
  { pred: [1, 1, 1, 1], true: [0, 0, 1, 1], num_labels: 2 },
];

let reference: Reference[];
beforeAll(() => {
  reference = runReference<Reference[]>('metrics_reference.py', [], CASES);
});

test.each(CASES.map((c, i) => [i, c] as const))('case %i equals scikit-learn', (i, c) => {
  const ours = classificationMetrics(Int32Array.from(c.pred), Int32Array.from(c.true), c.num_labels);
  expect(ours.accuracy).toBeCloseTo(reference[i].accuracy, 12);
  expect(ours.macroF1).toBeCloseTo(reference[i].macro_f1, 12);
  expect(ours.confusion).toEqual(reference[i].confusion);
  expect(ours.predictedShare.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
});

test('predictions: argmax per row, ties to the lowest index', () => {
  expect([...predictions(Float32Array.from([0.1, 0.9, 2, -1, 0.5, 0.5]), 2)]).toEqual([1, 0, 0]);
});

test('mismatched lengths and bad logits are ERR_INPUT', () => {
  expect(() => classificationMetrics(Int32Array.from([0]), Int32Array.from([0, 1]), 2)).toThrow(
    'metrics need as many predictions as labels (got 1 and 2)',
  );
  expect(() => predictions(new Float32Array(3), 2)).toThrow('logits length 3 is not a multiple of num_labels 2');
});
