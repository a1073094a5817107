// Parquet files as HF `datasets` and `pyarrow` write them, read with hyparquet (pure JS, the
// maintained reader made for it; hyparquet-compressors adds gzip, zstd, brotli, lz4 beside its
// own snappy). The file is read through byte ranges (the footer, then one row group's column
// chunks at a time, only the columns asked for), so a large file is never held whole, and each
// row group's values become rows before the next is read.
//
// HF `datasets` stores its features in the schema's key-value metadata under `huggingface`:
// {"info": {"features": {"label": {"_type": "ClassLabel", "names": [...]}, ...}}}. A
// ClassLabel's names are the class names (what run_glue.py makes id2label from).
import * as fs from 'fs';
import type { AsyncBuffer, FileMetaData, SchemaElement } from 'hyparquet';
import { AlbertTrainerError } from '../errors';

type Hyparquet = typeof import('hyparquet') & { compressors: typeof import('hyparquet-compressors')['compressors'] };
let loaded: Promise<Hyparquet> | undefined;

/**
 * hyparquet and its compressors, loaded on the first parquet file. Both are ES modules only:
 * `require` loads them where Node can require an ES module (20.19+, 22.12+; and under jest,
 * which compiles them), else a real dynamic import (Node 18-20.18) does.
 */
function hyparquet(): Promise<Hyparquet> {
  const load = async (name: string): Promise<unknown> => {
    try {
      return require(name) as unknown;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM') throw error;
      // TypeScript compiles import() to require() for CommonJS output; this stays a real import().
      return (new Function('name', 'return import(name)') as (n: string) => Promise<unknown>)(name);
    }
  };
  loaded ??= Promise.all([load('hyparquet'), load('hyparquet-compressors')]).then(([reader, codecs]) => ({
    ...(reader as typeof import('hyparquet')),
    compressors: (codecs as typeof import('hyparquet-compressors')).compressors,
  }));
  return loaded;
}

/** What a column holds, as the column picker and the reader's messages need it. */
export type ColumnKind = 'string' | 'integer' | 'float' | 'boolean' | 'other';

export interface ColumnInfo {
  name: string;
  kind: ColumnKind;
}

