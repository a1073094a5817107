// The old entry point of the step benchmark, kept so that existing command lines still work
// (`node build/bench/benchmarks/step.js --device cuda --configs small,large --amps off,bf16
// --steps 10 --rounds 3 --warmup 3 --seq-len 34`): it runs the suite (benchmarks/suite.ts)
// with the same flags.
import { runSuite } from './suite';

runSuite(process.argv.slice(2)).then((code) => process.exit(code), (error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
