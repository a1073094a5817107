// A batch of examples for the model, and its validation. Validation lives here (sharp's
// split): the native core re-checks only what would crash it, so users read these messages.
import { isPositiveSafeInteger } from '../checks';
import { AlbertTrainerError, invalidArgument } from '../errors';
import type { NativeBatch } from '../native';
import { type AlbertConfig, problemTypeOf } from './config';

/**
 * Row-major B x T typed arrays. `labels`: Int32Array of B class ids (single-label, -100 is
 * ignored); Float32Array of B targets (regression) or B x num_labels (multi-label).
 */
export interface Batch {
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds?: Int32Array;
  labels?: Int32Array | Float32Array;
  batchSize: number;
  seqLen: number;
}

function checkIds(name: string, values: unknown, expected: number, limit: number, limitName: string, seqLen: number): void {
  if (!(values instanceof Int32Array)) throw invalidArgument('Int32Array', name, values);
  if (values.length !== expected) {
    throw new AlbertTrainerError('ERR_INPUT', `${name} has ${values.length} elements but batchSize x seqLen is ${expected}`);
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < 0 || v >= limit) {
      const row = Math.floor(i / seqLen);
      throw new AlbertTrainerError(
        'ERR_INPUT',
        `${name}[${row}][${i % seqLen}] is ${v}, outside [0, ${limit}) (the model's ${limitName})`,
      );
    }
  }
}

/** Throws AlbertTrainerError (ERR_ARGUMENT / ERR_INPUT) naming the field, row and column at fault. */
export function validateBatch(batch: Batch, config: AlbertConfig, requireLabels = false): NativeBatch {
  if (batch === null || typeof batch !== 'object') throw invalidArgument('a batch object', 'batch', batch);
  const { batchSize, seqLen } = batch;
  if (!isPositiveSafeInteger(batchSize)) throw invalidArgument('positive integer', 'batchSize', batchSize);
  if (!isPositiveSafeInteger(seqLen)) throw invalidArgument('positive integer', 'seqLen', seqLen);
  if (seqLen > config.max_position_embeddings) {
    throw new AlbertTrainerError(
      'ERR_INPUT',
      `seqLen ${seqLen} exceeds the model's max_position_embeddings (${config.max_position_embeddings})`,
    );
  }
  const n = batchSize * seqLen;
  checkIds('inputIds', batch.inputIds, n, config.vocab_size, 'vocab_size', seqLen);
  checkIds('attentionMask', batch.attentionMask, n, 2, 'mask values 0 and 1', seqLen);
  for (let row = 0; row < batchSize; row++) {
    let tokens = 0;
    for (let t = 0; t < seqLen; t++) tokens += batch.attentionMask[row * seqLen + t];
    if (tokens === 0) throw new AlbertTrainerError('ERR_INPUT', `attentionMask row ${row} has no token (all zeros)`);
  }
  if (batch.tokenTypeIds !== undefined) {
    checkIds('tokenTypeIds', batch.tokenTypeIds, n, config.type_vocab_size, 'type_vocab_size', seqLen);
  }
  if (batch.labels === undefined) {
    if (requireLabels) throw new AlbertTrainerError('ERR_INPUT', 'a training batch needs labels');
  } else {
    checkLabels(batch.labels, batchSize, config);
  }
  return batch;
}

function checkLabels(labels: unknown, batchSize: number, config: AlbertConfig): void {
  const problem = problemTypeOf(config);
  if (problem === 'single_label_classification') {
    if (!(labels instanceof Int32Array)) throw invalidArgument('Int32Array of class ids', 'labels', labels);
    if (labels.length !== batchSize) {
      throw new AlbertTrainerError('ERR_INPUT', `labels has ${labels.length} elements but batchSize is ${batchSize}`);
    }
    labels.forEach((label, row) => {
      if (label !== -100 && (label < 0 || label >= config.num_labels)) {
        throw new AlbertTrainerError(
          'ERR_INPUT',
          `labels[${row}] is ${label}, outside [0, ${config.num_labels}) (num_labels; -100 marks an ignored row)`,
        );
      }
    });
    return;
  }
  if (!(labels instanceof Float32Array)) throw invalidArgument(`Float32Array of targets for ${problem}`, 'labels', labels);
  const expected = problem === 'regression' && config.num_labels === 1 ? batchSize : batchSize * config.num_labels;
  if (labels.length !== expected) {
    throw new AlbertTrainerError('ERR_INPUT', `labels has ${labels.length} elements but ${problem} needs ${expected}`);
  }
}
