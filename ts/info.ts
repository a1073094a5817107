// What this installation can do: versions, device, threads, precision support.
import { invalidArgument } from './errors';
import * as fs from 'fs';
import * as path from 'path';
import { addonSource, callNativeSync, native, packageRoot, type AddonSource, type NativeAmp, type NativeDevice } from './native';

export interface Info {
  version: string;
  torchVersion: string;
  nodeVersion: string;
  tokenizersVersion: string;
  builtWithCuda: boolean;
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  numThreads: number;
  /** glibc keeps freed blocks up to 32 MB mapped (no page faults per step); ALBERT_TRAINER_MALLOC_TUNING=0 turns it off. */
  mallocTuned: boolean;
  /** bf16 on some device here: this CPU (cpuBf16Supported), or CUDA. */
  bf16Supported: boolean;
  /** This CPU runs bf16 matrix work natively (AVX512-BF16 or AMX). */
  cpuBf16Supported: boolean;
  /** Which of the CPU's bf16 matrix units it has: 'amx' (amx_bf16), 'avx512_bf16', or 'none'. */
  cpuBf16Unit: CpuBf16Unit;
  /** Which clone of the hand-written CPU kernels' loops runs here: 'avx512', 'avx2' or 'default'. */
  cpuVectorPath: 'avx512' | 'avx2' | 'default';
  /** The CPU step takes the fused bias + gelu_new and residual + LayerNorm kernels (AVX-512, unless ALBERT_CPU_FUSED=0). */
  cpuFusedKernels: boolean;
  /** Which addon runs: the prebuilt one the package ships, one built from source, or $ALBERT_TRAINER_ADDON's. */
  addon: AddonSource['kind'];
  addonFile: string;
  /** The torch folder set-up found (per-user cache, .venv, TORCH_PY or LIBTORCH), from build/torch-location.json; null when unrecorded. */
  libtorchDir: string | null;
}

export type CpuBf16Unit = 'amx' | 'avx512_bf16' | 'none';

/** A /proc/cpuinfo text's bf16 matrix unit: AMX (amx_bf16) first, then AVX512-BF16. */
export function cpuinfoBf16Unit(cpuinfo: string): CpuBf16Unit {
  const flags = cpuinfo.match(/^flags\s*:(.*)$/m)?.[1].split(/\s+/) ?? [];
  return flags.includes('amx_bf16') ? 'amx' : flags.includes('avx512_bf16') ? 'avx512_bf16' : 'none';
}

/** Whether a /proc/cpuinfo text's CPU runs bf16 matrix work natively (AVX512-BF16 or AMX). */
export function cpuinfoHasBf16(cpuinfo: string): boolean {
  return cpuinfoBf16Unit(cpuinfo) !== 'none';
}

/** This CPU's bf16 matrix unit, read from /proc/cpuinfo ('none' off Linux: unknown, so not claimed). */
function cpuBf16Unit(): CpuBf16Unit {
  try {
    return cpuinfoBf16Unit(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return 'none';
  }
}

/** The facts the automatic device and precision choice rests on (Info's). */
export type PrecisionFacts = Pick<Info, 'cudaAvailable' | 'cpuBf16Supported'>;

/**
 * `--device auto` and `--amp auto`, the one rule for every command: the device is CUDA when there
 * is one; the precision fp16 on CUDA, bf16 on a CPU that has it, else off (fp32).
 */
export function chooseDeviceAndAmp(requested: { device: 'auto' | NativeDevice; amp: 'auto' | NativeAmp }, facts: PrecisionFacts): { device: NativeDevice; amp: NativeAmp } {
  const device = requested.device === 'auto' ? (facts.cudaAvailable ? 'cuda' : 'cpu') : requested.device;
  // The CPU's own bf16, not bf16Supported: that one is true on any CUDA machine, whatever its CPU.
  const amp = requested.amp === 'auto' ? (device === 'cuda' ? 'fp16' : facts.cpuBf16Supported ? 'bf16' : 'off') : requested.amp;
  return { device, amp };
}

/** The version of an installed dependency: the nearest package.json of that name above its entry point. */
function dependencyVersion(name: string): string {
  for (let dir = path.dirname(require.resolve(name)); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name && pkg.version) return pkg.version;
    } catch {
      // no package.json here: keep going up
    }
  }
  return 'unknown';
}

/** The libtorch folder `npm install` / `albert-train setup` recorded, or null. */
function recordedLibtorch(root: string): string | null {
  try {
    const record = JSON.parse(fs.readFileSync(path.join(root, 'build', 'torch-location.json'), 'utf8')) as { root?: unknown };
    return typeof record.root === 'string' ? record.root : null;
  } catch {
    return null;
  }
}

export function info(): Info {
  const root = packageRoot();
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  const facts = native().info();
  const addon = addonSource();
  const bf16Unit = cpuBf16Unit();
  const cpuBf16 = bf16Unit !== 'none';
  return {
    version: pkg.version,
    nodeVersion: process.versions.node,
    tokenizersVersion: dependencyVersion('@huggingface/tokenizers'),
    ...facts,
    bf16Supported: facts.cudaAvailable || cpuBf16,
    cpuBf16Supported: cpuBf16,
    cpuBf16Unit: bf16Unit,
    addon: addon.kind,
    addonFile: addon.file,
    libtorchDir: recordedLibtorch(root),
  };
}

/** Sets libtorch's intra-op thread count for this process. */
export function setNumThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1 || threads > 2 ** 31 - 1) {
    throw invalidArgument('positive integer below 2^31', 'threads', threads);
  }
  callNativeSync(() => native().setNumThreads(threads));
}
