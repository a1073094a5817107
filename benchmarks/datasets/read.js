// Reads one file with albert-trainer's reader (dist/) and prints seconds and peak RSS as JSON.
// node benchmarks/datasets/read.js FILE
const { readSplit } = require('../../dist/data/read-split');
(async () => {
  const started = process.hrtime.bigint();
  const data = await readSplit([process.argv[2]]);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(JSON.stringify({ reader: 'albert-trainer', file: process.argv[2], rows: data.rows.length, seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024 }));
})();
