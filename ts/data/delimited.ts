// Splitting CSV / TSV text into records (RFC 4180): a field that starts with `"` is quoted and
// may hold the delimiter, line breaks and `""` for one quote, and must be followed by the
// delimiter or the end of the record; a `"` inside an unquoted field is kept as text (as Python's
// csv and pandas do). Line breaks: \r\n, \n or \r. What the records mean (header, columns,
// labels) is ts/data/dataset.ts's business.
import { AlbertTrainerError } from '../errors';

export interface DelimitedRecord {
  line: number;
  fields: string[];
  /** An empty line: one unquoted empty field. */
  blank: boolean;
}

/** The records of `text`; an unterminated quote or text after a closing quote is ERR_INPUT naming `file:line`. */
export function parseDelimited(text: string, delimiter: string, file: string): DelimitedRecord[] {
  const records: DelimitedRecord[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let quotedAny = false;
    for (;;) {
      if (text.charCodeAt(i) === 0x22 /* " */) {
        quotedAny = true;
        const openLine = line;
        let value = '';
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) {
            throw new AlbertTrainerError(
              'ERR_INPUT',
              `${file}:${openLine}: unterminated quote: field ${fields.length + 1} opens a quote that no later " closes`,
            );
          }
          const piece = text.slice(i, q);
          line += countLineBreaks(piece);
          value += piece;
          if (text.charCodeAt(q + 1) === 0x22) {
            value += '"';
            i = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        if (i < n && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') {
          throw new AlbertTrainerError(
            'ERR_INPUT',
            `${file}:${line}: ${JSON.stringify(text[i])} after the closing quote of field ${fields.length + 1}; ` +
              'a quoted field ends at its closing quote, and a quote inside it is written ""',
          );
        }
        fields.push(value);
      } else {
        let j = i;
        while (j < n) {
          const c = text[j];
          if (c === delimiter || c === '\n' || c === '\r') break;
          j++;
        }
        fields.push(text.slice(i, j));
        i = j;
      }
      if (i >= n) break;
      if (text[i] === delimiter) {
        i++;
        continue;
      }
      i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      break;
    }
    records.push({ line: start, fields, blank: !quotedAny && fields.length === 1 && fields[0] === '' });
  }
  return records;
}

function countLineBreaks(s: string): number {
  let count = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0a || (c === 0x0d && s.charCodeAt(i + 1) !== 0x0a)) count++;
  }
  return count;
}
