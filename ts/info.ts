// What this installation can do: versions, device, threads, precision support.
import { invalidArgument } from './errors';
import * as fs from 'fs';
import * as path from 'path';
import { native, packageRoot } from './native';

export interface Info {
  version: string;
  torchVersion: string;
  nodeVersion: string;
  builtWithCuda: boolean;
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  numThreads: number;
  bf16Supported: boolean;
}

export function info(): Info {
  const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return { version: pkg.version, nodeVersion: process.versions.node, ...native().info() };
}

/** Sets libtorch's intra-op thread count for this process. */
export function setNumThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) {
    throw invalidArgument('positive integer', 'threads', threads);
  }
  native().setNumThreads(threads);
}
