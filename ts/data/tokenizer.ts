// ALBERT tokenization for the data pipeline: `[CLS] a [SEP]` and `[CLS] a [SEP] b [SEP]`,
// truncated to a maximum length exactly as HF transformers' `AlbertTokenizerFast(...,
// truncation=True, max_length=N)` does (checked on all 10,000 SUBJ sentences and on pairs by
// test/data/tokenizer-hf.test.ts).
//
// Design: `@huggingface/tokenizers` (pure JS) runs the folder's tokenizer.json (normalizer,
// pre-tokenizer, Unigram model) on each text WITHOUT special tokens; truncation, the special
// tokens and the token type ids are ours. The library has no truncation, and its own pair path
// drops an empty second text, so we never hand it a pair.
//
// Truncation is what transformers 5 runs, Rust `tokenizers` 0.23 (measured, not just read):
//   1. Each segment is first cut to whole words (pre-tokens): the first words whose tokens reach
//      maxLength (the last ones for truncation_side 'left'); see `preTruncatedLength`.
//   2. 'longest_first' splits the room left by the special tokens using the lengths of step 1,
//      not the full lengths; see `longestFirstLengths`.
//   3. Each segment keeps its first (or last) tokens up to its share.
// Step 1 changes no segment's share except when both are cut to half an odd room: it decides
// which one gets the odd token.
// Dimensions: T = tokens in one encoded input; W = words (pre-tokens) of one text.
import { existsSync, promises as fsp } from 'fs';
import * as path from 'path';
import { Tokenizer } from '@huggingface/tokenizers';
import { AlbertTrainerError, describe, invalidArgument } from '../errors';

/** The max length HF examples and our CLI use when none is given. */
export const DEFAULT_MAX_LENGTH = 128;

/** One encoded input, no padding (attention mask is all ones). */
export interface EncodedInput {
  /** (T) `[CLS] a [SEP]` or `[CLS] a [SEP] b [SEP]`, T <= maxLength */
  inputIds: number[];
  /** (T) 0 for [CLS], a and its [SEP]; 1 for b and its [SEP] */
  tokenTypeIds: number[];
}

/** Which end truncation cuts: tokenizer_config.json `truncation_side` (HF default 'right'). */
export type TruncationSide = 'right' | 'left';

// Special tokens each layout adds: [CLS] a [SEP] / [CLS] a [SEP] b [SEP].
const SPECIAL_SINGLE = 2;
const SPECIAL_PAIR = 3;

// tokenizer_config.json keys that @huggingface/tokenizers reads as preprocessing of its own
// (transformers.js conventions). HF's fast tokenizer never applies them (tokenizer.json alone
// defines the pipeline), so they are not passed on.
const JS_ONLY_CONFIG_KEYS = ['remove_space', 'do_lowercase_and_remove_accent'];

/**
 * How many tokens of each segment `longest_first` keeps when `budget` tokens (max length minus
 * the special tokens) are left for both: the rule of Rust `tokenizers`
 * (tokenizers/src/utils/truncation.rs), which transformers' fast tokenizers run. The lengths
 * it is given are those of `preTruncatedLength`, not the full ones.
 *   1. Both fit: keep both.
 *   2. The shorter fits in at least half of the budget: keep it whole, cut the longer to the rest.
 *   3. Otherwise the shorter keeps floor(budget / 2) and the longer ceil(budget / 2); with equal
 *      lengths the second segment counts as the longer one.
 * Note 3: transformers' slow (Python) tokenizers remove one token at a time from the longer
 * segment and, on a tie, from the second, so an odd budget gives the extra token to the FIRST
 * segment there ((4, 4) in 7 -> (4, 3)); Rust gives it to the longer, or to the second on a tie
 * ((4, 4) in 7 -> (3, 4)). We match Rust, i.e. AlbertTokenizerFast.
 */
