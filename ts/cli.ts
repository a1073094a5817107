#!/usr/bin/env node
// albert-train: the command line. Commands: `train` (ts/cli/train-command.ts), `eval` (score a
// trained model on a labelled file: ts/cli/eval-command.ts), `predict` (classify texts, JSONL
// out: ts/cli/predict-command.ts), `export` (ONNX for transformers.js and onnxruntime:
// ts/cli/export-command.ts), `bench` (the benchmark suite against HF transformers:
// ts/cli/bench-command.ts runs benchmarks/suite.ts), `info` (which addon and libtorch) and `setup`
// (what the install script does, when it did not run: ts/cli/setup-command.ts). Every error goes
// through the one .fail handler: `albert-train: CODE: message`, exit 2. HF's flag spellings
// (--learning_rate) are read as ours; a misspelled flag or command gets a suggestion
// (ts/cli/suggest.ts).
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { benchOptions, runBench } from './cli/bench-command';
import { evalOptions, runEval } from './cli/eval-command';
import { exportOptions, runExport } from './cli/export-command';
import { predictOptions, runPredict } from './cli/predict-command';
import { runSetup, setupOptions } from './cli/setup-command';
import { runSweepCommand, sweepOptions } from './cli/sweep-command';
import { dataFolderFacts, describeDataFolder } from './cli/data-folder';
import { declaredFlags, hfSpellings, nonNumberValue, unknownFlags } from './cli/suggest';
import { runTrain, trainOptions } from './cli/train-command';
import { info } from './info';

const ADDON_KINDS = { prebuilt: 'prebuilt', source: 'built from source', ALBERT_TRAINER_ADDON: 'from ALBERT_TRAINER_ADDON' } as const;

function printInfo(json: boolean): void {
  const facts = { ...info(), dataFolder: dataFolderFacts() };
  if (json) {
    process.stdout.write(`${JSON.stringify(facts)}\n`);
    return;
  }
  const rows: Array<[string, string]> = [
    ['albert-trainer', facts.version],
    ['libtorch', `${facts.torchVersion}${facts.libtorchDir ? ` (${facts.libtorchDir})` : ''}`],
    ['addon', `${ADDON_KINDS[facts.addon]} (${facts.addonFile})`],
    ['node', facts.nodeVersion],
    ['@huggingface/tokenizers', facts.tokenizersVersion],
    ['built with CUDA', facts.builtWithCuda ? 'yes' : 'no'],
    ['CUDA devices', String(facts.cudaDeviceCount)],
    ['threads', String(facts.numThreads)],
    ['malloc tuning', facts.mallocTuned ? 'on (freed blocks up to 32 MB stay mapped)' : 'off'],
    ['AMP', `bf16 ${facts.bf16Supported ? 'supported' : 'not supported (no AVX512-BF16/AMX)'}${facts.cudaAvailable ? ', fp16 (CUDA)' : ''}`],
    ['CPU kernels', `${facts.cpuVectorPath} loops, bf16 unit ${facts.cpuBf16Unit}, fused bias+gelu_new and residual+LayerNorm ${facts.cpuFusedKernels ? 'on' : 'off'}`],
    ['data folder', describeDataFolder(facts.dataFolder)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [key, value] of rows) process.stdout.write(`${key.padEnd(width)}  ${value}\n`);
}

/** The one way out on a bad command line or a failed command: `albert-train: message` on stderr, exit 2. */
function fail(text: string): never {
  process.stderr.write(`albert-train: ${text}\n`);
  process.exit(2);
}

const argv = hfSpellings(hideBin(process.argv));
const firstWord = argv.find((arg) => !arg.startsWith('-'));

const cli = yargs(argv);
void cli
  .scriptName('albert-train')
  .command('train', 'fine-tune (or train from scratch) an ALBERT sequence classifier', trainOptions, runTrain)
  .command('sweep', 'train over a grid of learning rates, seeds, batch sizes and epochs (comma lists; other train flags pass through): a folder per run, resumable, with a summary (sweep.json, sweep.md, sweep.svg)', sweepOptions, runSweepCommand)
  .command('eval', 'loss, accuracy, macro-F1 and confusion matrix of a trained model on a labelled file', evalOptions, runEval)
  .command('predict', 'classify texts (--text or --file) with a trained model; one JSON line per input', predictOptions, runPredict)
  .command('export', 'write a trained model as ONNX: the folder transformers.js and onnxruntime load (onnx/model.onnx, config.json, tokenizer files)', exportOptions, runExport)
  .command('bench', 'time a training step (and an epoch) against HF transformers eager and torch.compile; writes ./benchmarks/results/ (or --output-dir)', benchOptions, runBench)
  .command('info', 'versions, device, threads and AMP support of this installation', (y) =>
    y.option('json', { type: 'boolean', default: false, describe: 'print one JSON object' }),
  // async: an error (the addon not set up, say) then reaches .fail like every command's.
  async (argv) => printInfo(argv.json))
  .command('setup', 'set up the native addon (libtorch, then the prebuilt addon or a build from source): what the install script does, when it did not run', setupOptions, runSetup)
  // Before yargs validates: a misspelled flag gets the nearest one, a number flag given a word says so.
  // (yargs parses a command on this same instance, so `cli` holds the command's options here.)
  .middleware(() => {
    const flags = declaredFlags(cli);
    const problem = flags && (unknownFlags(argv, flags) ?? nonNumberValue(argv, flags));
    if (problem) fail(problem);
  }, true)
  .recommendCommands()
  .demandCommand(1, 'name a command')
  .strict()
  .fail((message, error, y) => {
    if (error) fail(`${(error as Error & { code?: string }).code ?? 'ERROR'}: ${error.message}`);
    // No command, or a word that is not one: say so (with yargs' nearest command), then --help's list of commands.
    const notCommand = message.startsWith('Did you mean') || (firstWord !== undefined && message === `Unknown argument: ${firstWord}`);
    if (message.startsWith('name a command') || notCommand) {
      const nearest = /^Did you mean (.*)\?$/.exec(message)?.[1];
      process.stderr.write(`albert-train: ${notCommand ? `unknown command ${JSON.stringify(firstWord)}${nearest ? `; did you mean ${nearest}?` : ''}` : 'name a command'}\n\n`);
      y.showHelp((help) => process.stderr.write(`${help}\n`));
      process.exit(2);
    }
    fail(message);
  })
  .help()
  .parseAsync();
