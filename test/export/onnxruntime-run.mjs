// Runs an ONNX classifier with onnxruntime-node outside jest (whose sandboxed globals fail
// onnxruntime's typed-array checks): stdin {file, batches: [{input_ids, attention_mask,
// token_type_ids, batch_size, seq_len}]} with flat int arrays; stdout a JSON array of flat logits.
import * as ort from 'onnxruntime-node';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const { file, batches } = JSON.parse(input);
const session = await ort.InferenceSession.create(file);
const results = [];
for (const batch of batches) {
  const int64 = (values) => new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), [batch.batch_size, batch.seq_len]);
  const { logits } = await session.run({ input_ids: int64(batch.input_ids), attention_mask: int64(batch.attention_mask), token_type_ids: int64(batch.token_type_ids) });
  results.push(Array.from(logits.data));
}
process.stdout.write(`${JSON.stringify(results)}\n`);
