// Inference for a sequence classifier: texts (or text pairs) in, one prediction per input out,
// in input order, as HF's `pipeline('text-classification', top_k=None)` reports them: the
// id2label name of the argmax, its softmax probability, and every label's probability.
//
// Batching: inputs are encoded once, ordered by token length (longest first, ties in input
// order) and cut into batches of `batchSize`, so each batch pads to a length close to its own
// examples' (less padding, fewer wasted FLOPs than input order); results are written back to
// each input's position. The padding does not change a prediction: the attention mask hides
// it, as in HF's DataCollatorWithPadding.
import { isPositiveSafeInteger } from './checks';
import { type TokenizedExample, makeBatch } from './data/batching';
import { type AlbertTokenizer, DEFAULT_MAX_LENGTH } from './data/tokenizer';
import { AlbertTrainerError, invalidArgument } from './errors';
import { type AlbertForSequenceClassification, resolveAmp } from './model/albert';
import { classNames, problemTypeOf } from './model/config';
import type { NativeAmp } from './native';

/** One input: a text, or a text and its pair (premise/hypothesis, question/passage). */
export type PredictInput = string | { text: string; textPair?: string };

export interface PredictOptions {
  /** Inputs per forward pass, a positive integer. Default 16 (the CLI's --per-device-eval-batch-size). */
  batchSize?: number;
  /** Tokens per input after truncation, special tokens included. Default 128. */
  maxLength?: number;
  /** Autocast precision of the forward pass: 'off' (default), 'bf16' or 'fp16'. */
  amp?: NativeAmp;
  /** Add each input's raw logits to its prediction. Default false. */
  outputLogits?: boolean;
}

export interface Prediction {
  // Numbers are float32 values (see fp32), whatever precision the forward ran in.
  /** The id2label name of the most probable class (ties go to the lowest id, as torch.argmax). */
  label: string;
  /** Softmax probability of `label`. */
  score: number;
  /** Softmax probability of every class, by id2label name, in class-id order. */
  probabilities: Record<string, number>;
  /** (num_labels) the model's logits, only with `outputLogits`. */
  logits?: number[];
}

const OPTION_NAMES = ['batchSize', 'maxLength', 'amp', 'outputLogits'];
const DEFAULT_BATCH_SIZE = 16;

function checkInput(input: unknown, index: number): { text: string; textPair?: string } {
  const name = `inputs[${index}]`;
  if (typeof input === 'string') return { text: input };
  if (input === null || typeof input !== 'object') throw invalidArgument('a string or { text, textPair? }', name, input);
  const { text, textPair } = input as Record<string, unknown>;
  if (typeof text !== 'string') throw invalidArgument('string', `${name}.text`, text);
  if (textPair !== undefined && typeof textPair !== 'string') throw invalidArgument('string', `${name}.textPair`, textPair);
  return textPair === undefined ? { text } : { text, textPair };
}

function checkOptions(options: PredictOptions): Required<Omit<PredictOptions, 'amp'>> & { amp: NativeAmp } {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw invalidArgument('an options object', 'options', options);
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key)) {
      throw new AlbertTrainerError('ERR_ARGUMENT', `Unknown option ${key} for predict; the options are ${OPTION_NAMES.join(', ')}`);
    }
  }
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!isPositiveSafeInteger(batchSize)) throw invalidArgument('positive integer', 'batchSize', batchSize);
  const outputLogits = options.outputLogits ?? false;
  if (typeof outputLogits !== 'boolean') throw invalidArgument('boolean', 'outputLogits', outputLogits);
  // maxLength is checked by the tokenizer (>= 3 for one text, >= 4 for a pair).
  return { batchSize, maxLength: options.maxLength ?? DEFAULT_MAX_LENGTH, amp: resolveAmp(options.amp), outputLogits };
}

/**
 * `value` rounded to float32 and written as the shortest decimal that reads back as that
 * float32 (0.1 rather than 0.10000000149011612): the model computes in fp32 at most (bf16 under
 * AMP), so digits past float32's are noise. JSON then prints what numpy prints for a float32.
 */
