// The machine a suite runs on, named by what it is rather than by its host name (a container's
// or a VM's, "vm" here, says nothing): the CPU model and its cores, and on CUDA the GPU. Gives
// the results' machine line and the default prefix of their file names.
import * as fs from 'fs';
import * as os from 'os';

export interface CpuFacts {
  /** The CPU model as the OS reports it, e.g. "AMD EPYC" or "Intel(R) Xeon(R) Platinum 8488C". */
  model: string;
  /** Physical cores this process can use (logical CPUs where /proc/cpuinfo does not tell them apart). */
  cores: number;
  /** Logical CPUs (hardware threads) this process can use. */
  logicalCpus: number;
}

/** Physical cores among the logical CPUs /proc/cpuinfo lists: distinct (physical id, core id) pairs; undefined off Linux. */
function physicalCores(cpuinfo: string): number | undefined {
  const pairs = new Set<string>();
  for (const block of cpuinfo.split(/\n\s*\n/)) {
    const core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1];
    if (core !== undefined) pairs.add(`${/^physical id\s*:\s*(\d+)/m.exec(block)?.[1] ?? 0}:${core}`);
  }
  return pairs.size > 0 ? pairs.size : undefined;
}

export function cpuFacts(cpuinfo = readCpuinfo()): CpuFacts {
  const cpus = os.cpus();
  const logicalCpus = Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length);
  const cores = Math.min(logicalCpus, physicalCores(cpuinfo) ?? logicalCpus);
  return { model: cpus[0]?.model?.replace(/\s+/g, ' ').trim() || 'unknown CPU', cores, logicalCpus };
}

function readCpuinfo(): string {
  try {
    return fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

/** "AMD EPYC, 2 cores" or "Intel(R) Xeon(R) ..., 4 cores (8 logical CPUs)". */
export function describeCpu(cpu: CpuFacts): string {
  return `${cpu.model}, ${cpu.cores} core${cpu.cores === 1 ? '' : 's'}${cpu.logicalCpus !== cpu.cores ? ` (${cpu.logicalCpus} logical CPUs)` : ''}`;
}

const slug = (text: string) => text.toLowerCase().replace(/\((r|tm)\)/g, '').replace(/\b(cpu|processor|with radeon graphics)\b/g, '')
  .replace(/@.*$/, '').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');

/**
 * The results' file name prefix when --machine is not given: cpu-<model>-<N>cores on the CPU
 * (cpu-amd-epyc-2cores), cuda-<gpu> on CUDA (cuda-nvidia-h100-80gb-hbm3).
 */
export function machineFileName(device: 'cpu' | 'cuda', cpu: CpuFacts, gpu?: string): string {
  return device === 'cuda' && gpu ? `cuda-${slug(gpu)}` : `${device}-${slug(cpu.model) || 'unknown'}-${cpu.cores}cores`;
}