export function longestFirstLengths(lengthA: number, lengthB: number, budget: number): [number, number] {
  if (lengthA + lengthB <= budget) return [lengthA, lengthB];
  const swap = lengthA > lengthB;
  let short = Math.min(lengthA, lengthB); // n1 in truncation.rs
  let long = short > budget ? short : Math.max(short, budget - short); // n2
  if (short + long > budget) {
    short = Math.floor(budget / 2);
    long = short + (budget % 2);
  }
  return swap ? [long, short] : [short, long];
}

/**
 * Tokens in the first whole words of a text whose tokens reach `limit` (all tokens when the text
 * has fewer), counting from the end for truncation_side 'left'. Rust `tokenizers` 0.23 stops
 * tokenizing a segment there when truncation is on, so 'longest_first' compares these lengths.
 * With limit 8, a text of 17 tokens whose words have 1, 3, 1, 1, 1, 2, ... tokens counts as 9,
 * and one of 28 tokens whose words have 1, 1, 1, 2, 3, ... counts as 8: the shorter text wins
 * as the longer one. Measured on transformers 5.18 / tokenizers 0.23.2 (no mismatch over
 * 13,000 pairs x 9 max lengths x both sides).
 */
export function preTruncatedLength(wordSizes: readonly number[], limit: number, side: TruncationSide = 'right'): number {
  let total = 0;
  for (let k = 0; k < wordSizes.length; k++) {
    total += wordSizes[side === 'right' ? k : wordSizes.length - 1 - k];
    if (total >= limit) return total;
  }
  return total;
}

/** The first `n` (right) or last `n` (left) ids. */
function keep(ids: number[], n: number, side: TruncationSide): number[] {
  if (ids.length <= n) return ids;
  return side === 'right' ? ids.slice(0, n) : ids.slice(ids.length - n);
}

/**
 * No tokenizer.json: say what is missing and how to supply it. A folder with only the slow
 * tokenizer's spiece.model is named as such: HF builds the fast tokenizer from it with Python's
 * sentencepiece and protobuf, which this package does not do.
 */
function missingTokenizer(dir: string, tokenizerFile: string): AlbertTrainerError {
  const spiece = existsSync(path.join(dir, 'spiece.model'));
  return new AlbertTrainerError('ERR_IO', `${tokenizerFile}: no such file; ${dir} has no fast tokenizer` +
    (spiece ? ', only the sentencepiece model spiece.model, which is not read here: convert it once with HF ' +
      '(AlbertTokenizerFast.from_pretrained(dir).save_pretrained(dir) writes tokenizer.json)'
      : '') + '. Pass --tokenizer with a folder that has tokenizer.json (an albert-*-v2 tokenizer for the ALBERT v2 checkpoints), ' +
    'or save the model with its tokenizer (savePretrained(dir, { tokenizer }))');
}

