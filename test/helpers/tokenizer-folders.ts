// Tokenizer folders made on the fly for the tokenizer tests: the shared ALBERT v2 tokenizer.json (or
// another text) and an optional tokenizer_config.json, in one temp root per test file.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SHARED_DATA } from './paths';

export const TOKENIZER_DIR = path.join(SHARED_DATA, 'albert-v2-tokenizer');

/** A temp root (remove it with `remove`) and `make`, which puts a tokenizer folder named `name` in it. */
export function tokenizerFolders(): {
  root: string;
  make: (name: string, opts?: { tokenizerJson?: string; config?: string }) => string;
  remove: () => void;
} {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-tokenizer-test-'));
  return {
    root,
    make(name, opts = {}) {
      const dir = path.join(root, name);
      fs.mkdirSync(dir);
      if (opts.tokenizerJson === undefined) fs.copyFileSync(path.join(TOKENIZER_DIR, 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
      else fs.writeFileSync(path.join(dir, 'tokenizer.json'), opts.tokenizerJson);
      if (opts.config !== undefined) fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), opts.config);
      return dir;
    },
    remove: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
