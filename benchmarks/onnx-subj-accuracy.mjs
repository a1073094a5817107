// Accuracy of an exported classifier on SUBJ's test split, as transformers.js users run it:
// pipeline('text-classification') offline with dtype fp32 and q8 (onnx/model.onnx and
// onnx/model_quantized.onnx), and how many labels the two disagree on.
//   node benchmarks/onnx-subj-accuracy.mjs EXPORTED_DIR [SUBJ_TEST_JSONL]
import * as fs from 'fs';
import * as path from 'path';
import { env, pipeline } from '@huggingface/transformers';

const [dir, testFile = path.resolve('..', 'shared', 'data', 'subj', 'test.jsonl')] = process.argv.slice(2);
env.allowRemoteModels = false;
env.localModelPath = path.dirname(path.resolve(dir));
const rows = fs.readFileSync(testFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
const labels = {};
for (const dtype of ['fp32', 'q8']) {
  const classify = await pipeline('text-classification', path.basename(dir), { dtype });
  const started = performance.now();
  labels[dtype] = [];
  for (const row of rows) labels[dtype].push(config.label2id[(await classify(row.text))[0].label]);
  const correct = labels[dtype].filter((label, i) => label === rows[i].label).length;
  const bytes = fs.statSync(path.join(dir, 'onnx', dtype === 'fp32' ? 'model.onnx' : 'model_quantized.onnx')).size;
  console.log(`${dtype}: accuracy ${(correct / rows.length).toFixed(4)} (${correct}/${rows.length}), ${(bytes / 1e6).toFixed(1)} MB, ` +
    `${(rows.length / ((performance.now() - started) / 1000)).toFixed(1)} sentences/s at batch 1`);
}
console.log(`labels that differ between fp32 and q8: ${labels.fp32.filter((label, i) => label !== labels.q8[i]).length}`);
