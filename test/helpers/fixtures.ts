// Fixtures for the native tests: tiny configs, deterministic batches, temp folders, and a small
// safetensors reader/writer so broken weight files can be crafted byte by byte (no Python needed).
//
// Dimension names as in the rest of the project: B batch, T sequence, V vocab, E embedding, H hidden.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AlbertTrainerError } from '../../ts/errors';
import { AlbertForSequenceClassification } from '../../ts/model/albert';
import type { Batch } from '../../ts/model/batch';
import { type AlbertConfigOverrides, writeAlbertConfig } from '../../ts/model/config';

// ---- configs and models ------------------------------------------------------------------------

/**
 * A model small enough that a step is a few milliseconds on 2 cores. Dropout is off so that
 * forward/step are deterministic (the default classifier_dropout_prob is 0.1).
 */
export const TINY: AlbertConfigOverrides = {
  vocab_size: 64, // V
  embedding_size: 8, // E
  hidden_size: 16, // H
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 32,
  max_position_embeddings: 32,
  hidden_dropout_prob: 0,
  attention_probs_dropout_prob: 0,
  classifier_dropout_prob: 0,
};

export function tinyConfig(overrides: AlbertConfigOverrides = {}): AlbertConfigOverrides {
  return { ...TINY, ...overrides };
}

export function tinyModel(overrides: AlbertConfigOverrides = {}, seed = 1): AlbertForSequenceClassification {
  return AlbertForSequenceClassification.fromConfig(tinyConfig(overrides), { seed });
}

/** Every parameter's values by name (copies). */
export function snapshot(model: AlbertForSequenceClassification): Map<string, Float32Array> {
  return new Map(model.parameters().map(({ name }) => [name, model.getParameter(name)]));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

export function maxAbs(a: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]));
  return worst;
}

export function sameValues(a: Map<string, Float32Array>, b: Map<string, Float32Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, values] of a) {
    const other = b.get(name);
    if (!other || maxAbsDiff(values, other) !== 0) return false;
  }
  return true;
}

// ---- temp folders --------------------------------------------------------------------------------

const made: string[] = [];

/** A fresh folder under the OS temp dir, removed by removeTempDirs(). */
export function tempDir(label = 'native'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `albert-${label}-`));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  while (made.length > 0) fs.rmSync(made.pop() as string, { recursive: true, force: true });
}

// ---- batches -------------------------------------------------------------------------------------

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BatchOptions {
  batchSize?: number; // B
  seqLen?: number; // T
  vocabSize?: number; // ids drawn from [1, V)
  numLabels?: number;
  labels?: boolean;
  /** Padding at the end of each row i: min(i, padTail) positions masked (row 0 never padded). */
  padTail?: number;
  seed?: number;
}

/** Random ids (no pad id 0), full mask except optional tail padding, tokenTypeIds 0/1 halves. */
export function randomBatch(options: BatchOptions = {}): Batch {
  const { batchSize: B = 2, seqLen: T = 8, vocabSize: V = 64, numLabels = 2, labels = true, padTail = 0, seed = 7 } = options;
  const next = rng(seed);
  const inputIds = new Int32Array(B * T); // (B, T)
  const attentionMask = new Int32Array(B * T).fill(1); // (B, T)
  const tokenTypeIds = new Int32Array(B * T); // (B, T)
  for (let b = 0; b < B; b++) {
    const pad = Math.min(b, padTail);
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      inputIds[i] = 1 + Math.floor(next() * (V - 1));
      tokenTypeIds[i] = t < T / 2 ? 0 : 1;
      if (t >= T - pad) {
        attentionMask[i] = 0;
        inputIds[i] = 0;
      }
    }
  }
  const batch: Batch = { inputIds, attentionMask, tokenTypeIds, batchSize: B, seqLen: T };
  if (labels) batch.labels = Int32Array.from({ length: B }, () => Math.floor(next() * numLabels));
  return batch;
}

/**
 * A learnable toy task: label 1 when token 5 appears in the row, else 0. Half the rows get a 5
 * at a random position; ids otherwise from [6, V).
 */
