// The resume hint after Ctrl-C starts albert-train the way the user did (ts/cli/invocation.ts):
// npx from a project's node_modules/.bin, the bare name from a global install, node and the
// file otherwise. test/cli/forgiving.test.ts checks the hint a real interrupted run prints.
import { commandAgain, invocation, shellQuote } from '../../ts/cli/invocation';

describe('invocation', () => {
  test('a node_modules/.bin link (npx, npm exec, npm run) is npx albert-train', () => {
    expect(invocation('/home/me/proj/node_modules/.bin/albert-train', '/home/me/proj')).toBe('npx albert-train');
    expect(invocation('/home/me/.npm/_npx/1a2b/node_modules/.bin/albert-train', '/tmp')).toBe('npx albert-train');
  });
  test('a global install\'s link is the bare name', () => {
    expect(invocation('/usr/local/bin/albert-train', '/tmp')).toBe('albert-train');
  });
  test('node running the file is node and the file, relative to the current folder when under it', () => {
    expect(invocation('/work/albert-trainer/dist/cli.js', '/work/albert-trainer')).toBe('node dist/cli.js');
    expect(invocation('/work/albert-trainer/dist/cli.js', '/elsewhere')).toBe('node /work/albert-trainer/dist/cli.js');
    expect(invocation('/my dir/dist/cli.js', '/')).toBe("node 'my dir/dist/cli.js'");
  });
});

describe('commandAgain', () => {
  test('drops the old --flag value (both forms), appends the new, quotes what the shell would split', () => {
    const args = ['train', '--resume-from-checkpoint', 'old', '--text-column', 'a b', '--resume-from-checkpoint=x', '--seed', '1'];
    expect(commandAgain(args, 'resume-from-checkpoint', ['--resume-from-checkpoint', '/o/checkpoint-5'], '/p/node_modules/.bin/albert-train', '/p'))
      .toBe("npx albert-train train --text-column 'a b' --seed 1 --resume-from-checkpoint /o/checkpoint-5");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });
});
