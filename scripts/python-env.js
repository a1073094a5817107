// The project's Python side: the .venv (made with python3 -m venv) and pip installs into it.
//
// pip's index: pip uses whatever its config and environment say (PIP_INDEX_URL,
// PIP_EXTRA_INDEX_URL, pip.conf; see `pip config list`), as it would by itself. Before
// an install we probe each http(s) index pip will use (TCP connect, short timeout). An index
// that cannot be reached (no DNS, no route: an offline machine with a local mirror as an
// extra index) makes pip retry every request 5 times with back-off, ~90 s extra on a torch
// install; then we pass `--retries 0` (and a short `--timeout` if the probe timed out), so
// pip fails over to the other indexes at once. With a proxy configured we do not probe.
// The one index we may add (PyTorch's CPU wheels for torch==x+cpu, which PyPI lacks) is
// added only when it can be reached. ALBERT_TRAINER_PIP_PROBE=0 turns the probe off.
'use strict';

const fs = require('fs');
const path = require('path');
const { log, fail, run, capture, since, missingPython, missingToolsMessage } = require('./util');

const PROBE_TIMEOUT_MS = 2500;
const DEFAULT_INDEX = 'https://pypi.org/simple';

/** Makes a venv at `dir` with `basePython` unless it is there and runs. */
function ensureVenv(dir, basePython = 'python3') {
  const python = venvBin(dir, 'python');
  if (fs.existsSync(python)) {
    if (capture(python, ['-c', 'pass'], { timeout: 30000 }).status === 0) return { python, created: false };
    fail(`${dir} is there but its python does not run (moved, or its Python was removed): delete it and run \`npm install\` again`);
  }
  const missing = missingPython(basePython);
  if (missing.length) fail(missingToolsMessage(missing));
  const start = Date.now();
  const existed = fs.existsSync(dir);
  const result = capture(basePython, ['-m', 'venv', dir], { timeout: 300000 });
  // A venv that failed half-way (no pip) would pass for a good one next time: remove it.
  const discard = () => existed || fs.rmSync(dir, { recursive: true, force: true });
  if (result.status !== 0) {
    discard();
    const why = (result.stderr || result.stdout).trim();
    if (/ensurepip|venv/.test(why)) fail(missingToolsMessage([{ what: 'the Python venv module with pip', apt: 'python3-venv' }]));
    fail(`\`${basePython} -m venv ${dir}\` failed:\n${why}`);
  }
  if (capture(python, ['-m', 'pip', '--version'], { timeout: 60000 }).status !== 0) {
    discard();
    fail(missingToolsMessage([{ what: `pip in the new venv (${dir})`, apt: 'python3-pip python3-venv' }]));
  }
  log(`created ${path.relative(process.cwd(), dir) || dir} with ${basePython} (${since(start)})`);
  return { python, created: true };
}

function venvBin(dir, name) {
  return process.platform === 'win32' ? path.join(dir, 'Scripts', `${name}.exe`) : path.join(dir, 'bin', name);
}

/** True when `python` runs inside a virtual environment (so installing into it is ours to do). */
function isVenv(python) {
  const result = capture(python, ['-c', 'import sys; print(sys.prefix != sys.base_prefix)'], { timeout: 30000 });
  return result.status === 0 && result.stdout.trim() === 'True';
}

// ---- which indexes pip will use, and can we reach them ---------------------------------------

/** pip's effective index URLs: PIP_* env, else `pip config list` (site > user > global). */
function pipIndexes(config) {
  const pick = (key) => {
    const envKey = `PIP_${key.toUpperCase().replace(/-/g, '_')}`;
    if (process.env[envKey] !== undefined) return process.env[envKey];
    for (const scope of ['site', 'user', 'global']) {
      if (config[`${scope}.${key}`] !== undefined) return config[`${scope}.${key}`];
    }
    return undefined;
  };
  const noIndex = /^(1|true|yes|on)$/i.test(pick('no-index') || '');
  if (noIndex) return [];
  const urls = [pick('index-url') || DEFAULT_INDEX, ...(pick('extra-index-url') || '').split(/\s+/)];
  return [...new Set(urls.filter(Boolean))];
}

/** `pip config list` as { 'global.index-url': value, ... }; {} if pip cannot say. */
function pipConfig(python) {
  const result = capture(python, ['-m', 'pip', 'config', 'list'], { timeout: 60000 });
  const config = {};
  if (result.status !== 0) return config;
  for (const line of result.stdout.split('\n')) {
    const match = /^([^=]+?)=(.*)$/.exec(line.trim());
    if (match) config[match[1]] = match[2].replace(/^'(.*)'$/, '$1');
  }
  return config;
}

