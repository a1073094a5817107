// The benchmark suite: one training step of albert-trainer (public TS API, data pipeline
// included) against HF transformers' AlbertForSequenceClassification + torch.optim.AdamW,
// eager and under torch.compile, on the same seeded weights, the same batches (one file every
// peer reads) and the same hyperparameters; peers alternate round by round after a warm-up;
// medians and min-max spread, samples/s, non-padding tokens/s, peak RSS (peak GPU memory on
// CUDA) and the ratio to HF eager per row. With --e2e, one SUBJ epoch per tool with its own
// defaults. Writes <machine>-<date>.{json,md,svg} into ./benchmarks/results (or --output-dir),
// <machine> naming the CPU and its cores (benchmarks/machine.ts), and prints the markdown table
// last. A peer skipped on every row it would run on is said once, in the notes.
//
//   npm run bench -- [--quick] [--configs small,base,large] [--amps fp32,bf16] [--e2e] ...  (--help)
//
// Files: options.ts (flags, presets), configs.ts (paths, model configs), batches.ts (the batch
// files), step-row.ts (one row, peers alternating), peer-process.ts (JSON lines to a peer), machine.ts,
// peers/ (ours.ts, hf_peer.py, ours_e2e.ts, hf_e2e.py), e2e.ts, memory.ts, stats.ts,
// results.ts (the record), report.ts (JSON, markdown), chart.ts (SVG).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { batchStats, makeBatches, writeBatchFile } from './batches';
import { CONFIGS, PYTHON, SUBJ_TRAIN, TOKENIZER_DIR, makeModel } from './configs';
import { benchE2e } from './e2e';
import { cpuFacts, describeCpu, machineFileName } from './machine';
import { type Options, USAGE, parseOptions } from './options';
import { markdown, writeResults } from './report';
import { type Machine, type Results, type StepRow, TOOL_NAMES, shapeLabel } from './results';
import { type LoadReply, benchRow } from './step-row';

function checkInputs(options: Options): void {
  if (!fs.existsSync(PYTHON)) throw new Error(`no python with torch + transformers at ${PYTHON}: set ALBERT_TRAINER_PYTHON or run \`npm install\``);
  if (options.shapes.includes('subj') || options.e2e) {
    for (const file of [SUBJ_TRAIN, path.join(TOKENIZER_DIR, 'tokenizer.json')]) {
      if (!fs.existsSync(file)) throw new Error(`${file} is missing (set ALBERT_TRAINER_DATA to the folder with subj/ and albert-v2-tokenizer/)`);
    }
  }
}

function describeMachine(m: Machine, cpu: string): string {
  const gpu = m.gpu ? `${m.gpu}; ` : '';
  const bf16 = m.cpuBf16Unit ? ` (bf16 unit: ${m.cpuBf16Unit === 'amx' ? 'AMX' : m.cpuBf16Unit === 'avx512_bf16' ? 'AVX512-BF16, no AMX' : 'none'})` : '';
  const path = m.oursCpuPath ? `; our CPU step: ${m.oursCpuPath}` : '';
  return `${gpu}${cpu}${bf16}, ${m.threads} threads${path}; albert-trainer ${m.albertTrainer ?? '?'} on libtorch ${m.libtorch ?? '?'}` +
    `, node ${m.node}; transformers ${m.transformers ?? '?'} + torch ${m.torch ?? '?'}, python ${m.python ?? '?'}`;
}

/**
 * Skipped rows leave the table: each peer's skips are one note (its reason, said once, and the
 * rows it left out) instead of the same reason on every row.
 */
function sayEachSkipOnce(rows: StepRow[], notes: string[]): StepRow[] {
  const skipped = new Map<string, StepRow[]>();
  for (const r of rows.filter((row) => row.status === 'skipped')) {
    const key = `${r.tool}\u0000${r.reason ?? ''}`;
    skipped.set(key, [...(skipped.get(key) ?? []), r]);
  }
  for (const group of skipped.values()) {
    const where = group.map((r) => `${r.config} ${r.precision} ${shapeLabel(r)}`).join(', ');
    notes.push(`${group[0].tool} was skipped (${where}): ${group[0].reason ?? 'no reason given'}.`);
  }
  return rows.filter((row) => row.status !== 'skipped');
}

