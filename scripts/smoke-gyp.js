// Smoke test of the node-gyp addon (build/gyp/build/Release/albert_native.node, made by
// `npm run build:gyp`): loads it in a child node with ALBERT_TRAINER_ADDON=<that file>,
// through the compiled TypeScript (dist/native.js: the one door to the addon), and checks:
//   - native().info().torchVersion is a string (the addon loads and links libtorch);
//   - dist/index.js, if built, loads too;
//   - the addon exports Model: a tiny model constructs, lists its parameters, gives finite
//     logits of the right length from forward(), and is disposed.
// A failure to load, a missing export or any failed check prints why and exits 1.
//
//   node scripts/smoke-gyp.js [addon.node]    (npm run smoke:gyp)
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { ROOT, log, fail, main, since } = require('./util');
const { GYP_ADDON } = require('./build-gyp');

// Runs in the child: one JSON line per check on stdout; throws (exit 1) on a failed check.
const CHILD = String.raw`
'use strict';
const assert = require('assert');
const path = require('path');
const fs = require('fs');
const say = (check, detail) => console.log(JSON.stringify({ check, detail }));

// A tiny config: through dist/model/config.js (HF field names, HF defaults for the rest)
// when it is built, so new fields need no change here; else spelled out.
function tinyConfig() {
  const hf = {
    vocab_size: 64, embedding_size: 8, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2,
    intermediate_size: 32, max_position_embeddings: 32, hidden_dropout_prob: 0,
    attention_probs_dropout_prob: 0, classifier_dropout_prob: 0,
  };
  const file = path.join(process.cwd(), 'dist', 'model', 'config.js');
  const mod = fs.existsSync(file) ? require(file) : {};
  if (typeof mod.albertConfig === 'function' && typeof mod.toNativeConfig === 'function') {
    return mod.toNativeConfig(mod.albertConfig(hf));
  }
  return {
    vocabSize: 64, embeddingSize: 8, hiddenSize: 16, numHiddenLayers: 2, numHiddenGroups: 1,
    numAttentionHeads: 2, intermediateSize: 32, innerGroupNum: 1, hiddenAct: 'gelu_new',
    hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, maxPositionEmbeddings: 32,
    typeVocabSize: 2, initializerRange: 0.02, layerNormEps: 1e-12, classifierDropoutProb: 0,
    numLabels: 2, padTokenId: 0, problemType: 'single_label_classification',
  };
}

async function smoke() {
  const { native } = require(path.join(process.cwd(), 'dist', 'native.js'));
  const binding = native();
  const loaded = Object.values(require.cache).find((m) => m.filename.endsWith('.node'));
  assert.ok(loaded, 'no .node module was loaded');
  assert.strictEqual(fs.realpathSync(loaded.filename), fs.realpathSync(process.env.ALBERT_TRAINER_ADDON),
    'dist/native.js loaded ' + loaded.filename + ', not ALBERT_TRAINER_ADDON');
  say('load', loaded.filename + ' exports ' + Object.keys(binding).sort().join(', '));

  assert.strictEqual(typeof binding.info, 'function', 'the addon does not export info()');
  const info = binding.info();
  assert.strictEqual(typeof info.torchVersion, 'string', 'info().torchVersion is not a string');
  assert.ok(info.torchVersion.length > 0, 'info().torchVersion is empty');
  say('info', JSON.stringify(info));

  if (fs.existsSync(path.join(process.cwd(), 'dist', 'index.js'))) {
    const api = require(path.join(process.cwd(), 'dist', 'index.js'));
    say('index', 'dist/index.js exports ' + Object.keys(api).sort().join(', '));
  }

  assert.strictEqual(typeof binding.Model, 'function', 'the addon exports no Model');
  const config = tinyConfig();
  const model = new binding.Model(config, { seed: 1, device: 'cpu' });
  for (const method of ['parameters', 'forward', 'dispose']) {
    assert.strictEqual(typeof model[method], 'function', 'Model has no ' + method + '()');
  }
  const params = model.parameters();
  assert.ok(Array.isArray(params) && params.length > 0, 'parameters() is empty');
  const B = 2, T = 5;
  const inputIds = Int32Array.from({ length: B * T }, (_, i) => 2 + (i % 60));
  const attentionMask = new Int32Array(B * T).fill(1);
  const result = await model.forward({ inputIds, attentionMask, batchSize: B, seqLen: T }, { amp: 'off' });
  assert.strictEqual(result.logits.length, B * config.numLabels, 'forward(): logits have the wrong length');
  assert.ok(Array.from(result.logits).every(Number.isFinite), 'forward(): logits are not finite');
  model.dispose();
  say('model', 'constructed, ' + params.length + ' parameters, forward ok (logits ' +
    Array.from(result.logits).map((x) => x.toFixed(4)).join(' ') + '), disposed');
}

smoke().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});
`;

function smokeGyp() {
  const addon = path.resolve(process.argv[2] || GYP_ADDON);
  if (!fs.existsSync(addon)) fail(`${path.relative(ROOT, addon)} is missing: run \`npm run build:gyp\` first`);
  if (!fs.existsSync(path.join(ROOT, 'dist', 'native.js'))) fail('dist/native.js is missing: run `npm run build:ts` (or `npm install`) first');
  const start = Date.now();
  const child = spawnSync(process.execPath, ['-e', CHILD], {
    cwd: ROOT,
    env: { ...process.env, ALBERT_TRAINER_ADDON: addon },
    encoding: 'utf8',
    timeout: 120000,
  });
  for (const line of (child.stdout || '').split('\n').filter(Boolean)) {
    try {
      const { check, detail } = JSON.parse(line);
      log(`smoke ${check}: ${detail}`);
    } catch {
      console.log(line);
    }
  }
  if (child.status !== 0) {
    process.stderr.write(child.stderr || '');
    const why = child.error ? child.error.message : child.signal ? `killed by ${child.signal}` : `exit ${child.status}`;
    fail(`smoke test FAILED (${why}): ${addon}`);
  }
  log(`smoke test passed: ${path.relative(ROOT, addon)} (${since(start)})`);
}

if (require.main === module) main(smokeGyp);

module.exports = { smokeGyp };