function proxyConfigured(config) {
  const envProxy = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY', 'PIP_PROXY'];
  if (envProxy.some((k) => process.env[k])) return true;
  return Object.keys(config).some((k) => k.endsWith('.proxy'));
}

/**
 * The http(s) hosts among `urls` that do not answer a TCP connect within the timeout, as
 * [{ url, reason }]. Probed in a child process so a hung DNS lookup cannot hold us up.
 */
function unreachable(urls) {
  const targets = urls
    .map((url) => {
      try {
        const u = new URL(url);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
        return { url, host: u.hostname, port: Number(u.port) || (u.protocol === 'https:' ? 443 : 80) };
      } catch {
        return null;
      }
    })
    .filter(Boolean);
  if (!targets.length) return [];
  const probe = `
    const net = require('net');
    const targets = ${JSON.stringify(targets)};
    Promise.all(targets.map((t) => new Promise((done) => {
      const socket = net.connect({ host: t.host, port: t.port });
      const finish = (reason) => { socket.destroy(); done(reason ? { url: t.url, reason } : null); };
      socket.setTimeout(${PROBE_TIMEOUT_MS}, () => finish('timeout'));
      socket.on('connect', () => finish(null));
      socket.on('error', (e) => finish(e.code || e.message));
    }))).then((r) => { console.log(JSON.stringify(r.filter(Boolean))); process.exit(0); });`;
  const result = capture(process.execPath, ['-e', probe], { timeout: PROBE_TIMEOUT_MS + 2000 });
  if (result.status !== 0) return targets.map((t) => ({ url: t.url, reason: 'timeout' }));
  return JSON.parse(result.stdout.trim());
}

/**
 * Extra pip flags for this network: `--retries 0` when one of pip's indexes is out of
 * reach; `--extra-index-url` for each of `extraIndexes` that can be reached (the others
 * are left out rather than waited on).
 */
function pipNetworkFlags(python, extraIndexes = []) {
  if (process.env.ALBERT_TRAINER_PIP_PROBE === '0') return extraIndexes.flatMap((url) => ['--extra-index-url', url]);
  const config = pipConfig(python);
  const indexes = pipIndexes(config);
  const extras = extraIndexes.filter((url) => !indexes.includes(url));
  if (proxyConfigured(config)) return extras.flatMap((url) => ['--extra-index-url', url]);
  const bad = unreachable([...indexes, ...extras]);
  const badUrls = new Set(bad.map((b) => b.url));
  const flags = extras.filter((url) => !badUrls.has(url)).flatMap((url) => ['--extra-index-url', url]);
  const badIndexes = bad.filter((b) => indexes.includes(b.url));
  if (badIndexes.length) {
    const list = badIndexes.map((b) => `${b.url} (${b.reason})`).join(', ');
    log(`pip index out of reach: ${list}; passing pip --retries 0 so it does not wait on it`);
    flags.push('--retries', '0');
    if (badIndexes.some((b) => b.reason === 'timeout')) flags.push('--timeout', '5');
  }
  return flags;
}

/**
 * `python -m pip install <args>`, quiet unless it fails (then its output is shown) or
 * ALBERT_TRAINER_VERBOSE is set.
 */
function pipInstall(python, args, what, { extraIndexes = [] } = {}) {
  const start = Date.now();
  // --no-compile: pip would byte-compile every .py of torch and transformers (thousands, ~10 s);
  // python compiles the few that get imported on first use instead.
  const flags = ['--disable-pip-version-check', '--no-input', '--no-compile', ...pipNetworkFlags(python, extraIndexes)];
  log(`${what} ...`);
  const argv = ['-m', 'pip', 'install', ...flags, ...args];
  if (process.env.ALBERT_TRAINER_VERBOSE) {
    run(python, argv, { what: 'pip install' });
  } else {
    const result = capture(python, argv);
    if (result.status !== 0) {
      process.stderr.write(result.stdout + result.stderr);
      fail(`pip install failed (exit ${result.status}): \`${python} ${argv.join(' ')}\`; its output is above`);
    }
  }
  log(`${what}: done (${since(start)})`);
}

module.exports = { ensureVenv, isVenv, venvBin, pipInstall, pipNetworkFlags, pipConfig, pipIndexes, unreachable };
