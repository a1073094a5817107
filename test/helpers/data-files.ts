// Data files made on the fly for the reader tests (ts/data/dataset.ts): a temp folder per test file,
// files with raw bytes or JSON Lines rows, and the reader's synchronous error assertion.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AlbertTrainerError, type ErrorCode } from '../../ts/errors';
import { concatBytes } from './bytes';
import { expectThrowSync } from './expect-error';

/** A temp folder made before this file's tests and removed after them; `write` puts a fresh `f<N><ext>` in it. */
export function dataFileFolder(prefix: string): { dir: () => string; write: (ext: string, contents: string | Uint8Array) => string } {
  let dir = '';
  let counter = 0;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir: () => dir,
    write(ext, contents) {
      const file = path.join(dir, `f${counter++}${ext}`);
      fs.writeFileSync(file, contents);
      return file;
    },
  };
}

/** UTF-8 of the strings and the raw bytes of the number arrays, concatenated. */
export function bytesOf(...parts: (string | number[])[]): Uint8Array {
  return concatBytes(parts.map((part) => (typeof part === 'string' ? new TextEncoder().encode(part) : Uint8Array.from(part))));
}

/** JSON Lines: objects are stringified, strings written as they are (a bad row), one per line. */
export function jsonl(...rows: unknown[]): string {
  return rows.map((row) => (typeof row === 'string' ? row : JSON.stringify(row))).join('\n') + '\n';
}

/** Asserts a synchronous AlbertTrainerError with exactly this code and message. */
export function expectError(run: () => unknown, code: ErrorCode, message: string): void {
  expect(expectThrowSync(run, code, message)).toBeInstanceOf(AlbertTrainerError);
}