export async function runSuite(argv: readonly string[]): Promise<number> {
  const options = parseOptions(argv);
  if (!options) {
    process.stdout.write(USAGE);
    return 0;
  }
  checkInputs(options);
  const started = Date.now();
  const cpu = cpuFacts();
  const machine: Machine = { description: '', cpu: cpu.model, cores: cpu.cores, threads: options.threads,
    platform: `${os.platform()} ${os.release()}`, node: process.versions.node };
  let oursAten: LoadReply | undefined;  // what the ours-aten peer said at load, when it ran
  const onLoad = (peer: string, reply: LoadReply) => {
    if (peer === 'ours') {
      Object.assign(machine, { libtorch: String(reply.libtorch), albertTrainer: String(reply.version), cpuBf16Unit: String(reply.cpuBf16Unit),
        oursCpuPath: `${String(reply.cpuVectorPath)} loops, fused CPU kernels ${reply.cpuFusedKernels ? 'on' : 'off'}` });
    } else if (peer === 'ours-aten') {
      oursAten = reply;
    } else {
      Object.assign(machine, { torch: String(reply.torch), transformers: String(reply.transformers), python: String(reply.python), ...(reply.gpu ? { gpu: String(reply.gpu) } : {}) });
    }
  };
  const notes: string[] = [];
  if (!options.peers.includes('hf-compile')) notes.push('torch.compile was not run (--peers leaves out hf-compile).');
  for (const config of options.configs) {
    const left = options.shapes.filter((s) => !options.shapesFor[config].includes(s));
    if (left.length > 0) notes.push(`${config} ran without the ${left.join(', ')} batches (a CPU default, to keep the suite under 15 minutes; --shapes ${options.shapes.join(',')} runs them).`);
  }
  const results: Results = { schema: 'albert-trainer-bench/1', date: new Date().toISOString().slice(0, 10), machine,
    options: (({ outDir, ...rest }) => rest)(options), rows: [], e2e: [], notes, elapsedS: 0 };
  const skipsSaid = new Set<string>();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-bench-'));
  try {
    const modelDirs = new Map<string, string>();
    const modelDir = (config: string) => {
      if (!modelDirs.has(config)) {
        const dir = path.join(tmp, config);
        makeModel(config, dir, 42);
        modelDirs.set(config, dir);
      }
      return modelDirs.get(config) as string;
    };
    for (const config of options.configs) {
      const schedule = options.schedules[config];
      const vocab = CONFIGS[config]().vocab_size as number;
      for (const shape of options.shapesFor[config]) {
        const batches = await makeBatches(shape, schedule.warmup + schedule.rounds * schedule.steps, options.batchSize, options.seqLen, vocab);
        const batchFile = path.join(tmp, `${config}-${shape}.json`);
        writeBatchFile(batchFile, batches);
        const { meanSeqLen, meanTokens } = batchStats(batches, schedule.warmup);
        for (const precision of options.precisions) {
          const running = options.peers.filter((p) => p !== 'hf-compile' || options.compileConfigs.includes(config));
          process.stderr.write(`${config} ${precision} ${shape}: ${running.map((p) => TOOL_NAMES[p]).join(', ')} ...\n`);
          const rows = await benchRow({ config, precision, shape, modelDir: modelDir(config), batchFile, meanSeqLen, meanTokens }, options, onLoad);
          for (const r of rows) {
            if (r.status === 'ok') process.stderr.write(`  ${r.tool}: ${r.samplesPerS?.toFixed(1)} samples/s${r.ratio !== undefined ? `, ${r.ratio.toFixed(2)}x HF eager` : ''}\n`);
            const said = `${r.tool}: ${r.reason}`;
            if (r.status === 'skipped' && !skipsSaid.has(said)) {
              skipsSaid.add(said);
              process.stderr.write(`  ${r.tool} skipped: ${r.reason}\n`);
            }
          }
          results.rows.push(...rows);
        }
      }
    }
    if (options.e2e) {
      for (const config of options.e2eConfigs) {
        for (const precision of options.precisions) results.e2e.push(...(await benchE2e(config, precision, modelDir(config), options)));
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const compiled = results.rows.filter((r) => r.compileS !== undefined);
  if (compiled.length > 0) {
    notes.push(`torch.compile compiled at load, before its warm-up: ${compiled.map((r) => `${r.config} ${r.precision} ${r.shape} ${Math.round(r.compileS as number)} s`).join(', ')}.`);
  }
  const captured = results.rows.filter((r) => r.captureS !== undefined);
  if (captured.length) {
    notes.push(`albert-trainer captured its CUDA graphs at load (two steps at lr 0 per batch size and length rounded up to 16), before its warm-up: ${captured.map((r) => `${r.config} ${r.precision} ${r.shape} ${r.graphs} graphs in ${(r.captureS as number).toFixed(1)} s`).join(', ')}.`);
  }
  const compileFailures = results.rows.filter((r) => r.peer === 'hf-compile' && r.status === 'failed');
  if (compileFailures.length > 0) notes.push(`torch.compile failed on this machine: ${compileFailures[0].reason}`);
  if (oursAten) {
    notes.push(`${TOOL_NAMES['ours-aten']}: the same step with ALBERT_CPU_FUSED=0, fused CPU kernels ${oursAten.cpuFusedKernels ? 'still on (the variable was not honoured)' : 'off'}.`);
  }
  results.rows = sayEachSkipOnce(results.rows, notes);
  machine.description = describeMachine(machine, describeCpu(cpu));
  results.options.machine = options.machine || machineFileName(options.device, cpu, machine.gpu);
  results.elapsedS = (Date.now() - started) / 1000;
  notes.push(`Suite wall time ${Math.round(results.elapsedS)} s.`);
  const files = writeResults(results, options.outDir);
  process.stderr.write(`\nwritten: ${files.json}\n         ${files.md}\n         ${files.svg}\n\n`);
  process.stdout.write(markdown(results));
  return 0;
}

if (require.main === module) {
  runSuite(process.argv.slice(2)).then((code) => process.exit(code), (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
