// The end-to-end figure, albert-trainer's side: one SUBJ epoch (or its first N steps) with this
// trainer's defaults through train(): shuffled, length-grouped batches padded one ahead while
// the step runs, the reference run's hyperparameters, no evaluation. Its own node process.
// Args: one JSON object {modelDir, trainFile, tokenizerDir, amp, steps (0: the epoch), threads,
// device}. Prints one JSON line.
import { AlbertForSequenceClassification, AlbertTokenizer, readDataset, setNumThreads, train, trainingArguments } from '../../ts/index';

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]) as { modelDir: string; trainFile: string; tokenizerDir: string; amp: 'fp32' | 'bf16' | 'fp16';
    steps: number; threads: number; device: 'cpu' | 'cuda' };
  const wallStart = process.hrtime.bigint();
  setNumThreads(job.threads);
  const tokenizer = await AlbertTokenizer.fromDirectory(job.tokenizerDir);
  const rows = readDataset(job.trainFile).rows;
  const examples = rows.map((row) => ({ ...tokenizer.encode(row.text, row.textPair), label: row.label }));
  const model = await AlbertForSequenceClassification.fromPretrained(job.modelDir, { device: job.device });
  const args = trainingArguments({
    numTrainEpochs: 1, maxSteps: job.steps > 0 ? job.steps : -1, groupByLength: true, evalStrategy: 'no', saveStrategy: 'no',
    amp: job.amp === 'fp32' ? 'off' : job.amp,
  });
  const result = await train({ model, train: examples, padTokenId: tokenizer.padTokenId, args });
  model.dispose();
  const samples = Math.min(result.globalStep * args.perDeviceTrainBatchSize, examples.length);
  process.stdout.write(`${JSON.stringify({
    steps: result.globalStep, samples, trainSeconds: result.trainSeconds, samplesPerS: samples / result.trainSeconds,
    wallSeconds: Number(process.hrtime.bigint() - wallStart) / 1e9, peakRssMiB: process.resourceUsage().maxRSS / 1024,
  })}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
