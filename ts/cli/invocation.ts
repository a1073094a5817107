// How the user started albert-train, so that a command we print (the resume hint after Ctrl-C)
// runs as they ran it: `npx albert-train` from a project's node_modules/.bin (npx, npm exec,
// npm run), `albert-train` from a global install, `node dist/cli.js` when node ran the file.
import * as path from 'path';

/** An argument as a POSIX shell reads it back: quoted when it holds anything but safe characters. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The words that start albert-train the way this process was started (`script` is process.argv[1]). */
export function invocation(script = process.argv[1] ?? '', cwd = process.cwd()): string {
  const dir = path.dirname(script);
  if (path.basename(dir) === '.bin' && path.basename(path.dirname(dir)) === 'node_modules') return 'npx albert-train';
  if (/^albert-train(\.cmd|\.ps1)?$/.test(path.basename(script))) return 'albert-train';
  const relative = path.relative(cwd, script);
  return `node ${shellQuote(relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : script)}`;
}

/** This command line again, with `--flag value` pairs for `drop` left out and `extra` appended. */
export function commandAgain(args: readonly string[], drop: string, extra: string[], script?: string, cwd?: string): string {
  const kept = args.filter((a, i, all) => a !== `--${drop}` && all[i - 1] !== `--${drop}` && !a.startsWith(`--${drop}=`));
  return [invocation(script, cwd), ...[...kept, ...extra].map(shellQuote)].join(' ');
}
