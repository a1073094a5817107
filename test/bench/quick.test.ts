// The benchmark suite's --quick preset, end to end, into a temp folder: small config, fp32,
// both batch shapes, albert-trainer and HF eager (--quick leaves torch.compile out: compiling
// takes minutes on a small CPU; that is then said once, with why, not on every row). Checks that
// the results are well-formed (JSON rows, the markdown table printed last, the SVG chart), never a speed.
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const SUITE = path.join(ROOT, 'build', 'bench', 'benchmarks', 'suite.js');

interface Row {
  config: string; precision: string; shape: string; peer: string; tool: string; status: string; reason?: string;
  batchSize: number; meanSeqLen: number; meanTokens: number; times?: number[];
  medianStepS?: number; minStepS?: number; maxStepS?: number; samplesPerS?: number; tokensPerS?: number; peakRssMiB?: number; ratio?: number;
}

const positive = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x > 0;

/** Tags open and close in order (a small XML well-formedness check). */
function balancedTags(xml: string): boolean {
  const stack: string[] = [];
  for (const m of xml.matchAll(/<(\/?)([a-zA-Z][\w-]*)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    if (selfClosing) continue;
    if (!closing) stack.push(name);
    else if (stack.pop() !== name) return false;
  }
  return stack.length === 0;
}

describe('npm run bench -- --quick', () => {
  let outDir: string;
  let stdout = '';
  let stderr = '';
  let code: number | null = null;

  beforeAll(async () => {
    // Compiles benchmarks/ (and ts/) into build/bench: incremental, a few seconds when nothing changed.
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'benchmarks', 'tsconfig.json')],
      { cwd: ROOT, stdio: 'inherit', timeout: 180_000 });
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-bench-test-'));
    const args = [SUITE, '--quick', '--amps', 'fp32', '--threads', '2', '--machine', 'jest-quick', '--output-dir', outDir];
    code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
      child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
      child.on('exit', resolve);
    });
  }, 400_000);

  afterAll(() => {
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
  });

  const files = () => fs.readdirSync(outDir).sort();
  const read = (ext: string) => {
    const name = files().find((f) => f.startsWith('jest-quick-') && f.endsWith(ext));
    if (!name) throw new Error(`no ${ext} in ${outDir}: ${files().join(', ')}\n${stderr}`);
    return fs.readFileSync(path.join(outDir, name), 'utf8');
  };

  test('exits 0 and writes <machine>-<date>.json, .md and .svg', () => {
    if (code !== 0) throw new Error(`suite exited ${code}:\n${stderr.slice(-3000)}`);
    expect(files()).toEqual(expect.arrayContaining([expect.stringMatching(/^jest-quick-\d{4}-\d\d-\d\d\.json$/),
      expect.stringMatching(/\.md$/), expect.stringMatching(/\.svg$/)]));
  });

  test('the JSON has a measured row per peer and shape; torch.compile\'s skip is one note with its reason', () => {
    const results = JSON.parse(read('.json')) as { schema: string; machine: { description: string; cpu: string; cores: number; libtorch?: string; transformers?: string };
      rows: Row[]; e2e: unknown[]; notes: string[] };
    expect(results.schema).toBe('albert-trainer-bench/1');
    expect(results.machine.libtorch).toBeTruthy();
    expect(results.machine.transformers).toBeTruthy();
    expect(results.e2e).toEqual([]);
    // The machine by its CPU and cores (benchmarks/machine.ts), not its host name.
    expect(results.machine.description.startsWith(`${results.machine.cpu}, ${results.machine.cores} core`)).toBe(true);
    // ... and which path our CPU step took (the suite says it, so a run on another CPU is read right).
    const machine = results.machine as { oursCpuPath?: string; cpuBf16Unit?: string };
    expect(machine.oursCpuPath).toMatch(/^(avx512|avx2|default) loops, fused CPU kernels (on|off)$/);
    expect(['amx', 'avx512_bf16', 'none']).toContain(machine.cpuBf16Unit);
    expect(results.machine.description).toContain(`our CPU step: ${machine.oursCpuPath}`);
    expect(results.rows).toHaveLength(2 * 2); // shapes subj, fixed x peers ours, hf-eager
    const skipNotes = results.notes.filter((n) => n.includes('skipped'));
    expect(skipNotes).toHaveLength(1);
    expect(skipNotes[0]).toMatch(/^HF torch\.compile was skipped \(small fp32 SUBJ .*, small fp32 fixed 128\): torch\.compile left out by --quick/);
    expect(stderr.match(/HF torch\.compile skipped: /g) ?? []).toHaveLength(1);
    for (const shape of ['subj', 'fixed']) {
      for (const peer of ['ours', 'hf-eager']) {
        const row = results.rows.find((r) => r.shape === shape && r.peer === peer) as Row;
        expect(row).toBeDefined();
        expect(row).toMatchObject({ config: 'small', precision: 'fp32', status: 'ok', batchSize: 16 });
        expect(row.times).toHaveLength(4); // 2 rounds x 2 steps
        for (const key of ['medianStepS', 'minStepS', 'maxStepS', 'samplesPerS', 'tokensPerS', 'peakRssMiB', 'ratio'] as const) {
          expect({ key, ok: positive(row[key]) }).toEqual({ key, ok: true });
        }
        expect(row.minStepS as number).toBeLessThanOrEqual(row.medianStepS as number);
        expect(row.medianStepS as number).toBeLessThanOrEqual(row.maxStepS as number);
        expect(row.samplesPerS).toBeCloseTo(16 / (row.medianStepS as number), 6);
        if (peer === 'hf-eager') expect(row.ratio).toBe(1);
      }
    }
    const fixed = results.rows.find((r) => r.shape === 'fixed') as Row;
    expect(fixed.meanSeqLen).toBe(128);
    expect(fixed.meanTokens).toBe(16 * 128);
    const subj = results.rows.find((r) => r.shape === 'subj') as Row;
    expect(subj.meanTokens).toBeLessThanOrEqual(16 * subj.meanSeqLen); // padded to the longest of each batch
    expect(subj.meanSeqLen).toBeLessThanOrEqual(128);
  });

  test('the markdown table is printed last, with its header and a row per peer', () => {
    const md = read('.md');
    expect(stdout.trimEnd().endsWith(md.trimEnd())).toBe(true);
    const lines = md.split('\n');
    expect(lines).toContain('| config | precision | batches | tool | step ms (median) | min-max ms | samples/s | non-pad tokens/s | peak RSS MiB | vs HF eager |');
    const rows = lines.filter((l) => l.startsWith('| small | fp32 |'));
    expect(rows).toHaveLength(4);
    for (const tool of ['albert-trainer', 'HF eager']) expect(rows.filter((l) => l.includes(`| ${tool} |`))).toHaveLength(2);
    expect(lines.filter((l) => l.includes('skipped'))).toHaveLength(1); // the note, once
  });

  test('the SVG chart is well-formed, with one bar per ratio to HF eager', () => {
    const svg = read('.svg');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(balancedTags(svg)).toBe(true);
    expect(svg.match(/<rect\b/g) ?? []).toHaveLength(2); // albert-trainer on subj and on fixed; HF eager is the 1.0 line
  });
});
