// Token ids -> padded batches, in a seeded order per epoch (the order itself, with
// group_by_length and data-parallel sharding, is ts/data/epoch-order.ts).
//
// Dimensions: B = examples in the batch, T = the longest example's length (dynamic padding,
// HF's DataCollatorWithPadding with padding side right and no pad_to_multiple_of).
import { AlbertTrainerError, describe, invalidArgument } from '../errors';
import type { Batch } from '../model/batch';
import { isNonNegativeSafeInteger, isPositiveSafeInteger } from '../checks';
import { epochOrder, lengthGroupedOrder, shardOrder } from './epoch-order';

export { epochOrder, lengthGroupedOrder, shardOrder } from './epoch-order';

/** One tokenized example: ids of [CLS] text [SEP] (pair [SEP]), no padding. */
export interface TokenizedExample {
  inputIds: ArrayLike<number>;
  tokenTypeIds: ArrayLike<number>;
  label: number;
}

/** A Batch whose optional fields are present: all (B, T) row-major, labels (B). */
export interface PaddedBatch extends Batch {
  inputIds: Int32Array; // (B, T), pad id after each example's end
  attentionMask: Int32Array; // (B, T), 1 on tokens, 0 on padding
  tokenTypeIds: Int32Array; // (B, T), 0 on padding
  labels: Int32Array; // (B)
}

/** A batch of an epoch, with where it came from. */
export interface EpochBatch extends PaddedBatch {
  /** Position of this batch in the epoch, from 0. */
  index: number;
  /** Indices into the examples, in batch row order. */
  indices: number[];
}

// ---------------------------------------------------------------------------------------------
// Padding

function isIdArray(value: unknown): value is ArrayLike<number> {
  return Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
}

/** Throws naming `name` (e.g. examples[12]) when the example cannot be padded into a batch. */
function checkExample(example: unknown, name: string): asserts example is TokenizedExample {
  if (example === null || typeof example !== 'object') throw invalidArgument('an example object', name, example);
  const { inputIds, tokenTypeIds, label } = example as Record<string, unknown>;
  if (!isIdArray(inputIds)) throw invalidArgument('an array of token ids', `${name}.inputIds`, inputIds);
  if (!isIdArray(tokenTypeIds)) throw invalidArgument('an array of token type ids', `${name}.tokenTypeIds`, tokenTypeIds);
  if (inputIds.length === 0) throw new AlbertTrainerError('ERR_INPUT', `${name}.inputIds is empty`);
  if (tokenTypeIds.length !== inputIds.length) {
    throw new AlbertTrainerError('ERR_INPUT', `${name}.tokenTypeIds has ${tokenTypeIds.length} ids but inputIds has ${inputIds.length}`);
  }
  for (const [field, ids] of [['inputIds', inputIds], ['tokenTypeIds', tokenTypeIds]] as const) {
    for (let t = 0; t < ids.length; t++) {
      const v = ids[t];
      if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
        throw new AlbertTrainerError('ERR_INPUT', `${name}.${field}[${t}] is ${describe(v)}; expected a non-negative int32 id`);
      }
    }
  }
  if (typeof label !== 'number' || !Number.isInteger(label) || label < -0x80000000 || label > 0x7fffffff) {
    throw invalidArgument('an integer class id', `${name}.label`, label);
  }
}

function checkPadTokenId(padTokenId: unknown): asserts padTokenId is number {
  if (!isNonNegativeSafeInteger(padTokenId) || padTokenId > 0x7fffffff) throw invalidArgument('non-negative integer', 'padTokenId', padTokenId);
}

/** Pads checked examples (in `order`) into one batch. */
function pad(examples: readonly TokenizedExample[], order: readonly number[], padTokenId: number): PaddedBatch {
  const batchSize = order.length; // B
  let seqLen = 0; // T
  for (const i of order) seqLen = Math.max(seqLen, examples[i].inputIds.length);
  const inputIds = new Int32Array(batchSize * seqLen).fill(padTokenId); // (B, T)
  const attentionMask = new Int32Array(batchSize * seqLen); // (B, T)
  const tokenTypeIds = new Int32Array(batchSize * seqLen); // (B, T)
  const labels = new Int32Array(batchSize); // (B)
  order.forEach((i, b) => {
    const { inputIds: ids, tokenTypeIds: types, label } = examples[i];
    const row = b * seqLen;
    inputIds.set(ids, row);
    tokenTypeIds.set(types, row);
    attentionMask.fill(1, row, row + ids.length);
    labels[b] = label;
  });
  return { inputIds, attentionMask, tokenTypeIds, labels, batchSize, seqLen };
}