async function readJson(file: string, required: boolean): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (!required && e.code === 'ENOENT') return undefined;
    throw new AlbertTrainerError('ERR_IO', `Cannot read ${file}: ${e.message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new AlbertTrainerError('ERR_CONFIG', `${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AlbertTrainerError('ERR_CONFIG', `${file} must hold a JSON object but holds ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

/** A special token's name in tokenizer_config.json: a string or an AddedToken `{content}`. */
function specialTokenName(config: Record<string, unknown>, key: string, fallback: string, file: string): string {
  const value = config[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  throw new AlbertTrainerError('ERR_CONFIG', `${file}: ${key} must be a string or {"content": string} but is ${describe(value)}`);
}

/**
 * The Metaspace replacement (`▁`) that opens every word's first token, from tokenizer.json's
 * pre_tokenizer (alone or in a Sequence). Word boundaries are read off the tokens with it, so a
 * tokenizer that does not prepend it to every word is refused.
 */
function wordMarker(tokenizerJson: Record<string, unknown>, file: string): string {
  const find = (node: unknown): Record<string, unknown> | undefined => {
    if (node === null || typeof node !== 'object') return undefined;
    const n = node as Record<string, unknown>;
    if (n.type === 'Metaspace') return n;
    if (n.type === 'Sequence' && Array.isArray(n.pretokenizers)) {
      for (const child of n.pretokenizers) {
        const found = find(child);
        if (found) return found;
      }
    }
    return undefined;
  };
  const meta = find(tokenizerJson.pre_tokenizer);
  const prepends = meta !== undefined && (meta.prepend_scheme === undefined ? meta.add_prefix_space !== false : meta.prepend_scheme === 'always');
  if (meta === undefined || typeof meta.replacement !== 'string' || meta.replacement.length === 0 || !prepends) {
    throw new AlbertTrainerError(
      'ERR_CONFIG',
      `${file}: expected a SentencePiece-style pre_tokenizer (Metaspace with a replacement prepended to every word, as ALBERT's) but found ${JSON.stringify(tokenizerJson.pre_tokenizer)}`,
    );
  }
  return meta.replacement;
}

function checkText(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw invalidArgument('string', name, value);
}

function checkMaxLength(maxLength: unknown, pair: boolean): asserts maxLength is number {
  const min = (pair ? SPECIAL_PAIR : SPECIAL_SINGLE) + 1;
  if (typeof maxLength !== 'number' || !Number.isSafeInteger(maxLength) || maxLength < min) {
    const layout = pair ? '[CLS] a [SEP] b [SEP]' : '[CLS] a [SEP]';
    throw new AlbertTrainerError(
      'ERR_ARGUMENT',
      `Expected integer >= ${min} for maxLength but received ${describe(maxLength)}: ` +
        `${layout} needs room for its ${min - 1} special tokens and at least one token of text`,
    );
  }
}

/** The files of an HF ALBERT tokenizer folder, as save_pretrained writes them; tokenizer.json is the one read. */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'spiece.model', 'special_tokens_map.json'];

export class AlbertTokenizer {
  /** Id of `[CLS]` (cls_token), first token of every input. */
  readonly clsTokenId: number;
  /** Id of `[SEP]` (sep_token), closing each segment. */
  readonly sepTokenId: number;
  /** Id of `<pad>` (pad_token), for whoever pads batches. */
  readonly padTokenId: number;
  /** Vocabulary size including added tokens (HF's `len(tokenizer)`). */
  readonly vocabSize: number;
  /** tokenizer_config.json `model_max_length`, when it gives one. Not enforced here. */
  readonly modelMaxLength: number | undefined;
  readonly truncationSide: TruncationSide;
  private readonly tokenizer: Tokenizer;
  /** Opens the first token of every word (Metaspace replacement, `▁`). */
  private readonly marker: string;
  /** Ids of tokenizer.json's added tokens except the model's unk: each is a word of its own. */
  private readonly addedIds: ReadonlySet<number>;
  /** The folder's TOKENIZER_FILES as read (by name), for save(). */
  private files = new Map<string, Uint8Array>();

  private constructor(
    tokenizer: Tokenizer,
    words: { marker: string; addedIds: ReadonlySet<number> },
    ids: { cls: number; sep: number; pad: number },
    vocabSize: number,
    modelMaxLength: number | undefined,
    truncationSide: TruncationSide,
  ) {
    this.tokenizer = tokenizer;
    this.marker = words.marker;
    this.addedIds = words.addedIds;
    this.clsTokenId = ids.cls;
    this.sepTokenId = ids.sep;
    this.padTokenId = ids.pad;
    this.vocabSize = vocabSize;
    this.modelMaxLength = modelMaxLength;
    this.truncationSide = truncationSide;
  }

