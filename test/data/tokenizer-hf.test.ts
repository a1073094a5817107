// AlbertTokenizer against HF transformers' AlbertTokenizerFast(truncation=True, max_length=N):
// equal input ids and token type ids on every SUBJ sentence, on SUBJ pairs, on a sweep of
// segment lengths that walks every branch of 'longest_first', and on edge-case texts. One Python
// run (beforeAll) gives every reference result. The errors: tokenizer-errors.test.ts.
import * as fs from 'fs';
import * as path from 'path';
import { AlbertTokenizer, EncodedInput, longestFirstLengths, preTruncatedLength } from '../../ts/data/tokenizer';
import { SHARED_DATA } from '../helpers/paths';
import { TOKENIZER_DIR, tokenizerFolders } from '../helpers/tokenizer-folders';
import { runReference } from '../helpers/python';


interface RefTokenizer {
  class: string;
  cls_token_id: number;
  sep_token_id: number;
  pad_token_id: number;
  vocab_size: number;
  model_max_length: number;
  truncation_side: string;
}
interface RefResult {
  input_ids: number[][];
  token_type_ids: number[][];
}
interface Reference {
  version: { transformers: string; tokenizers: string };
  tokenizers: Record<string, RefTokenizer>;
  results: Record<string, RefResult>;
}
interface Case {
  name: string;
  tokenizer: 'main' | 'left' | 'noconfig';
  texts: string[];
  pairs: string[] | null;
  max_length: number;
}

function readSubj(): string[] {
  const texts: string[] = [];
  for (const split of ['train', 'test']) {
    const lines = fs.readFileSync(path.join(SHARED_DATA, 'subj', `${split}.jsonl`), 'utf8').split('\n');
    for (const line of lines) if (line.trim() !== '') texts.push((JSON.parse(line) as { text: string }).text);
  }
  return texts;
}

// Words of one token each: n of them make a segment of n tokens.
const WORDS = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'dog', 'ran', 'far', 'away', 'home', 'then'];
const words = (n: number, from = 0): string => Array.from({ length: n }, (_, i) => WORDS[(from + i) % WORDS.length]).join(' ');

const EDGE = [
  '',
  ' ',
  '\t \n  \r\n',
  'Café naïve Ångström résumé façade',
  'ÉCOLE NORMALE SUPÉRIEURE',
  'ﬁne ligatures ① ㎏ ＦＵＬＬ－ＷＩＤＴＨ ½',
  '“curly” ‘quotes’ — em dash … ellipsis',
  "``ptb quotes'' and 'single' ones",
  '日本語のテキストと中文',
  'emoji 😀👍🏽 and family 👨‍👩‍👧',
  'zero\u200bwidth and nbsp\u00a0here and bom\ufeffthere',
  'hello [SEP] world <pad>x [cls] [MASK]y',
  'UPPER lower MiXeD 12,345.67 and 1,000,000',
  '   leading and trailing   ',
  'word '.repeat(3000),
  'ünïcödé '.repeat(400) + 'end',
];

const folders = tokenizerFolders();
const tmpRoot = folders.root;
const makeDir = folders.make;