export function fp32(value: number): number {
  const single = Math.fround(value);
  if (!Number.isFinite(single)) return single;
  for (let digits = 1; digits < 9; digits++) {
    const short = single.toPrecision(digits);
    if (Math.fround(Number(short)) === single) return Number(halfToEven(single, digits, short));
  }
  return Number(single.toPrecision(9));
}

/**
 * `rounded` (toPrecision(digits), which rounds a tie away from zero) or, where `single` lies
 * exactly halfway between two decimals of `digits` digits that both read back as it, the one
 * whose last digit is even, as numpy does: bf16 logits such as -0.126953125 print -0.12695312.
 */
function halfToEven(single: number, digits: number, rounded: string): string {
  const exact = single.toPrecision(digits + 1);
  const [mantissa, exponent] = exact.split('e');
  if (Number(exact) !== single || !mantissa.endsWith('5')) return rounded; // not a tie
  const truncated = `${mantissa.slice(0, -1)}${exponent === undefined ? '' : `e${exponent}`}`;
  const lastDigit = (text: string) => Number(text.split('e')[0].replace(/\D/g, '').slice(-1));
  return Math.fround(Number(truncated)) === single && lastDigit(truncated) % 2 === 0 ? truncated : rounded;
}

/** Softmax of one row of logits, computed in float64 with the max subtracted. */
function softmax(row: Float32Array): number[] {
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  const exps = Array.from(row, (v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/**
 * Indices 0..n-1 ordered by `lengths`, longest first; equal lengths keep input order (a stable
 * sort), so the same inputs always form the same batches.
 */
export function lengthSortedOrder(lengths: readonly number[]): number[] {
  return lengths.map((_, i) => i).sort((a, b) => lengths[b] - lengths[a]);
}

/**
 * Classifies `inputs` with `model` (single-label classification: softmax over num_labels >= 2
 * classes) and returns one Prediction per input, in input order. Texts are encoded with
 * `tokenizer` (HF's truncation), batched by length (see the notes at the top of this file) and
 * run in eval mode. Throws AlbertTrainerError: ERR_ARGUMENT for bad inputs or options, and what
 * the model's forward throws.
 */
export async function predict(
  model: AlbertForSequenceClassification,
  tokenizer: AlbertTokenizer,
  inputs: readonly PredictInput[],
  options: PredictOptions = {},
): Promise<Prediction[]> {
  if (!Array.isArray(inputs)) throw invalidArgument('an array of inputs', 'inputs', inputs);
  const { batchSize, maxLength, amp, outputLogits } = checkOptions(options);
  const numLabels = model.config.num_labels;
  const problemType = problemTypeOf(model.config);
  if (problemType !== 'single_label_classification') {
    throw new AlbertTrainerError('ERR_CONFIG', `predict handles single-label classification; this model's problem_type is ${problemType}`);
  }
  const labelNames = classNames(model.config);

  // 1. Encode every input (the label is a placeholder: prediction batches carry no labels).
  const examples: TokenizedExample[] = inputs.map((input, i) => {
    const { text, textPair } = checkInput(input, i);
    return { ...tokenizer.encode(text, textPair, maxLength), label: 0 };
  });

  // 2. Batches of similar length; each row's logits go back to its input's position.
  const order = lengthSortedOrder(examples.map((e) => e.inputIds.length));
  const predictionsByInput = new Array<Prediction>(examples.length);
  for (let start = 0; start < order.length; start += batchSize) {
    const indices = order.slice(start, start + batchSize);
    const { labels: _placeholder, ...batch } = makeBatch(indices.map((i) => examples[i]), tokenizer.padTokenId);
    const { logits } = await model.forward(batch, { amp }); // (B, numLabels)
    indices.forEach((inputIndex, row) => {
      const rowLogits = logits.subarray(row * numLabels, (row + 1) * numLabels);
      const probabilities = softmax(rowLogits).map(fp32);
      let best = 0;
      for (let c = 1; c < numLabels; c++) if (rowLogits[c] > rowLogits[best]) best = c;
      const prediction: Prediction = {
        label: labelNames[best],
        score: probabilities[best],
        probabilities: Object.fromEntries(labelNames.map((name, c) => [name, probabilities[c]])),
      };
      if (outputLogits) prediction.logits = Array.from(rowLogits, fp32);
      predictionsByInput[inputIndex] = prediction;
    });
  }
  return predictionsByInput;
}