  /**
   * Loads an HF model or tokenizer folder: `tokenizer.json` (required) and
   * `tokenizer_config.json` (optional, as for HF's from_pretrained: special token names,
   * `truncation_side`, `model_max_length`). Throws AlbertTrainerError: ERR_IO for a file that
   * cannot be read, ERR_CONFIG for one that is malformed; both name the file.
   */
  static async fromDirectory(dir: string): Promise<AlbertTokenizer> {
    if (typeof dir !== 'string' || dir.length === 0) throw invalidArgument('non-empty string', 'dir', dir);
    const tokenizerFile = path.join(dir, 'tokenizer.json');
    const configFile = path.join(dir, 'tokenizer_config.json');
    if (!existsSync(tokenizerFile)) throw missingTokenizer(dir, tokenizerFile);
    const tokenizerJson = (await readJson(tokenizerFile, true))!;
    const config = (await readJson(configFile, false)) ?? {};

    const libraryConfig: Record<string, unknown> = { ...config };
    for (const key of JS_ONLY_CONFIG_KEYS) delete libraryConfig[key];
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(tokenizerJson, libraryConfig);
    } catch (err) {
      throw new AlbertTrainerError('ERR_CONFIG', `${tokenizerFile} is not a tokenizer @huggingface/tokenizers can load: ${(err as Error).message}`);
    }
    const marker = wordMarker(tokenizerJson, tokenizerFile);

    const idOf = (key: string, fallback: string): number => {
      const name = specialTokenName(config, key, fallback, configFile);
      const id = tokenizer.token_to_id(name);
      if (id === undefined) {
        throw new AlbertTrainerError('ERR_CONFIG', `${tokenizerFile} has no token ${JSON.stringify(name)} (the ${key})`);
      }
      return id;
    };
    // ALBERT's defaults, as transformers' AlbertTokenizer has them.
    const ids = { cls: idOf('cls_token', '[CLS]'), sep: idOf('sep_token', '[SEP]'), pad: idOf('pad_token', '<pad>') };

    const side = config.truncation_side ?? 'right';
    if (side !== 'right' && side !== 'left') {
      throw new AlbertTrainerError('ERR_CONFIG', `${configFile}: truncation_side must be "right" or "left" but is ${describe(side)}`);
    }
    const maxLen = config.model_max_length;
    if (maxLen !== undefined && maxLen !== null && (typeof maxLen !== 'number' || !(maxLen > 0))) {
      throw new AlbertTrainerError('ERR_CONFIG', `${configFile}: model_max_length must be a positive number but is ${describe(maxLen)}`);
    }
    // HF writes a huge sentinel (int(1e30)) when a model has no limit.
    const modelMaxLength = typeof maxLen === 'number' && Number.isSafeInteger(maxLen) ? maxLen : undefined;
    // A literal "[SEP]" in a text is its own word. The model's unk is not: it stands for unknown
    // characters inside a word (a literal "<unk>" in a text is therefore mis-grouped; the only
    // effect is on which segment wins a longest_first tie, see preTruncatedLength).
    const unkId = (tokenizerJson.model as { unk_id?: unknown } | undefined)?.unk_id;
    const addedIds = new Set<number>();
    for (const t of (Array.isArray(tokenizerJson.added_tokens) ? tokenizerJson.added_tokens : []) as { id?: unknown }[]) {
      if (typeof t?.id === 'number' && t.id !== unkId) addedIds.add(t.id);
    }
    const loaded = new AlbertTokenizer(tokenizer, { marker, addedIds }, ids, tokenizer.get_vocab(true).size, modelMaxLength, side);
    for (const name of TOKENIZER_FILES) {
      const bytes = await fsp.readFile(path.join(dir, name)).catch(() => undefined);
      if (bytes) loaded.files.set(name, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
    }
    return loaded;
  }

  /** Writes the tokenizer files it was loaded from into `dir` (an existing folder), as HF's save_pretrained does. */
  async save(dir: string): Promise<void> {
    for (const [name, bytes] of this.files) {
      try {
        await fsp.writeFile(path.join(dir, name), bytes);
      } catch (error) {
        throw new AlbertTrainerError('ERR_IO', `${path.join(dir, name)}: cannot write the tokenizer: ${(error as Error).message}`);
      }
    }
  }

