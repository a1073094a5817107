// A small safetensors reader/writer, so that tests can craft weight files (broken ones too) byte
// by byte, and a model folder (config.json + model.safetensors) from a model or from raw bytes.
import * as fs from 'fs';
import * as path from 'path';
import type { AlbertForSequenceClassification } from '../../ts/model/albert';
import { writeAlbertConfig } from '../../ts/model/config';
import { concatBytes } from './bytes';
import { tempDir } from './temp-dirs';

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
