// One list of error codes: native/common/error.h's ALBERT_ERROR_CODES is the source; the addon
// exports it as errorCodes; ts/errors.ts's NATIVE_ERROR_CODES (from which the ErrorCode type is
// derived) must equal it. A code added on one side only fails here.
import * as fs from 'fs';
import * as path from 'path';
import { NATIVE_ERROR_CODES, TS_ONLY_ERROR_CODES, isErrorCode } from '../../ts/errors';
import { native } from '../../ts/native';

const NATIVE_DIR = path.resolve(__dirname, '..', '..', 'native');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return /\.(h|cpp|cu|cuh)$/.test(entry.name) ? [full] : [];
  });
}

test('the addon\'s codes are ts/errors.ts\'s NATIVE_ERROR_CODES, in order', () => {
  expect(native().errorCodes).toEqual([...NATIVE_ERROR_CODES]);
});

test('the TS-only codes are not native ones, and isErrorCode knows exactly both lists', () => {
  for (const code of TS_ONLY_ERROR_CODES) expect(native().errorCodes).not.toContain(code);
  for (const code of [...NATIVE_ERROR_CODES, ...TS_ONLY_ERROR_CODES]) expect(isErrorCode(code)).toBe(true);
  for (const code of ['ERR_NOPE', 'err_io', '', undefined, 42]) expect(isErrorCode(code)).toBe(false);
});

test('no native source spells a code outside the list (fail() takes a constant from it)', () => {
  const files = sources(NATIVE_DIR);
  expect(files.length).toBeGreaterThan(50);
  const spelled = files.flatMap((file) =>
    [...fs.readFileSync(file, 'utf8').matchAll(/"ERR_[A-Z_]+"/g)].map((m) => `${path.relative(NATIVE_DIR, file)}: ${m[0]}`));
  const listed = NATIVE_ERROR_CODES.map((code) => `common/error.h: "${code}"`);
  expect(spelled.sort()).toEqual(listed.sort());
});