/** Pads `examples` on the right to the longest of them; one row per example, in order. */
export function makeBatch(examples: readonly TokenizedExample[], padTokenId: number): PaddedBatch {
  if (!Array.isArray(examples) || examples.length === 0) throw invalidArgument('a non-empty array of examples', 'examples', examples);
  checkPadTokenId(padTokenId);
  examples.forEach((example, i) => checkExample(example, `examples[${i}]`));
  return pad(examples, examples.map((_, i) => i), padTokenId);
}

// ---------------------------------------------------------------------------------------------
// Iterating an epoch

export interface BatchIteratorOptions {
  /** Examples per batch, a positive integer. */
  batchSize: number;
  /** Token id written into padding (the tokenizer's pad_token_id; 0 for albert-*-v2). */
  padTokenId: number;
  /** Shuffle with epochOrder(n, seed, epoch). Default false (an eval pass). */
  shuffle?: boolean;
  /** Seed of the shuffle, a non-negative integer. Default 42 (HF TrainingArguments.seed). */
  seed?: number;
  /** Epoch number, from 0: each epoch gets its own order. Default 0. */
  epoch?: number;
  /** Leave out a last batch smaller than batchSize. Default false (HF's dataloader_drop_last). */
  dropLast?: boolean;
  /** Order by lengthGroupedOrder over the epoch's order (HF's group_by_length). Default false. */
  groupByLength?: boolean;
  /**
   * batchSize given to lengthGroupedOrder. Default batchSize x numReplicas (one global batch per
   * length group); HF uses batchSize x gradient accumulation steps.
   */
  lengthGroupSize?: number;
  /** Start at this batch of the epoch (of this rank's shard when numReplicas > 1; resuming mid-epoch). Default 0. */
  startBatch?: number;
  /** Data-parallel processes sharing the epoch (DistributedSampler's num_replicas), a positive integer. Default 1. */
  numReplicas?: number;
  /** This process's shard, an integer in [0, numReplicas) (DistributedSampler's rank). Default 0. */
  rank?: number;
  /**
   * Pad the order to a multiple of numReplicas by repeating its start, so every rank gets as many
   * batches (training); false gives each example to exactly one rank (evaluation). Default true.
   */
  padShards?: boolean;
}

const ITERATOR_OPTIONS = [
  'batchSize',
  'padTokenId',
  'shuffle',
  'seed',
  'epoch',
  'dropLast',
  'groupByLength',
  'lengthGroupSize',
  'startBatch',
  'numReplicas',
  'rank',
  'padShards',
];

/**
 * The batches of one epoch, in order, as an async iterator (`for await`).
 *
 * One-batch lookahead: next() hands out the batch that is already padded and schedules the
 * padding of the following one with setImmediate. The caller then starts the step (an async
 * native call that runs on a worker thread) and awaits it; while it waits, the event loop runs
 * the scheduled padding, so the next batch is ready when the step returns. If next() comes
 * before that has run, it cancels the scheduled work and pads synchronously. All examples are
 * checked in the constructor, so a bad example fails before the first step, not mid-epoch
 * (the iterator keeps the examples: do not change them while it runs).
 */
export class BatchIterator implements AsyncIterableIterator<EpochBatch> {
  /** The epoch's visiting order (indices into the examples), after shuffling, grouping and sharding. */
  readonly order: readonly number[];
  /** Batches in this epoch (of this rank's shard), counting any before startBatch. */
  readonly numBatches: number;
  private readonly examples: readonly TokenizedExample[];
  private readonly batchSize: number;
  private readonly padTokenId: number;
  private cursor: number;
  private ahead: EpochBatch | null = null;
  private scheduled: NodeJS.Immediate | null = null;