  /**
   * `[CLS] text [SEP]`, or `[CLS] text [SEP] pair [SEP]` when `pair` is given (an empty `pair`
   * still gives its `[SEP]`, as HF's batch call `tok([a], text_pair=[''])` does; its one-text call
   * `tok(a, text_pair='')` drops the pair instead), truncated to `maxLength` tokens with the
   * special tokens kept ('longest_first' for pairs; see `longestFirstLengths`). Throws
   * ERR_ARGUMENT for a non-string text or pair, or a maxLength that leaves no room for text
   * (< 3 single, < 4 pair).
   */
  encode(text: string, pair?: string, maxLength: number = DEFAULT_MAX_LENGTH): EncodedInput {
    checkText(text, 'text');
    if (pair !== undefined) checkText(pair, 'pair');
    checkMaxLength(maxLength, pair !== undefined);
    return this.encodeChecked(text, pair, maxLength);
  }

  /** `encode` for each `texts[i]` (with `pairs[i]` when pairs are given). */
  encodeBatch(texts: readonly string[], pairs?: readonly string[], maxLength: number = DEFAULT_MAX_LENGTH): EncodedInput[] {
    if (!Array.isArray(texts)) throw invalidArgument('array of strings', 'texts', texts);
    texts.forEach((t, i) => checkText(t, `texts[${i}]`));
    if (pairs !== undefined) {
      if (!Array.isArray(pairs)) throw invalidArgument('array of strings', 'pairs', pairs);
      if (pairs.length !== texts.length) {
        throw new AlbertTrainerError('ERR_ARGUMENT', `pairs has ${pairs.length} elements but texts has ${texts.length}`);
      }
      pairs.forEach((p, i) => checkText(p, `pairs[${i}]`));
    }
    checkMaxLength(maxLength, pairs !== undefined);
    return texts.map((text, i) => this.encodeChecked(text, pairs?.[i], maxLength));
  }

  /** Ids of `text` alone (no special tokens, no truncation) and (W) the token count of each word. */
  private pieces(text: string): { ids: number[]; wordSizes: number[] } {
    const { ids, tokens } = this.tokenizer.encode(text, { add_special_tokens: false });
    const wordSizes: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const opens =
        i === 0 || tokens[i].startsWith(this.marker) || this.addedIds.has(ids[i]) || this.addedIds.has(ids[i - 1]);
      if (opens) wordSizes.push(1);
      else wordSizes[wordSizes.length - 1]++;
    }
    return { ids, wordSizes };
  }

  private encodeChecked(text: string, pair: string | undefined, maxLength: number): EncodedInput {
    const side = this.truncationSide;
    if (pair === undefined) {
      const ids = this.tokenizer.encode(text, { add_special_tokens: false }).ids;
      const kept = keep(ids, maxLength - SPECIAL_SINGLE, side);
      return { inputIds: [this.clsTokenId, ...kept, this.sepTokenId], tokenTypeIds: new Array(kept.length + 2).fill(0) };
    }
    const { ids: a, wordSizes: wordsA } = this.pieces(text);
    const { ids: b, wordSizes: wordsB } = this.pieces(pair);
    const [nA, nB] = longestFirstLengths(
      preTruncatedLength(wordsA, maxLength, side),
      preTruncatedLength(wordsB, maxLength, side),
      maxLength - SPECIAL_PAIR,
    );
    const keptA = keep(a, nA, side);
    const keptB = keep(b, nB, side);
    const inputIds = [this.clsTokenId, ...keptA, this.sepTokenId, ...keptB, this.sepTokenId];
    const tokenTypeIds = new Array<number>(inputIds.length).fill(0, 0, keptA.length + 2).fill(1, keptA.length + 2);
    return { inputIds, tokenTypeIds };
  }
}
