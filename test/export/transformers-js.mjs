// Runs transformers.js's text-classification pipeline offline on an exported folder, as its users
// load one: argv[2] the folder, argv[3] the dtype ('fp32' or 'q8'); stdin a JSON array of texts;
// stdout one JSON array of {label, score} (the pipeline's top class for each text).
import * as path from 'path';
import { env, pipeline } from '@huggingface/transformers';

const [dir, dtype] = process.argv.slice(2);
env.allowRemoteModels = false;
env.localModelPath = path.dirname(path.resolve(dir));
let input = '';
for await (const chunk of process.stdin) input += chunk;
const classify = await pipeline('text-classification', path.basename(dir), { dtype });
const results = [];
for (const text of JSON.parse(input)) results.push((await classify(text))[0]);
process.stdout.write(`${JSON.stringify(results)}\n`);
