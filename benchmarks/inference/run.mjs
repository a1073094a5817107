// The inference table of issue 19: sentences per second on SUBJ's test sentences, batch 1 and
// batch 32, for each peer with its users' defaults (texts in file order) and, at batch 32, with
// every peer handed length-sorted texts (ours sorts either way), so the table separates our
// algorithm from our engine. Peak RSS per peer process. One run, this machine.
//   node benchmarks/inference/run.mjs NAME MODEL_DIR EXPORT_DIR [N] > benchmarks/results/inference-NAME.md
// MODEL_DIR: a trained folder (HF's pipeline and ours read it); EXPORT_DIR: its `albert-train export --quantize`.
import { execFileSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';

const [name, modelDir, exportDir, countText = '2000'] = process.argv.slice(2);
const here = path.dirname(new URL(import.meta.url).pathname);
const python = path.resolve(here, '..', '..', '.venv', 'bin', 'python');
const PEERS = ['ours-fp32', 'ours-bf16', 'ort', 'tjs-fp32', 'tjs-q8', 'hf-pipeline'];
const LABELS = { 'ours-fp32': 'albert-trainer predict fp32', 'ours-bf16': 'albert-trainer predict bf16', ort: 'onnxruntime-node (export)',
  'tjs-fp32': 'transformers.js fp32', 'tjs-q8': 'transformers.js q8', 'hf-pipeline': 'HF pipeline (Python)' };
const runs = [[1, 'input'], [32, 'input'], [32, 'sorted']];
const env = { ...process.env, OMP_NUM_THREADS: String(os.cpus().length) };
const results = {};
for (const peer of PEERS) {
  for (const [batch, order] of runs) {
    const args = peer === 'hf-pipeline'
      ? [python, [path.join(here, 'hf_peer.py'), modelDir, String(batch), order, countText]]
      : [process.execPath, [path.join(here, 'peers.mjs'), peer, modelDir, exportDir, String(batch), order, countText]];
    const out = execFileSync(args[0], args[1], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').pop();
    results[`${peer} ${batch} ${order}`] = JSON.parse(out);
    process.stderr.write(`${out}\n`);
  }
}
const cpu = os.cpus()[0].model.trim();
const lines = [
  `# Inference on SUBJ, ${name}`, '',
  `${countText} SUBJ test sentences, max 128 tokens; ${os.cpus().length} threads on ${cpu}; ${new Date().toISOString().slice(0, 10)}; one run.`,
  'Sentences per second (peak RSS of the peer\'s process, MB).', '',
  '| peer | batch 1 | batch 32 | batch 32, texts sorted by length |', '|---|---|---|---|',
];
for (const peer of PEERS) {
  const cell = (batch, order) => { const r = results[`${peer} ${batch} ${order}`]; return `${r.sentences_per_s.toFixed(1)} (${Math.round(r.max_rss_mb)})`; };
  lines.push(`| ${LABELS[peer]} | ${cell(1, 'input')} | ${cell(32, 'input')} | ${cell(32, 'sorted')} |`);
}
process.stdout.write(`${lines.join('\n')}\n`);
