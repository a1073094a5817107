// The README block reader the snippet test relies on (test/readme/readme-blocks.ts).
import { codeBlocks, shellCommands } from './readme-blocks';

describe('codeBlocks', () => {
  test('finds each fenced block with its language and line, and the illustrative marker before it', () => {
    const md = ['# T', '```sh', 'npx albert-train info', '```', '<!-- illustrative: output -->', '```text', 'a | b', '```', '```', 'x', '```'].join('\n');
    expect(codeBlocks(md)).toEqual([
      { lang: 'sh', code: 'npx albert-train info', line: 2 },
      { lang: 'text', code: 'a | b', line: 6, illustrative: 'output' },
      { lang: '', code: 'x', line: 9 },
    ]);
  });
  test('a block that does not end is an error naming its line', () => {
    expect(() => codeBlocks('a\n```ts\nx')).toThrow('README.md:2: a code block that does not end');
  });
});

describe('shellCommands', () => {
  test('joins continued lines, drops comments, keeps quoted words whole', () => {
    expect(shellCommands('npx albert-train train --model m \\\n  --text "a b" # why\n# only a comment\nnpx albert-train predict --text \'it is\'')).toEqual([
      ['npx', 'albert-train', 'train', '--model', 'm', '--text', 'a b'],
      ['npx', 'albert-train', 'predict', '--text', 'it is'],
    ]);
  });
});
