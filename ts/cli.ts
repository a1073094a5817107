#!/usr/bin/env node
// albert-train: the command line. Commands: `train` (ts/cli/train-command.ts), `eval` (score a
// trained model on a labelled file: ts/cli/eval-command.ts), `predict` (classify texts, JSONL
// out: ts/cli/predict-command.ts), `export` (ONNX for transformers.js and onnxruntime:
// ts/cli/export-command.ts), `bench` (the benchmark suite against HF transformers:
// ts/cli/bench-command.ts runs benchmarks/suite.ts), `info` (which addon and libtorch) and `setup`
// (what the install script does, when it did not run: ts/cli/setup-command.ts). Every error goes
// through the one .fail handler: `albert-train: CODE: message`, exit 2.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { benchOptions, runBench } from './cli/bench-command';
import { evalOptions, runEval } from './cli/eval-command';
import { exportOptions, runExport } from './cli/export-command';
import { predictOptions, runPredict } from './cli/predict-command';
import { runSetup, setupOptions } from './cli/setup-command';
import { runTrain, trainOptions } from './cli/train-command';
import { info } from './info';

const ADDON_KINDS = { prebuilt: 'prebuilt', source: 'built from source', ALBERT_TRAINER_ADDON: 'from ALBERT_TRAINER_ADDON' } as const;

function printInfo(json: boolean): void {
  const facts = info();
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
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [key, value] of rows) process.stdout.write(`${key.padEnd(width)}  ${value}\n`);
}

void yargs(hideBin(process.argv))
  .scriptName('albert-train')
  .command('train', 'fine-tune (or train from scratch) an ALBERT sequence classifier', trainOptions, runTrain)
  .command('eval', 'loss, accuracy, macro-F1 and confusion matrix of a trained model on a labelled file', evalOptions, runEval)
  .command('predict', 'classify texts (--text or --file) with a trained model; one JSON line per input', predictOptions, runPredict)
  .command('export', 'write a trained model as ONNX: the folder transformers.js and onnxruntime load (onnx/model.onnx, config.json, tokenizer files)', exportOptions, runExport)
  .command('bench', 'time a training step (and an epoch) against HF transformers eager and torch.compile; writes benchmarks/results/', benchOptions, runBench)
  .command('info', 'versions, device, threads and AMP support of this installation', (y) =>
    y.option('json', { type: 'boolean', default: false, describe: 'print one JSON object' }),
  // async: an error (the addon not set up, say) then reaches .fail like every command's.
  async (argv) => printInfo(argv.json))
  .command('setup', 'set up the native addon (libtorch, then the prebuilt addon or a build from source): what the install script does, when it did not run', setupOptions, runSetup)
  .demandCommand(1, 'name a command (see --help)')
  .strict()
  .fail((message, error) => {
    const text = error ? `${(error as Error & { code?: string }).code ?? 'ERROR'}: ${error.message}` : message;
    process.stderr.write(`albert-train: ${text}\n`);
    process.exit(2);
  })
  .help()
  .parseAsync();
