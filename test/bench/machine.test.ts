// The suite names the machine it ran on by its CPU model and cores (benchmarks/machine.ts), not by
// its host name. /proc/cpuinfo texts as Linux writes them: a 2-vCPU VM and a 4-core CPU with
// two hardware threads per core.
import * as os from 'os';
import { cpuFacts, describeCpu, machineFileName } from '../../benchmarks/machine';

const block = (processor: number, core: number, physical = 0) =>
  `processor\t: ${processor}\nmodel name\t: Test CPU\nphysical id\t: ${physical}\ncore id\t\t: ${core}\n`;

describe('cpuFacts', () => {
  test('cores are distinct (physical id, core id) pairs, at most the logical CPUs this process may use', () => {
    const logical = os.availableParallelism();
    const smt = [0, 1, 2, 3].flatMap((core) => [block(core * 2, core), block(core * 2 + 1, core)]).join('\n');
    expect(cpuFacts(smt).cores).toBe(Math.min(4, logical));
    expect(cpuFacts(smt).logicalCpus).toBe(logical);
    const twoSockets = [block(0, 0, 0), block(1, 0, 1)].join('\n'); // core id 0 on each socket: two cores
    expect(cpuFacts(twoSockets).cores).toBe(Math.min(2, logical));
    expect(cpuFacts('').cores).toBe(logical); // no /proc/cpuinfo: the logical CPUs
    expect(cpuFacts('').model).toBe(os.cpus()[0].model.replace(/\s+/g, ' ').trim());
  });
});

describe('names', () => {
  test('the machine line says the model, the cores, and the logical CPUs where they differ', () => {
    expect(describeCpu({ model: 'AMD EPYC', cores: 2, logicalCpus: 2 })).toBe('AMD EPYC, 2 cores');
    expect(describeCpu({ model: 'Intel(R) Xeon(R) Platinum 8488C', cores: 4, logicalCpus: 8 })).toBe('Intel(R) Xeon(R) Platinum 8488C, 4 cores (8 logical CPUs)');
  });

  test('file names: the CPU model and cores; on CUDA the GPU', () => {
    expect(machineFileName('cpu', { model: 'AMD EPYC', cores: 2, logicalCpus: 2 })).toBe('cpu-amd-epyc-2cores');
    expect(machineFileName('cpu', { model: 'Intel(R) Xeon(R) CPU E5-2686 v4 @ 2.30GHz', cores: 4, logicalCpus: 8 })).toBe('cpu-intel-xeon-e5-2686-v4-4cores');
    expect(machineFileName('cuda', { model: 'AMD EPYC', cores: 2, logicalCpus: 2 }, 'NVIDIA H100 80GB HBM3')).toBe('cuda-nvidia-h100-80gb-hbm3');
  });
});
