// The batches every peer reads: written once per config and shape to one JSON file, so that all
// peers step through the same batches in the same order (batch i of the file is step i of each
// peer: warm-up first, then the timed steps).
//
// subj:  sentences drawn at random (seeded, without replacement) from SUBJ's train split,
//        tokenized with the ALBERT tokenizer (max length 128); a peer pads each batch to its
//        longest sentence (dynamic padding, as HF's DataCollatorWithPadding).
// fixed: every example exactly seqLen tokens ([CLS] random ids [SEP], seeded), no padding.
import * as fs from 'fs';
import { AlbertTokenizer, epochOrder, readDataset } from '../ts/index';
import type { TokenizedExample } from '../ts/index';
import { SUBJ_TRAIN, TOKENIZER_DIR } from './configs';
import type { Shape } from './options';

export interface BatchRow { inputIds: number[]; tokenTypeIds: number[]; label: number }
export interface FileBatch { rows: BatchRow[]; /** the padded length */ seqLen: number; /** non-padding tokens */ tokens: number }
export interface BatchFile { shape: Shape; padTokenId: number; batchSize: number; batches: FileBatch[] }

const CLS = 2;
const SEP = 3;

let subjCache: { examples: TokenizedExample[]; padTokenId: number } | undefined;

/** SUBJ's train sentences tokenized once per suite run. */
async function subjExamples(): Promise<{ examples: TokenizedExample[]; padTokenId: number }> {
  if (!subjCache) {
    const tokenizer = await AlbertTokenizer.fromDirectory(TOKENIZER_DIR);
    const data = readDataset(SUBJ_TRAIN);
    subjCache = { examples: data.rows.map((row) => ({ ...tokenizer.encode(row.text), label: row.label })), padTokenId: tokenizer.padTokenId };
  }
  return subjCache;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function batchOf(rows: BatchRow[]): FileBatch {
  return { rows, seqLen: Math.max(...rows.map((r) => r.inputIds.length)), tokens: rows.reduce((n, r) => n + r.inputIds.length, 0) };
}

/** `count` batches of `batchSize` of the given shape (seeded: the same on every run). */
export async function makeBatches(shape: Shape, count: number, batchSize: number, seqLen: number, vocabSize: number, seed = 7): Promise<BatchFile> {
  if (shape === 'fixed') {
    const rand = lcg(seed);
    const batches = Array.from({ length: count }, () => batchOf(Array.from({ length: batchSize }, () => ({
      inputIds: Array.from({ length: seqLen }, (_, t) => (t === 0 ? CLS : t === seqLen - 1 ? SEP : 5 + Math.floor(rand() * (vocabSize - 5)))),
      tokenTypeIds: new Array<number>(seqLen).fill(0),
      label: rand() < 0.5 ? 0 : 1,
    }))));
    return { shape, padTokenId: 0, batchSize, batches };
  }
  const { examples, padTokenId } = await subjExamples();
  const batches: FileBatch[] = [];
  // Draws without replacement, one shuffled pass after another when more are needed.
  for (let pass = 0; batches.length < count; pass++) {
    const order = epochOrder(examples.length, seed, pass, true);
    for (let i = 0; i + batchSize <= order.length && batches.length < count; i += batchSize) {
      batches.push(batchOf(order.slice(i, i + batchSize).map((k) => ({
        inputIds: Array.from(examples[k].inputIds), tokenTypeIds: Array.from(examples[k].tokenTypeIds), label: examples[k].label,
      }))));
    }
  }
  return { shape, padTokenId, batchSize, batches };
}

export function writeBatchFile(file: string, batches: BatchFile): void {
  fs.writeFileSync(file, JSON.stringify(batches));
}

/** Mean padded length and mean non-padding tokens of batches[from...]. */
export function batchStats(file: BatchFile, from: number): { meanSeqLen: number; meanTokens: number } {
  const timed = file.batches.slice(from);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { meanSeqLen: mean(timed.map((b) => b.seqLen)), meanTokens: mean(timed.map((b) => b.tokens)) };
}
