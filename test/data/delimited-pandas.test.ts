// CSV and TSV as pandas reads them (pandas.read_csv, which HF datasets' csv loader calls): the
// files of the reader tests in test/data/dataset-formats.test.ts and dataset-errors.test.ts, read by our reader and by pandas, give
// the same columns, the same cells and the same labels (pandas' number inference: 1.0 and +2
// are the ids 1 and 2). The reference is pandas, not our own parser.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readDataset } from '../../ts/data/dataset';
import { parseTextTable } from '../../ts/data/text-rows';
import { runReference } from '../helpers/python';

interface PandasRead {
  columns: string[];
  cells: string[][];
  labels: Array<number | string> | null;
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-pandas-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Files the reader tests use (valid ones), with the label column pandas should infer. */
const FILES: Array<{ name: string; contents: string; label?: string; textColumn?: string }> = [
  { name: 'quoting.csv', contents: '\ufefftext,label\r\n"a, b",0\r\n"line one\nline two",1\r\n"say ""hi""",0\r\nplain,1', label: 'label' },
  { name: 'inner-quote.csv', contents: 'n,text,label\n0,he said "no",1\n1,x,0', label: 'label' },
  { name: 'tabs.tsv', contents: 'label\tsentence\tother\n1\ta, b\tz\n0\t"tab\there"\t\n', label: 'label', textColumn: 'sentence' },
  { name: 'numbers.csv', contents: 'text,label\na,1\nb,0\nc,1.0\nd,+2\ne,2\n', label: 'label' },
  { name: 'names.csv', contents: 'text,label\na,yes\nb,no\n', label: 'label' },
  { name: 'pair.csv', contents: 's1,s2,label\n"a",b,0\nc,"d",1\n' },
  { name: 'trailing-blank.csv', contents: 'text,label\na,0\nb,1\n\n\r\n', label: 'label' },
];

test('every file: the columns, cells and labels pandas reads', () => {
  const paths = FILES.map((f) => {
    const file = path.join(dir, f.name);
    fs.writeFileSync(file, f.contents);
    return file;
  });
  const pandas = runReference<PandasRead[]>('pandas_read.py', [], {
    files: FILES.map((f, i) => ({ path: paths[i], sep: f.name.endsWith('.tsv') ? '\t' : ',', label_column: f.label ?? null })),
  });
  FILES.forEach((f, i) => {
    const table = parseTextTable(fs.readFileSync(paths[i], 'utf8').replace(/^\ufeff/, ''), paths[i], f.name.endsWith('.tsv') ? 'tsv' : 'csv');
    expect([f.name, table.columns]).toEqual([f.name, pandas[i].columns]);
    expect([f.name, table.records.map((r) => table.columns.map((c) => r.values[c]))]).toEqual([f.name, pandas[i].cells]);
    if (f.label) {
      const data = readDataset(paths[i], f.textColumn ? { textColumn: f.textColumn } : {});
      const expected = pandas[i].labels as Array<number | string>;
      const names = data.labelNames;
      expect([f.name, data.rows.map((r) => (names ? names[r.label] : r.label))]).toEqual([f.name, expected]);
      expect(data.rows.map((r) => r.text)).toEqual(pandas[i].cells.map((row) => row[pandas[i].columns.indexOf(f.textColumn ?? 'text')]));
    }
  });
});
