// Shared helpers for the build scripts (scripts/*.js): progress lines prefixed
// `albert-trainer:`, expected failures that end in one message and a non-zero exit (no
// stack trace), running and finding programs, and the check for the build tools.
// Node built-ins only: these scripts run before anything is built.
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const BUILD_DIR = path.join(ROOT, 'build');
const PREFIX = 'albert-trainer:';

/**
 * True when this copy of albert-trainer is a dependency installed by a package manager (it
 * sits under a node_modules folder: npm, pnpm's .pnpm store, a global install), false in a
 * checkout of the repository. A checkout keeps its libtorch in the project .venv and compiles
 * the TypeScript; an installed package ships dist/, takes libtorch from the per-user cache
 * (scripts/torch-cache.js) and uses the prebuilt addon when it fits (scripts/prebuilt.js).
 */
const INSTALLED = ROOT.split(path.sep).includes('node_modules');

/** An expected failure: printed as its message alone, then exit 1. */
class UserError extends Error {}

function log(message) {
  console.log(`${PREFIX} ${message}`);
}

function fail(message) {
  throw new UserError(message);
}

/** Runs `fn` (sync or async); a thrown error becomes one line on stderr and exit code 1. */
function main(fn) {
  Promise.resolve()
    .then(fn)
    .catch((error) => {
      if (error instanceof UserError) {
        console.error(`${PREFIX} ${error.message}`);
      } else {
        const detail = process.env.ALBERT_TRAINER_DEBUG ? error.stack : error.message;
        console.error(`${PREFIX} unexpected error: ${detail} (set ALBERT_TRAINER_DEBUG=1 for the stack)`);
      }
      process.exitCode = 1;
    });
}

/** Blocks this thread for `ms` milliseconds (the build scripts are synchronous). */
function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** "12.3 s" since `start` (a Date.now() value). */
function since(start) {
  return `${((Date.now() - start) / 1000).toFixed(1)} s`;
}

/** The full path of an executable on PATH (or an absolute/relative path that exists), or null. */
function which(command) {
  if (command.includes(path.sep)) return isExecutable(command) ? path.resolve(command) : null;
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Runs a command with inherited stdio; a non-zero exit becomes a UserError naming `what`. */
function run(command, args, { what = path.basename(command), cwd = ROOT, env = process.env } = {}) {
  const result = spawnSync(command, args, { cwd, env, stdio: 'inherit' });
  if (result.error) fail(`${what}: could not run ${command}: ${result.error.message}`);
  if (result.signal) fail(`${what} was killed by ${result.signal}`);
  if (result.status !== 0) fail(`${what} failed (exit ${result.status}); see the output above`);
}

/** Runs a command and returns { status, stdout, stderr } as text; never throws for a bad exit. */
function capture(command, args, { cwd = ROOT, env = process.env, timeout } = {}) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout, maxBuffer: 64 << 20 });
  return {
    status: result.error ? -1 : result.status,
    stdout: result.stdout || '',
    stderr: result.stderr || (result.error ? result.error.message : ''),
  };
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/** Writes JSON atomically (temp file + rename), creating the folder. */
function writeJson(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(temp, file);
}

// ---- the build tools ----------------------------------------------------------------------

/** The C++ compiler cmake and node-gyp will pick: $CXX, else c++, g++, clang++. */
function findCxx() {
  if (process.env.CXX) return which(process.env.CXX.split(/\s+/)[0]);
  return which('c++') || which('g++') || which('clang++');
}

/** cmake's version as [major, minor], or null when cmake is missing. */
function cmakeVersion() {
  if (!which('cmake')) return null;
  const out = capture('cmake', ['--version']).stdout;
  const match = /version (\d+)\.(\d+)/.exec(out);
  return match ? [Number(match[1]), Number(match[2])] : null;
}

/**
 * What is missing to build the addon (and, with `python`, to make a venv), as
 * { what, apt } entries; empty when all is there.
 */
function missingBuildTools({ python = null } = {}) {
  const missing = [];
  if (python) missing.push(...missingPython(python));
  if (!findCxx()) missing.push({ what: 'a C++ compiler (g++ 10 or newer, or clang++)', apt: 'g++' });
  const version = cmakeVersion();
  if (!version) missing.push({ what: 'cmake (3.18 or newer)', apt: 'cmake' });
  else if (version[0] < 3 || (version[0] === 3 && version[1] < 18)) {
    missing.push({ what: `cmake 3.18 or newer (found ${version.join('.')})`, apt: 'cmake' });
  }
  if (!which('ninja') && !which('make')) missing.push({ what: 'make (or ninja)', apt: 'make' });
  return missing;
}

/** What `python -m venv` needs: the interpreter, the venv module and ensurepip (pip). */
function missingPython(python) {
  if (!which(python)) return [{ what: `${python} (Python 3.9 or newer)`, apt: 'python3' }];
  const probe = capture(python, ['-c', 'import sys, venv, ensurepip; print("%d.%d" % sys.version_info[:2])'], {
    timeout: 30000,
  });
  if (probe.status === 0) return [];
  if (/No module named '?venv/.test(probe.stderr)) return [{ what: 'the Python venv module', apt: 'python3-venv' }];
  if (/ensurepip/.test(probe.stderr)) {
    return [{ what: 'the Python venv module (ensurepip)', apt: 'python3-venv' }];
  }
  return [{ what: `a working ${python} (${probe.stderr.trim().split('\n').pop()})`, apt: 'python3' }];
}

/** One message for everything that is missing. */
function missingToolsMessage(missing) {
  const packages = [...new Set(missing.flatMap((m) => m.apt.split(' ')))].join(' ');
  return (
    `missing build tools: ${missing.map((m) => m.what).join('; ')}.\n` +
    `  Install them, e.g. on Debian/Ubuntu: sudo apt-get install ${packages}\n` +
    '  (elsewhere: the same tools from your package manager), then run `npm install` again.'
  );
}

function requireBuildTools(options) {
  const missing = missingBuildTools(options);
  if (missing.length) fail(missingToolsMessage(missing));
}

module.exports = {
  ROOT,
  BUILD_DIR,
  INSTALLED,
  UserError,
  log,
  fail,
  main,
  since,
  sleepSync,
  which,
  run,
  capture,
  readJson,
  writeJson,
  findCxx,
  missingBuildTools,
  missingPython,
  missingToolsMessage,
  requireBuildTools,
};