/** Index of the first difference between two id lists, -1 when equal. */
function firstDifference(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** One line per mismatching input (the first 5, then a count); [] when all match. */
function mismatches(c: Case, ours: EncodedInput[], ref: RefResult): string[] {
  const lines: string[] = [];
  let count = 0;
  if (ref.input_ids.length !== ours.length) return [`${c.name}: ${ours.length} encodings but HF gave ${ref.input_ids.length}`];
  ours.forEach((enc, i) => {
    for (const [field, mine, theirs] of [
      ['inputIds', enc.inputIds, ref.input_ids[i]],
      ['tokenTypeIds', enc.tokenTypeIds, ref.token_type_ids[i]],
    ] as const) {
      const at = firstDifference(mine, theirs);
      if (at < 0) continue;
      count++;
      if (lines.length < 5) {
        const input = JSON.stringify(c.texts[i]).slice(0, 80) + (c.pairs ? ` / ${JSON.stringify(c.pairs[i]).slice(0, 80)}` : '');
        lines.push(
          `${c.name} #${i} ${input}: ${field} differ first at index ${at}: ` +
            `ours ${JSON.stringify(mine.slice(Math.max(0, at - 2), at + 4))} (length ${mine.length}), ` +
            `HF ${JSON.stringify(theirs.slice(Math.max(0, at - 2), at + 4))} (length ${theirs.length})`,
        );
      }
    }
  });
  if (count > lines.length) lines.push(`${c.name}: ${count} mismatching fields in all`);
  return lines;
}

const subj = readSubj();
const subjPairs = { texts: subj.slice(0, -1), pairs: subj.slice(1) };
const edgePairs = {
  texts: [...EDGE, '', 'x', ''],
  pairs: [...EDGE.map((_, i) => EDGE[(i + 1) % EDGE.length]), '', '', 'x'],
};

const cases: Case[] = [
  { name: 'subj-128', tokenizer: 'main', texts: subj, pairs: null, max_length: 128 },
  // Short max lengths truncate nearly every sentence; 2,000 of them keep the test quick.
  { name: 'subj-16', tokenizer: 'main', texts: subj.slice(0, 2000), pairs: null, max_length: 16 },
  { name: 'subj-8', tokenizer: 'main', texts: subj.slice(8000), pairs: null, max_length: 8 },
  { name: 'subj-pairs-128', tokenizer: 'main', ...subjPairs, max_length: 128 },
  { name: 'subj-pairs-16', tokenizer: 'main', ...subjPairs, max_length: 16 },
  { name: 'subj-pairs-8', tokenizer: 'main', texts: subjPairs.texts.slice(0, 2000), pairs: subjPairs.pairs.slice(0, 2000), max_length: 8 },
  { name: 'edge-128', tokenizer: 'main', texts: EDGE, pairs: null, max_length: 128 },
  { name: 'edge-8', tokenizer: 'main', texts: EDGE, pairs: null, max_length: 8 },
  { name: 'edge-pairs-16', tokenizer: 'main', ...edgePairs, max_length: 16 },
  { name: 'edge-pairs-512', tokenizer: 'main', ...edgePairs, max_length: 512 },
  // Singles of 0..12 tokens at every max length from the smallest allowed.
  ...Array.from({ length: 12 }, (_, k): Case => ({
    name: `sweep-single-${k + 3}`,
    tokenizer: 'main',
    texts: Array.from({ length: 13 }, (_, n) => words(n)),
    pairs: null,
    max_length: k + 3,
  })),
  // Every (len a, len b) in 0..7 x 0..7 at every max length 4..18: all branches of longest_first,
  // ties at odd and even budgets included.
  ...Array.from({ length: 15 }, (_, k): Case => {
    const grid = Array.from({ length: 64 }, (_, g) => [Math.floor(g / 8), g % 8]);
    return {
      name: `sweep-pair-${k + 4}`,
      tokenizer: 'main',
      texts: grid.map(([a]) => words(a)),
      pairs: grid.map(([a, b]) => words(b, a + 3)),
      max_length: k + 4,
    };
  }),
];

// truncation_side "left" in tokenizer_config.json: HF then keeps the END of each segment.
const leftCases: Case[] = [
  { name: 'left-subj-8', tokenizer: 'left', texts: subj.slice(0, 400), pairs: null, max_length: 8 },
  { name: 'left-subj-pairs-16', tokenizer: 'left', texts: subjPairs.texts.slice(0, 400), pairs: subjPairs.pairs.slice(0, 400), max_length: 16 },
  { ...cases.find((c) => c.name === 'sweep-pair-9')!, name: 'left-sweep-pair-9', tokenizer: 'left' },
];
// No tokenizer_config.json at all: HF loads the folder with defaults, and so do we.
const noConfigCases: Case[] = [
  { name: 'noconfig-subj-16', tokenizer: 'noconfig', texts: subj.slice(0, 400), pairs: null, max_length: 16 },
];

let ref: Reference;
let tokenizers: Record<Case['tokenizer'], AlbertTokenizer>;
let leftDir: string;
let noConfigDir: string;

beforeAll(async () => {
  leftDir = makeDir('left', { config: JSON.stringify({ model_max_length: 512, truncation_side: 'left' }) });
  noConfigDir = makeDir('noconfig');
  const started = Date.now();
  ref = runReference<Reference>('tokenizer_reference.py', [], {
    tokenizers: { main: TOKENIZER_DIR, left: leftDir, noconfig: noConfigDir },
    cases: [...cases, ...leftCases, ...noConfigCases],
  });
  const pythonSeconds = (Date.now() - started) / 1000;
  const loadStarted = Date.now();
  tokenizers = {
    main: await AlbertTokenizer.fromDirectory(TOKENIZER_DIR),
    left: await AlbertTokenizer.fromDirectory(leftDir),
    noconfig: await AlbertTokenizer.fromDirectory(noConfigDir),
  };
  console.log(
    `reference: transformers ${ref.version.transformers}, tokenizers ${ref.version.tokenizers}, ` +
      `${ref.tokenizers.main.class}; python ${pythonSeconds.toFixed(1)} s; ` +
      `3 x fromDirectory ${((Date.now() - loadStarted) / 1000).toFixed(2)} s`,
  );
});

afterAll(() => {
  folders.remove();
});

describe('AlbertTokenizer', () => {
  test('SUBJ has 10,000 sentences', () => {
    expect(subj).toHaveLength(10000);
  });

  test('special token ids, vocabulary size and config values equal HF', () => {
    for (const key of ['main', 'left', 'noconfig'] as const) {
      const ours = tokenizers[key];
      const hf = ref.tokenizers[key];
      expect([ours.clsTokenId, ours.sepTokenId, ours.padTokenId, ours.vocabSize, ours.truncationSide]).toEqual([
        hf.cls_token_id,
        hf.sep_token_id,
        hf.pad_token_id,
        hf.vocab_size,
        hf.truncation_side,
      ]);
    }
    expect(tokenizers.main).toMatchObject({ clsTokenId: 2, sepTokenId: 3, padTokenId: 0, vocabSize: 30000, modelMaxLength: 512 });
    expect(ref.tokenizers.main.model_max_length).toBe(512);
    expect(tokenizers.noconfig.modelMaxLength).toBeUndefined();
  });

  test('every SUBJ sentence at max length 128 equals HF (and throughput)', () => {
    const c = cases[0];
    const tok = tokenizers.main;
    tok.encodeBatch(c.texts.slice(0, 500), undefined, 128); // warm up
    const started = process.hrtime.bigint();
    const ours = tok.encodeBatch(c.texts, undefined, c.max_length);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(`encode throughput: ${c.texts.length} SUBJ sentences in ${seconds.toFixed(3)} s = ${Math.round(c.texts.length / seconds)} sentences/s`);
    expect(mismatches(c, ours, ref.results[c.name])).toEqual([]);
    // The data never reaches 128 tokens (max 182 with [CLS]/[SEP] per PROVENANCE.md, so a few do).
    expect(ours.every((e) => e.inputIds.length <= 128)).toBe(true);
  });

  test.each(['subj-16', 'subj-8', 'subj-pairs-128', 'subj-pairs-16', 'subj-pairs-8'])('%s equals HF', (name) => {
    const c = cases.find((x) => x.name === name)!;
    const ours = tokenizers.main.encodeBatch(c.texts, c.pairs ?? undefined, c.max_length);
    expect(mismatches(c, ours, ref.results[name])).toEqual([]);
    expect(ours.every((e) => e.inputIds.length <= c.max_length && e.inputIds[0] === 2 && e.inputIds[e.inputIds.length - 1] === 3)).toBe(true);
    if (c.max_length <= 16) {
      // Truncation is exercised: nearly every input is cut to exactly max length.
      expect(ours.filter((e) => e.inputIds.length === c.max_length).length).toBeGreaterThan(0.8 * ours.length);
    }
  });

  test('edge-case texts (empty, whitespace, unicode, accents, very long, special-token strings) equal HF', () => {
    for (const name of ['edge-128', 'edge-8', 'edge-pairs-16', 'edge-pairs-512']) {
      const c = cases.find((x) => x.name === name)!;
      const ours = c.pairs
        ? c.texts.map((t, i) => tokenizers.main.encode(t, c.pairs![i], c.max_length))
        : c.texts.map((t) => tokenizers.main.encode(t, undefined, c.max_length));
      expect(mismatches(c, ours, ref.results[name])).toEqual([]);
    }
    const tok = tokenizers.main;
    // What HF gives, spelled out: empty and whitespace-only text are [CLS] [SEP]; an empty pair
    // still gets its [SEP] with type id 1.
    expect(tok.encode('')).toEqual({ inputIds: [2, 3], tokenTypeIds: [0, 0] });
    expect(tok.encode(' \t\n ')).toEqual({ inputIds: [2, 3], tokenTypeIds: [0, 0] });
    expect(tok.encode('', '')).toEqual({ inputIds: [2, 3, 3], tokenTypeIds: [0, 0, 1] });
    expect(tok.encode('Hello world')).toEqual({ inputIds: [2, 10975, 126, 3], tokenTypeIds: [0, 0, 0, 0] });
    // Very long text stops at maxLength.
    expect(tok.encode('word '.repeat(3000)).inputIds).toHaveLength(128);
  });

  test('a sweep of segment lengths through every longest_first branch equals HF', () => {
    const problems: string[] = [];
    for (const c of cases.filter((x) => x.name.startsWith('sweep-'))) {
      const ours = tokenizers.main.encodeBatch(c.texts, c.pairs ?? undefined, c.max_length);
      problems.push(...mismatches(c, ours, ref.results[c.name]));
      // The words are one token each, so the sweep does cover the lengths it claims.
      if (c.max_length === 18 && c.pairs) {
        expect(ours.map((e) => e.inputIds.length)).toEqual(c.texts.map((t, i) => 3 + (t ? t.split(' ').length : 0) + (c.pairs![i] ? c.pairs![i].split(' ').length : 0)));
      }
    }
    expect(problems).toEqual([]);
  });

  test('longestFirstLengths follows tokenizers\' own table (truncation.rs tests, max_length 7)', () => {
    const table: [number, number, number, number][] = [
      [0, 0, 0, 0], [0, 2, 0, 2], [0, 4, 0, 4], [0, 8, 0, 7],
      [2, 0, 2, 0], [2, 2, 2, 2], [2, 4, 2, 4], [2, 8, 2, 5],
      [4, 0, 4, 0], [4, 2, 4, 2], [4, 4, 3, 4], [4, 8, 3, 4],
      [8, 0, 7, 0], [8, 2, 5, 2], [8, 4, 4, 3], [8, 8, 3, 4],
    ];
    for (const [a, b, na, nb] of table) expect([a, b, longestFirstLengths(a, b, 7)]).toEqual([a, b, [na, nb]]);
  });

  test('longest_first compares lengths cut to whole words first (tokenizers 0.23), as HF does', () => {
    // SUBJ #0 has 17 tokens in words of 1, 3, 1, 1, 1, 2, ... tokens; #1 has 28 in words of
    // 1, 1, 1, 2, 3, ... With max length 8 Rust tokenizers stops each at the first words that
    // reach 8 tokens: 9 and 8. So #0 counts as the longer and gets the odd token of the budget
    // of 5, although it is the shorter text: (3, 2), where full lengths would give (2, 3).
    expect(preTruncatedLength([1, 3, 1, 1, 1, 2, 1, 2, 1, 1, 2, 1], 8)).toBe(9);
    expect(preTruncatedLength([1, 1, 1, 2, 3, 1, 1], 8)).toBe(8);
    expect(preTruncatedLength([3, 2, 1, 1, 1, 1], 8)).toBe(8);
    expect(preTruncatedLength([3, 2, 1, 1, 1, 1], 8, 'left')).toBe(9);
    expect(preTruncatedLength([2, 2], 8)).toBe(4);
    expect(longestFirstLengths(17, 28, 5)).toEqual([2, 3]);
    expect(longestFirstLengths(9, 8, 5)).toEqual([3, 2]);
    const enc = tokenizers.main.encode(subj[0], subj[1], 8);
    expect(enc.tokenTypeIds).toEqual([0, 0, 0, 0, 0, 1, 1, 1]);
    expect(ref.results['subj-pairs-8'].token_type_ids[0]).toEqual(enc.tokenTypeIds);
    expect(ref.results['subj-pairs-8'].input_ids[0]).toEqual(enc.inputIds);
  });

  test('truncation_side "left" in tokenizer_config.json keeps the end of each segment, as HF does', () => {
    const problems: string[] = [];
    for (const c of leftCases) {
      const ours = tokenizers.left.encodeBatch(c.texts, c.pairs ?? undefined, c.max_length);
      problems.push(...mismatches(c, ours, ref.results[c.name]));
    }
    expect(problems).toEqual([]);
    expect(tokenizers.left.encode(words(6), undefined, 5).inputIds).toEqual(tokenizers.main.encode(words(3, 3), undefined, 5).inputIds);
  });

  test('a folder without tokenizer_config.json loads with HF defaults', () => {
    const c = noConfigCases[0];
    expect(mismatches(c, tokenizers.noconfig.encodeBatch(c.texts, undefined, c.max_length), ref.results[c.name])).toEqual([]);
  });
});