export function toyBatch(options: { batchSize?: number; seqLen?: number; vocabSize?: number; seed?: number } = {}): Batch {
  const { batchSize: B = 16, seqLen: T = 8, vocabSize: V = 64, seed = 3 } = options;
  const next = rng(seed);
  const inputIds = new Int32Array(B * T);
  const labels = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) inputIds[b * T + t] = 6 + Math.floor(next() * (V - 6));
    if (b % 2 === 0) {
      inputIds[b * T + Math.floor(next() * T)] = 5;
      labels[b] = 1;
    }
  }
  return { inputIds, attentionMask: new Int32Array(B * T).fill(1), labels, batchSize: B, seqLen: T };
}

// ---- errors --------------------------------------------------------------------------------------

/** What a failed call gives: an Error with a `code` (ts/errors.ts). */
export type CodedError = Error & { code: string };

function isCodedError(error: unknown): error is CodedError {
  // Not `instanceof Error`: under jest the addon's errors come from another realm (see
  // lifecycle.test.ts, which asserts that they reach the caller as AlbertTrainerError).
  return typeof error === 'object' && error !== null && typeof (error as Error).message === 'string' && typeof (error as CodedError).code === 'string';
}

/**
 * The error `run` throws or rejects with, checked to carry a `code`. Whether it is an
 * AlbertTrainerError is asserted separately (expectWrapped), so one wrapping bug does not mask
 * every code and message check.
 */
