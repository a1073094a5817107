// The README's code blocks, for test/readme/snippets.test.ts: each fenced block with its language
// and line, and whether it is marked illustrative (an `<!-- illustrative: why -->` comment on the
// line before its fence: output shown, set-up commands, hub downloads); the commands of a shell
// block as argument lists, as a POSIX shell splits them.

export interface CodeBlock {
  /** The fence's info string (ts, sh, text, ...). */
  lang: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** Why the block is not run, where it is marked illustrative. */
  illustrative?: string;
}

export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```\s*([\w-]*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`README.md:${i + 1}: a code block that does not end`);
    const marker = /^<!--\s*illustrative:\s*(.+?)\s*-->\s*$/.exec(lines[i - 1] ?? '');
    blocks.push({ lang: open[1], code: lines.slice(i + 1, end).join('\n'), line: i + 1, ...(marker ? { illustrative: marker[1] } : {}) });
    i = end;
  }
  return blocks;
}

/** One line's words as sh splits them: whitespace outside quotes, '...' and "..." quoting, # comments. */
function words(line: string): string[] {
  const out: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'" || c === '"') {
      const close = line.indexOf(c, i + 1);
      if (close < 0) throw new Error(`unclosed ${c} in: ${line}`);
      word = (word ?? '') + line.slice(i + 1, close);
      i = close;
    } else if (/\s/.test(c)) {
      if (word !== undefined) out.push(word);
      word = undefined;
    } else if (c === '#' && word === undefined) {
      break;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) out.push(word);
  return out;
}

/** The commands of a shell block (lines joined at a trailing backslash), each as its words. */
export function shellCommands(code: string): string[][] {
  return code.replace(/\\\n/g, ' ').split('\n').map(words).filter((w) => w.length > 0);
}
