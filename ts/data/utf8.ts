// Bytes -> text for the dataset readers: strict UTF-8 (a leading BOM skipped), and for bytes
// that are not UTF-8 one error naming the file, the line and the byte offset (and saying when
// the file looks like UTF-16).
import { AlbertTrainerError } from '../errors';

export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    // Strips a leading BOM (ignoreBOM: false).
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    const at = firstInvalidUtf8(bytes);
    // not an encoding error: a file too large for one string
    if (at < 0) throw new AlbertTrainerError('ERR_IO', `${file}: cannot decode ${bytes.length} bytes: ${(e as Error).message}`);
    let line = 1;
    for (let i = 0; i < at; i++) {
      if (bytes[i] === 0x0a || (bytes[i] === 0x0d && bytes[i + 1] !== 0x0a)) line++;
    }
    const utf16 = bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
    const hex = bytes[at].toString(16).padStart(2, '0');
    throw new AlbertTrainerError(
      'ERR_INPUT',
      `${file}:${line}: not valid UTF-8: byte 0x${hex} at byte offset ${at} of the file` +
        (utf16 ? ' (the file looks like UTF-16); save it as UTF-8' : '; save the file as UTF-8'),
    );
  }
}

/** Offset of the first byte that starts an ill-formed UTF-8 sequence (Unicode 15, table 3-7), or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b === 0xe0) (need = 2), (lo = 0xa0);
    else if (b === 0xed) (need = 2), (hi = 0x9f);
    else if (b >= 0xe1 && b <= 0xef) need = 2;
    else if (b === 0xf0) (need = 3), (lo = 0x90);
    else if (b >= 0xf1 && b <= 0xf3) need = 3;
    else if (b === 0xf4) (need = 3), (hi = 0x8f);
    else return i;
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return i;
      const c = bytes[i + k];
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}