export async function caught(run: () => unknown): Promise<CodedError> {
  let error: unknown;
  let threw = false;
  try {
    await run();
  } catch (e) {
    error = e;
    threw = true;
  }
  if (!threw) throw new Error('expected an error, but the call succeeded');
  if (!isCodedError(error)) throw new Error(`expected an error with a code, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  return error;
}

/** Asserts `run` fails with `code` and a message equal to `message` (string) or matching it (RegExp). */
export async function expectError(run: () => unknown, code: string, message: string | RegExp): Promise<CodedError> {
  const error = await caught(run);
  expect({ code: error.code, message: error.message }).toEqual({
    code,
    message: typeof message === 'string' ? message : expect.stringMatching(message),
  });
  return error;
}

/** The same, for a call that must throw synchronously (before any promise or native work). */
export function expectThrowSync(run: () => unknown, code: string, message: string | RegExp): CodedError {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  if (!isCodedError(error)) throw new Error(`expected a synchronous error with a code, got ${String(error)}`);
  expect({ code: error.code, message: error.message }).toEqual({
    code,
    message: typeof message === 'string' ? message : expect.stringMatching(message),
  });
  return error;
}

/** The public contract: every error is an AlbertTrainerError whose stack points at `testFile`. */
export function expectWrapped(error: CodedError, testFile: string): void {
  expect({ isAlbertTrainerError: error instanceof AlbertTrainerError, name: error.name, stackHasCaller: String(error.stack).includes(testFile) }).toEqual({
    isAlbertTrainerError: true,
    name: 'AlbertTrainerError',
    stackHasCaller: true,
  });
}

/** Escapes text for use inside a RegExp. */
export function re(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---- safetensors ---------------------------------------------------------------------------------

export type Dtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const ITEMSIZE: Record<Dtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** One tensor: its raw little-endian bytes. */
export interface TensorEntry {
  name: string;
  dtype: Dtype;
  shape: number[];
  data: Uint8Array;
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

export function f32Entry(name: string, shape: number[], values: Float32Array): TensorEntry {
  return { name, dtype: 'F32', shape, data: bytesOf(values) };
}

export function i64Entry(name: string, shape: number[], values: number[]): TensorEntry {
  return { name, dtype: 'I64', shape, data: bytesOf(BigInt64Array.from(values, (v) => BigInt(v))) };
}

export function i32Entry(name: string, shape: number[], values: ArrayLike<number>): TensorEntry {
  return { name, dtype: 'I32', shape, data: bytesOf(Int32Array.from(values)) };
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A file's bytes as a plain Uint8Array. */
export function readBytes(file: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(file));
}

/** 8 bytes: `value` as a little-endian u64 (the header-length prefix). */
export function u64le(value: number | bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value), true);
  return out;
}

/** The bytes of a file with exactly this header text (or object, serialized) and data section. */
export function rawSafetensors(header: string | object, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const text = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  return concatBytes([u64le(text.length), text, data]);
}

/** The header object a correct writer produces for `entries`, offsets packed in order. */
export function headerFor(entries: TensorEntry[], metadata?: Record<string, string>): Record<string, unknown> {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const entry of entries) {
    header[entry.name] = { dtype: entry.dtype, shape: entry.shape, data_offsets: [offset, offset + entry.data.length] };
    offset += entry.data.length;
  }
  return header;
}

/** A valid safetensors file of `entries` (offsets packed in order). */
export function encodeSafetensors(entries: TensorEntry[], metadata?: Record<string, string>): Uint8Array {
  return rawSafetensors(headerFor(entries, metadata), concatBytes(entries.map((e) => e.data)));
}

/** Parses a (valid) safetensors file into entries in header order, plus the metadata. */
export function decodeSafetensors(bytes: Uint8Array): { entries: TensorEntry[]; metadata: Record<string, string> } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as Record<string, unknown>;
  const start = 8 + length;
  const entries: TensorEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = value as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: [begin, end] } = value as { dtype: Dtype; shape: number[]; data_offsets: [number, number] };
    entries.push({ name, dtype, shape, data: bytes.slice(start + begin, start + end) });
  }
  return { entries, metadata };
}

/** The values of an F32 entry. */
export function f32Values(entry: TensorEntry): Float32Array {
  if (entry.dtype !== 'F32') throw new Error(`${entry.name} is ${entry.dtype}`);
  return new Float32Array(entry.data.slice().buffer);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** fp32 -> IEEE half bits, round to nearest even (finite inputs within fp16 range). */
export function toF16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow -> inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow -> 0
    const m = mant | 0x800000; // subnormal: shift the implicit 1 in
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let out = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    if (rest > half || (rest === half && out & 1)) out++;
    return sign | out;
  }
  let out = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && out & 1)) out++; // may carry into the exponent: still right
  return sign | out;
}

export function fromF16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** fp32 -> bfloat16 bits, round to nearest even. */
export function toBf16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

export function fromBf16Bits(h: number): number {
  u32[0] = (h << 16) >>> 0;
  return f32[0];
}

/** An F32 entry re-encoded as F16 or BF16; also returns the values those bits decode to. */
export function halfEntry(entry: TensorEntry, dtype: 'F16' | 'BF16'): { entry: TensorEntry; decoded: Float32Array } {
  const values = f32Values(entry);
  const bits = Uint16Array.from(values, (v) => (dtype === 'F16' ? toF16Bits(v) : toBf16Bits(v)));
  const decoded = Float32Array.from(bits, (h) => (dtype === 'F16' ? fromF16Bits(h) : fromBf16Bits(h)));
  return { entry: { name: entry.name, dtype, shape: entry.shape, data: bytesOf(bits) }, decoded };
}

/** The model's parameters as F32 entries, in the model's order. */
export function modelEntries(model: AlbertForSequenceClassification): TensorEntry[] {
  return model.parameters().map(({ name, shape }) => f32Entry(name, shape, model.getParameter(name)));
}

/**
 * A folder with the model's config.json and a model.safetensors holding `weights`: bytes
 * written as is, or entries encoded validly (default: the model's own weights).
 */
export async function writeModelDir(
  model: AlbertForSequenceClassification,
  weights: Uint8Array | TensorEntry[] = modelEntries(model),
  label = 'model',
): Promise<{ dir: string; file: string }> {
  const dir = tempDir(label);
  await writeAlbertConfig(dir, model.config);
  const file = path.join(dir, 'model.safetensors');
  fs.writeFileSync(file, weights instanceof Uint8Array ? weights : encodeSafetensors(weights));
  return { dir, file };
}