  constructor(examples: readonly TokenizedExample[], options: BatchIteratorOptions) {
    if (!Array.isArray(examples)) throw invalidArgument('an array of examples', 'examples', examples);
    if (options === null || typeof options !== 'object') throw invalidArgument('an options object', 'options', options);
    for (const key of Object.keys(options)) {
      if (!ITERATOR_OPTIONS.includes(key)) {
        throw new AlbertTrainerError('ERR_ARGUMENT', `Unknown option ${key} for BatchIterator; the options are ${ITERATOR_OPTIONS.join(', ')}`);
      }
    }
    const { batchSize, padTokenId, shuffle = false, seed = 42, epoch = 0, dropLast = false, groupByLength = false } = options;
    const { numReplicas = 1, rank = 0, padShards = true } = options;
    if (!isPositiveSafeInteger(batchSize)) throw invalidArgument('positive integer', 'batchSize', batchSize);
    checkPadTokenId(padTokenId);
    if (typeof dropLast !== 'boolean') throw invalidArgument('boolean', 'dropLast', dropLast);
    if (typeof groupByLength !== 'boolean') throw invalidArgument('boolean', 'groupByLength', groupByLength);
    if (!isPositiveSafeInteger(numReplicas)) throw invalidArgument('positive integer', 'numReplicas', numReplicas);
    if (!isNonNegativeSafeInteger(rank) || rank >= numReplicas) throw invalidArgument(`integer in [0, ${numReplicas - 1}]`, 'rank', rank);
    if (typeof padShards !== 'boolean') throw invalidArgument('boolean', 'padShards', padShards);
    // one length group per global batch (a batch from each rank), so the ranks' batch i match in length
    const lengthGroupSize = options.lengthGroupSize ?? batchSize * numReplicas;
    if (!isPositiveSafeInteger(lengthGroupSize)) throw invalidArgument('positive integer', 'lengthGroupSize', lengthGroupSize);
    examples.forEach((example, i) => checkExample(example, `examples[${i}]`));
    let order = epochOrder(examples.length, seed, epoch, shuffle);
    if (groupByLength) {
      order = lengthGroupedOrder(examples.map((e) => e.inputIds.length), lengthGroupSize, order);
    }
    if (numReplicas > 1) order = shardOrder(order, numReplicas, rank, padShards);
    this.order = order;
    this.numBatches = dropLast ? Math.floor(order.length / batchSize) : Math.ceil(order.length / batchSize);
    const startBatch = options.startBatch ?? 0;
    if (!isNonNegativeSafeInteger(startBatch) || startBatch > this.numBatches) {
      throw invalidArgument(`integer in [0, ${this.numBatches}] (the epoch's batches)`, 'startBatch', startBatch);
    }
    this.examples = examples;
    this.batchSize = batchSize;
    this.padTokenId = padTokenId;
    this.cursor = startBatch;
  }

  /** The index of the batch padded ahead and waiting, or -1. */
  get readyIndex(): number {
    return this.ahead?.index ?? -1;
  }

  async next(): Promise<IteratorResult<EpochBatch>> {
    this.cancel();
    if (this.cursor >= this.numBatches) return { done: true, value: undefined };
    const index = this.cursor++;
    const batch = this.ahead?.index === index ? this.ahead : this.build(index);
    this.ahead = null;
    if (this.cursor < this.numBatches) {
      this.scheduled = setImmediate(() => {
        this.scheduled = null;
        try {
          this.ahead = this.build(this.cursor);
        } catch {
          // examples changed since the constructor checked them: next() builds it again and rejects
        }
      });
    }
    return { done: false, value: batch };
  }

  /** Ends the epoch early (a `break` out of `for await` calls this). */
  async return(): Promise<IteratorResult<EpochBatch>> {
    this.cancel();
    this.ahead = null;
    this.cursor = this.numBatches;
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private cancel(): void {
    if (this.scheduled !== null) clearImmediate(this.scheduled);
    this.scheduled = null;
  }

  private build(index: number): EpochBatch {
    const indices = this.order.slice(index * this.batchSize, (index + 1) * this.batchSize);
    return { ...pad(this.examples, indices, this.padTokenId), index, indices };
  }
}
