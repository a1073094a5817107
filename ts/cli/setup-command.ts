// `albert-train setup`: what the package's install script does, for when it did not run (pnpm
// runs no dependency's install scripts unless approved; `npm install --ignore-scripts`). It runs
// scripts/install.js in the package folder: libtorch (the per-user cache, or TORCH_PY /
// LIBTORCH), then the prebuilt addon when it fits that libtorch, else a build from source.
// Idempotent: run again after moving or removing libtorch. Exits with the script's status.
import { spawnSync } from 'child_process';
import * as path from 'path';
import type { Argv } from 'yargs';
import { packageRoot } from '../native';

export function setupOptions(y: Argv) {
  return y.option('from-source', {
    type: 'boolean',
    default: false,
    describe: 'build the addon from source (needs a C++ compiler and cmake) even when the prebuilt one fits',
  });
}

type SetupFlags = Awaited<ReturnType<ReturnType<typeof setupOptions>['parseAsync']>>;

export function runSetup(flags: SetupFlags): void {
  const script = path.join(packageRoot(), 'scripts', 'install.js');
  const result = spawnSync(process.execPath, [script, ...(flags.fromSource ? ['--from-source'] : [])], { stdio: 'inherit' });
  if (result.error) throw result.error;
  process.exitCode = result.status ?? 1;
}
