// The suite's flags: what the default CPU run leaves out to stay under 15 minutes, and that an
// explicit --shapes brings it back.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseOptions } from '../../benchmarks/options';

const parse = (...argv: string[]) => {
  const options = parseOptions(argv);
  if (options === null) throw new Error('--help');
  return options;
};

describe('bench options', () => {
  test('on the CPU by default, large runs only the SUBJ batches; small and base run both shapes', () => {
    const options = parse();
    expect(options.shapesFor).toEqual({ small: ['subj', 'fixed'], base: ['subj', 'fixed'], large: ['subj'] });
  });

  test('an explicit --shapes, or CUDA, runs every listed shape on every config', () => {
    expect(parse('--shapes', 'subj,fixed').shapesFor.large).toEqual(['subj', 'fixed']);
    expect(parse('--shapes', 'fixed', '--configs', 'large').shapesFor).toEqual({ large: ['fixed'] });
    expect(parse('--device', 'cuda').shapesFor.large).toEqual(['subj', 'fixed']);
  });

  test('the A/B peer of the fused CPU kernels (ours-aten) runs only when asked for, with HF eager beside it', () => {
    expect(parse().peers).toEqual(['ours', 'hf-eager', 'hf-compile']);
    expect(parse('--peers', 'ours,ours-aten').peers).toEqual(['ours', 'ours-aten', 'hf-eager']);
  });

  test('bad flags are refused by name', () => {
    expect(() => parse('--shapes', 'round')).toThrow('--shapes: unknown round; choose from subj, fixed');
    expect(() => parse('--steps', '0')).toThrow('--steps must be an integer >= 1, got "0"');
    expect(() => parse('--amps', 'fp16')).toThrow('--amps fp16 needs --device cuda');
    expect(() => parse('--bogus', '1')).toThrow('unknown flag --bogus');
  });

  test('results go under the current folder (never the package\'s), or to --output-dir (--out-dir is the same flag)', () => {
    const before = process.cwd();
    const here = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'albert-bench-cwd-')));
    try {
      process.chdir(here);
      expect(parse().outDir).toBe(path.join(here, 'benchmarks', 'results'));
      expect(parse('--output-dir', 'mine').outDir).toBe(path.join(here, 'mine'));
      expect(parse('--out-dir', '/tmp/x').outDir).toBe('/tmp/x');
    } finally {
      process.chdir(before);
      fs.rmSync(here, { recursive: true, force: true });
    }
  });

  test('--machine names the files; without it the suite names them after the machine (benchmarks/machine.ts)', () => {
    expect(parse('--machine', 'my box').machine).toBe('my-box');
    expect(parse().machine).toBe('');
  });
});
