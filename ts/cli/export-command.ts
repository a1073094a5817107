// `albert-train export --model DIR --format onnx --output OUT`: a trained model folder (or hub
// id) as the folder transformers.js and onnxruntime load (ts/export/export-onnx.ts). The model
// loads strictly: it must hold a trained classifier.
import type { Argv } from 'yargs';
import { AlbertTokenizer } from '../data/tokenizer';
import { exportOnnx } from '../export/export-onnx';
import { AlbertForSequenceClassification } from '../model/albert';
import { trainedModelFolder } from './inference-inputs';

export function exportOptions(y: Argv) {
  return y
    .option('model', { type: 'string', demandOption: true, describe: 'a trained model folder (albert-train train\'s output) or HF hub id' })
    .option('format', { choices: ['onnx'] as const, default: 'onnx' as const, describe: 'onnx: the layout transformers.js loads (onnx/model.onnx, config.json, tokenizer files)' })
    .option('output', { type: 'string', demandOption: true, describe: 'the folder to write (must not exist, unless --overwrite-output-dir)' })
    .option('quantize', { type: 'boolean', default: false, describe: 'also write onnx/model_quantized.onnx: int8 weights (transformers.js dtype "q8")' })
    .option('overwrite-output-dir', { type: 'boolean', default: false, describe: 'replace --output if it exists' })
    .option('tokenizer', { type: 'string', describe: 'tokenizer folder (default: the model\'s)' });
}

type ExportFlags = Awaited<ReturnType<ReturnType<typeof exportOptions>['parseAsync']>>;

export async function runExport(flags: ExportFlags): Promise<void> {
  const folder = await trainedModelFolder(flags.model);
  const tokenizer = await AlbertTokenizer.fromDirectory(flags.tokenizer ?? folder.resolved.tokenizerDir);
  const model = await AlbertForSequenceClassification.fromPretrained(folder.weightsDir, { strict: true });
  try {
    const started = Date.now();
    const exported = await exportOnnx(model, flags.output, { tokenizer, quantize: flags.quantize, overwrite: flags['overwrite-output-dir'] });
    const sizes = Object.entries(exported.files).filter(([name]) => name.startsWith('onnx/')).map(([name, bytes]) => `${name} ${(bytes / 1e6).toFixed(1)} MB`);
    process.stdout.write(`exported ${flags.model} to ${exported.dir} (${sizes.join(', ')}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  } finally {
    model.dispose();
  }
}
