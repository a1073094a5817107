// The automatic device and precision choice (ts/info.ts), one rule for train, eval and predict,
// checked on injected capability facts: a machine with CUDA whose CPU has no bf16 must not get
// bf16 for `--device cpu`. No addon: the facts are given, not read.
import { chooseDeviceAndAmp, cpuinfoBf16Unit, cpuinfoHasBf16 } from '../../ts/info';

const CUDA_MACHINE_PLAIN_CPU = { cudaAvailable: true, bf16Supported: true, cpuBf16Supported: false };
const CUDA_MACHINE_BF16_CPU = { cudaAvailable: true, bf16Supported: true, cpuBf16Supported: true };
const CPU_ONLY_BF16 = { cudaAvailable: false, bf16Supported: true, cpuBf16Supported: true };
const CPU_ONLY_PLAIN = { cudaAvailable: false, bf16Supported: false, cpuBf16Supported: false };

test('--device cpu on a CUDA machine: bf16 only when the CPU has it', () => {
  expect(chooseDeviceAndAmp({ device: 'cpu', amp: 'auto' }, CUDA_MACHINE_PLAIN_CPU)).toEqual({ device: 'cpu', amp: 'off' });
  expect(chooseDeviceAndAmp({ device: 'cpu', amp: 'auto' }, CUDA_MACHINE_BF16_CPU)).toEqual({ device: 'cpu', amp: 'bf16' });
});

test('auto: CUDA with fp16 where there is CUDA; else the CPU, bf16 where it has it', () => {
  expect(chooseDeviceAndAmp({ device: 'auto', amp: 'auto' }, CUDA_MACHINE_PLAIN_CPU)).toEqual({ device: 'cuda', amp: 'fp16' });
  expect(chooseDeviceAndAmp({ device: 'auto', amp: 'auto' }, CPU_ONLY_BF16)).toEqual({ device: 'cpu', amp: 'bf16' });
  expect(chooseDeviceAndAmp({ device: 'auto', amp: 'auto' }, CPU_ONLY_PLAIN)).toEqual({ device: 'cpu', amp: 'off' });
});

test('an explicit --amp is kept as asked', () => {
  expect(chooseDeviceAndAmp({ device: 'cpu', amp: 'bf16' }, CPU_ONLY_PLAIN)).toEqual({ device: 'cpu', amp: 'bf16' });
  expect(chooseDeviceAndAmp({ device: 'auto', amp: 'off' }, CUDA_MACHINE_PLAIN_CPU)).toEqual({ device: 'cuda', amp: 'off' });
});

test('the CPU\'s bf16 is read from the cpuinfo flags (AVX512-BF16 or AMX-BF16)', () => {
  expect(cpuinfoHasBf16('processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16\n')).toBe(true);
  expect(cpuinfoHasBf16('flags\t\t: fpu sse2 amx_bf16 amx_tile\n')).toBe(true);
  expect(cpuinfoHasBf16('flags\t\t: fpu sse2 avx2 avx512f\n')).toBe(false);
  expect(cpuinfoHasBf16('')).toBe(false);
});

test('the bf16 unit is named: AMX before AVX512-BF16 (a Sapphire Rapids Xeon has both), none without either', () => {
  expect(cpuinfoBf16Unit('flags\t\t: fpu avx512f avx512_bf16 amx_bf16 amx_tile\n')).toBe('amx');
  expect(cpuinfoBf16Unit('flags\t\t: fpu avx512f avx512_bf16\n')).toBe('avx512_bf16');
  expect(cpuinfoBf16Unit('flags\t\t: fpu avx2\n')).toBe('none');
});
