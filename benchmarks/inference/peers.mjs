// One inference peer in its own process (so its peak RSS is its own): classifies SUBJ test
// sentences and prints {peer, sentences_per_s, seconds, max_rss_mb} as one JSON line.
//   node peers.mjs PEER MODEL_DIR EXPORT_DIR BATCH ORDER(input|sorted) N
// PEER: ours-fp32 | ours-bf16 (albert-trainer predict: libtorch, length-sorted, packed),
//       ort (onnxruntime-node on onnx/model.onnx, transformers.js's tokenizer, padded batches),
//       tjs-fp32 | tjs-q8 (transformers.js pipeline('text-classification')).
// Timing starts after loading and one warm-up batch; ORDER 'sorted' hands the peer its texts
// sorted by length (ours sorts whatever it is given).
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';

const [peer, modelDir, exportDir, batchText, order, countText] = process.argv.slice(2);
const batchSize = Number(batchText);
const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const data = process.env.ALBERT_TRAINER_DATA ?? path.resolve(root, '..', 'shared', 'data');
let texts = fs.readFileSync(path.join(data, 'subj', 'test.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).text).slice(0, Number(countText));
if (order === 'sorted') texts = [...texts].sort((a, b) => a.length - b.length);
const batches = [];
for (let i = 0; i < texts.length; i += batchSize) batches.push(texts.slice(i, i + batchSize));

let classify; // (texts) => Promise<unknown>
if (peer.startsWith('ours')) {
  const { AlbertForSequenceClassification, AlbertTokenizer, predict } = require(path.join(root, 'dist'));
  const model = await AlbertForSequenceClassification.fromPretrained(modelDir, { strict: true });
  const tokenizer = await AlbertTokenizer.fromDirectory(modelDir);
  const amp = peer === 'ours-bf16' ? 'bf16' : 'off';
  classify = (batch) => predict(model, tokenizer, batch, { batchSize, amp, maxLength: 128 });
} else if (peer === 'ort') {
  const ort = await import('onnxruntime-node');
  const { AutoTokenizer, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.localModelPath = path.dirname(path.resolve(exportDir));
  const tokenizer = await AutoTokenizer.from_pretrained(path.basename(exportDir));
  const session = await ort.InferenceSession.create(path.join(exportDir, 'onnx', 'model.onnx'));
  classify = async (batch) => {
    const encoded = tokenizer(batch, { padding: true, truncation: true, max_length: 128 });
    const feeds = {};
    for (const name of ['input_ids', 'attention_mask', 'token_type_ids']) feeds[name] = new ort.Tensor('int64', encoded[name].data, encoded[name].dims);
    return (await session.run(feeds)).logits;
  };
} else {
  const { env, pipeline } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.localModelPath = path.dirname(path.resolve(exportDir));
  const pipe = await pipeline('text-classification', path.basename(exportDir), { dtype: peer === 'tjs-q8' ? 'q8' : 'fp32' });
  classify = (batch) => pipe(batch);
}
await classify(batches[0]);
const started = performance.now();
for (const batch of batches) await classify(batch);
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ peer, batch: batchSize, order, sentences_per_s: texts.length / seconds, seconds, max_rss_mb: process.resourceUsage().maxRSS / 1024 })}\n`);