export interface ParquetFile {
  file: string;
  columns: ColumnInfo[];
  /** Column -> ClassLabel names, from the `huggingface` schema metadata. */
  classNames: Map<string, string[]>;
  numRows: number;
  /** Rows of `columns`, one row group at a time, as plain objects (int64 as a JS number). */
  rowGroups(columns: string[]): AsyncGenerator<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** The parquet magic: `PAR1` at both ends. */
const MAGIC = 'PAR1';

function kindOf(element: SchemaElement): ColumnKind {
  const logical = (element.logical_type as { type?: string } | undefined)?.type;
  if (element.type === 'BYTE_ARRAY' && (logical === 'STRING' || element.converted_type === 'UTF8' || logical === 'ENUM' || element.converted_type === 'ENUM')) return 'string';
  if (element.type === 'INT32' || element.type === 'INT64') return logical === 'DATE' || logical === 'TIMESTAMP' || logical === 'TIME' ? 'other' : 'integer';
  if (element.type === 'FLOAT' || element.type === 'DOUBLE') return 'float';
  if (element.type === 'BOOLEAN') return 'boolean';
  return 'other';
}

/** The top-level columns (a nested column is 'other'). */
function topColumns(schema: SchemaElement[]): ColumnInfo[] {
  const columns: ColumnInfo[] = [];
  let i = 1;
  const skip = (at: number): number => {
    let next = at + 1;
    for (let c = 0; c < (schema[at].num_children ?? 0); c++) next = skip(next);
    return next;
  };
  while (i < schema.length) {
    const element = schema[i];
    columns.push({ name: element.name, kind: element.num_children ? 'other' : kindOf(element) });
    i = skip(i);
  }
  return columns;
}

function classNamesOf(metadata: FileMetaData, file: string): Map<string, string[]> {
  const names = new Map<string, string[]>();
  const entry = metadata.key_value_metadata?.find((kv) => kv.key === 'huggingface');
  if (!entry?.value) return names;
  let features: unknown;
  try {
    features = (JSON.parse(entry.value) as { info?: { features?: unknown } }).info?.features;
  } catch (e) {
    throw new AlbertTrainerError('ERR_INPUT', `${file}: the "huggingface" schema metadata is not JSON: ${(e as Error).message}`);
  }
  if (features === null || typeof features !== 'object' || Array.isArray(features)) return names;
  for (const [column, feature] of Object.entries(features as Record<string, unknown>)) {
    const f = feature as { _type?: unknown; names?: unknown } | null;
    if (f?._type === 'ClassLabel' && Array.isArray(f.names) && f.names.every((n) => typeof n === 'string')) names.set(column, f.names as string[]);
  }
  return names;
}

/** Opens `file` and reads its footer; errors name the file and what is wrong with it. */
export async function openParquet(file: string): Promise<ParquetFile> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'r');
  } catch (e) {
    throw new AlbertTrainerError('ERR_IO', `${file}: cannot read: ${(e as Error).message}`);
  }
  try {
    const { parquetMetadataAsync, parquetReadObjects, compressors } = await hyparquet();
    const { size } = await handle.stat();
    const read = async (start: number, end = size): Promise<ArrayBuffer> => {
      const length = Math.max(0, Math.min(end, size) - start);
      const buffer = new ArrayBuffer(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(new Uint8Array(buffer, done), 0, length - done, start + done);
        if (bytesRead === 0) throw new AlbertTrainerError('ERR_IO', `${file}: the file shrank while it was read`);
        done += bytesRead;
      }
      return buffer;
    };
    const ends = size >= 12 ? [Buffer.from(await read(0, 4)).toString('latin1'), Buffer.from(await read(size - 4)).toString('latin1')] : ['', ''];
    if (ends[0] !== MAGIC) {
      throw new AlbertTrainerError('ERR_INPUT', `${file}: not a parquet file (it does not start with "PAR1"${size < 12 ? `; it has ${size} bytes` : ''})`);
    }
    if (ends[1] !== MAGIC) {
      throw new AlbertTrainerError('ERR_INPUT', `${file}: a truncated or damaged parquet file (no "PAR1" footer at its end; ${size} bytes); download or write it again`);
    }
    const buffer: AsyncBuffer = { byteLength: size, slice: read };
    let metadata: FileMetaData;
    try {
      metadata = await parquetMetadataAsync(buffer);
    } catch (e) {
      throw new AlbertTrainerError('ERR_INPUT', `${file}: a damaged parquet footer: ${(e as Error).message}`);
    }
    const classNames = classNamesOf(metadata, file);
    const numRows = Number(metadata.num_rows);
    async function* rowGroups(columns: string[]): AsyncGenerator<Record<string, unknown>[]> {
      let rowStart = 0;
      for (const group of metadata.row_groups) {
        const rowEnd = rowStart + Number(group.num_rows);
        let rows: Record<string, unknown>[];
        try {
          rows = await parquetReadObjects({ file: buffer, metadata, columns, rowStart, rowEnd, compressors, utf8: true });
        } catch (e) {
          if (e instanceof AlbertTrainerError) throw e;
          throw new AlbertTrainerError('ERR_INPUT', `${file}: rows ${rowStart + 1}-${rowEnd} cannot be read: ${(e as Error).message}`);
        }
        for (const row of rows) {
          for (const key of columns) if (typeof row[key] === 'bigint') row[key] = Number(row[key]);
        }
        yield rows;
        rowStart = rowEnd;
      }
    }
    return { file, columns: topColumns(metadata.schema), classNames, numRows, rowGroups, close: () => handle.close() };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
