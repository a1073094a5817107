// A hostile or broken HF_ENDPOINT (issue 20): headers and listings that name paths outside the
// cache, bodies of the wrong length or hash, redirects to file: and to other origins. Each
// download ends in one clear ERR_IO naming the header or field and the endpoint, and a walk of
// the folder around a nested cache (W/a/b/c/cache) finds nothing written outside the cache and
// nothing partial inside it (test/hub/hostile-hub.ts: outsideCache, cacheProblems).
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { blobPath, cachePath, linkSnapshotFile, markAbsent, parseRepoRef, relativeNameProblem, repoCacheDir, writeRef } from '../../ts/hub/cache';
import { resolveDataset, resolveModel } from '../../ts/resolve';
import { REPO_ROOT } from '../helpers/paths';
import { sha256, useHubEnvironment } from './fake-hub';
import {
  type Answer, EVIL_COMMIT, EVIL_LFS, EVIL_MODEL, type HostileHub, type HubRequest, cacheProblems, outsideCache, startHostileHub, walk,
} from './hostile-hub';

/** From blobs/<x> or snapshots/<x> of W/a/b/c/cache/models--evil--model up to W/a/b, as in the issue. */
const CLIMB = '../../../../';
const LFS_FILE = EVIL_LFS[0];

let work: string;
let cache: string;
let hub: HostileHub;
let restoreEnvironment: () => void;

beforeEach(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-hostile-'));
  cache = path.join(work, 'a', 'b', 'c', 'cache');
  hub = await startHostileHub();
  restoreEnvironment = useHubEnvironment(hub.url, work, cache);
});

afterEach(async () => {
  await hub.close();
  restoreEnvironment();
  fs.rmSync(work, { recursive: true, force: true });
});

/** Nothing outside the cache, nothing partial inside it. */
function expectCacheClean(): void {
  expect(outsideCache(work, cache)).toEqual([]);
  expect(cacheProblems(cache)).toEqual([]);
}

const isLfsRedirect = (_: HubRequest, honest: Answer) => honest.status === 302 && honest.headers['x-linked-etag'] !== undefined;
const isRepoFile = (_: HubRequest, honest: Answer) => honest.headers['x-repo-commit'] !== undefined;
const isFile = (file: string) => (request: HubRequest) => request.url.endsWith(`/${file}`);

/** A tamper that sets one header on the answers `when` picks. */
function withHeader(name: string, value: string, when: (request: HubRequest, honest: Answer) => boolean) {
  return (request: HubRequest, honest: Answer): Answer => (when(request, honest) ? { ...honest, headers: { ...honest.headers, [name]: value } } : honest);
}

/** The message's tail every refusal ends with: it names the endpoint. */
const refused = () => `refused, nothing was written (HF_ENDPOINT is ${hub.url}; is it a HF hub?)`;

describe('model downloads: headers that would name paths outside the cache', () => {
  test.each([
    ['X-Repo-Commit', 'a path climbing out of snapshots/', `${CLIMB}escape-commit`, isRepoFile],
    ['X-Repo-Commit', 'an absolute path', '<work>/abs-commit', isRepoFile],
    ['X-Repo-Commit', 'upper-case hex', 'A'.repeat(40), isRepoFile],
    ['ETag', 'a path climbing out of blobs/', `"${CLIMB}escape-blob-config.json"`, (r: HubRequest, a: Answer) => isRepoFile(r, a) && !isLfsRedirect(r, a)],
    ['ETag', 'an absolute path', '"<work>/abs-blob"', (r: HubRequest, a: Answer) => isRepoFile(r, a) && !isLfsRedirect(r, a)],
    ['X-Linked-Etag', 'a path climbing out of blobs/', `"${CLIMB}escape-blob-${LFS_FILE}"`, isLfsRedirect],
    ['X-Linked-Etag', 'a sha256 with a path after it', `"${sha256(EVIL_MODEL[LFS_FILE])}/../../../escape"`, isLfsRedirect],
  ])('%s as %s: one ERR_IO naming the header and the endpoint, nothing written', async (name, _what, template, when) => {
    const value = template.replace('<work>', work);
    hub.tamper = withHeader(name.toLowerCase(), value, when);
    const shown = JSON.stringify(value.replace(/^"|"$/g, ''));
    const error = await resolveModel('evil/model').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_IO' });
    expect((error as Error).message).toMatch(new RegExp(`^--model evil/model: ${hub.url}/evil/model/resolve/[^ ]+: the ${name} header ${escape(shown)} is not a`));
    expect((error as Error).message).toContain(refused());
    expectCacheClean();
    // The file whose answer was tampered with has no snapshot entry and no blob.
    const repoDir = repoCacheDir({ type: 'model', id: 'evil/model', revision: 'main' }, cache);
    const file = name === 'X-Linked-Etag' ? LFS_FILE : 'config.json';
    expect(walk(repoDir).filter((entry) => entry.endsWith(file) || entry.includes('escape') || entry.includes('abs-'))).toEqual([]);
  });
});

/** A regex source matching `text` literally. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

describe('dataset downloads: a listing that names paths outside the cache', () => {
  /** A tamper that rewrites the listing JSON. */
  const listing = (edit: (json: { sha: unknown; siblings: unknown[] }) => void) => (request: HubRequest, honest: Answer): Answer => {
    if (!request.url.startsWith('/api/datasets/')) return honest;
    const json = JSON.parse(honest.body as string);
    edit(json);
    return { ...honest, body: JSON.stringify(json) };
  };

  test.each([
    ['a path climbing out of snapshots/', `${CLIMB}escape-commit`],
    ['an absolute path', '<work>/abs-commit'],
    ['not a string', 42],
  ])('the sha as %s: refused, naming the field and the endpoint', async (_what, template) => {
    const sha = typeof template === 'string' ? template.replace('<work>', work) : template;
    hub.tamper = listing((json) => { json.sha = sha; });
    await expect(resolveDataset('evil/data')).rejects.toThrow(
      `--dataset evil/data: ${hub.url}/api/datasets/evil/data/revision/main: the listing's sha ${JSON.stringify(sha)} is not a commit sha (40 lowercase hex digits); ${refused()}`);
    expectCacheClean();
    expect(walk(cache)).toEqual([]);
  });

  test.each([
    ['a path climbing out of snapshots/', `${CLIMB}escape-train.jsonl`, "it has a '..' segment"],
    ['an absolute path', '<work>/abs/train.jsonl', 'it is an absolute path'],
    ['a drive letter', 'C:/train.jsonl', 'it starts with a drive letter'],
    ['a backslash', 'data\\..\\..\\train.jsonl', 'it holds a backslash'],
    ['a NUL', 'train.jsonl\u0000.png', 'it holds a NUL character'],
    ['an empty segment', 'data//train.jsonl', 'it has an empty segment'],
    ['a . segment', './train.jsonl', "it has a '.' segment"],
    ['empty', '', 'it is empty'],
  ])('a sibling named with %s: refused, naming siblings[i].rfilename', async (_what, template, problem) => {
    const name = template.replace('<work>', work);
    hub.tamper = listing((json) => { json.siblings.push({ rfilename: name }); });
    await expect(resolveDataset('evil/data')).rejects.toThrow(
      `: the listing's siblings[2].rfilename ${JSON.stringify(name)} is not a relative file name (${problem}); ${refused()}`);
    expectCacheClean();
    expect(walk(cache)).toEqual([]);
  });
});

describe('bodies of the wrong length or hash leave no blob and no snapshot entry', () => {
  const config = EVIL_MODEL['config.json'];
  const size = Buffer.byteLength(config);
  const lfsSize = Buffer.byteLength(EVIL_MODEL[LFS_FILE]);
  const isCdn = (request: HubRequest) => request.url.startsWith('/cdn/');
  const onlyIf = (when: (request: HubRequest) => boolean, change: (honest: Answer) => Answer) =>
    (request: HubRequest, honest: Answer) => (when(request) ? change(honest) : honest);

  test.each([
    ['cut short of its Content-Length', isFile('config.json'), (a: Answer) => ({ ...a, headers: { ...a.headers, 'content-length': size + 100 }, cutAfter: 10 }),
      `config.json: the download broke off after 10 of ${size + 100} bytes; nothing was kept, run again to retry`],
    ['going on past its Content-Length', isFile('config.json'), (a: Answer) => ({ ...a, trailing: 'more bytes than declared' }),
      `config.json: the reply went on past its ${size} bytes`],
    ['from a CDN whose Content-Length is not the X-Linked-Size', isCdn, (a: Answer) => ({ ...a, body: `${a.body as string}more` }),
      `: the Content-Length header ${lfsSize + 4} is not the X-Linked-Size ${lfsSize} the hub gave for`],
    ['from a CDN that sends no length and more bytes than X-Linked-Size', isCdn,
      (a: Answer) => ({ ...a, headers: { ...a.headers, 'content-length': undefined }, body: `${a.body as string}more` }),
      `${LFS_FILE}: the body is longer than the ${lfsSize} bytes declared; nothing was kept (HF_ENDPOINT is `],
    ['whose sha256 is not its LFS X-Linked-Etag', isCdn, (a: Answer) => ({ ...a, body: 'v'.repeat(lfsSize) }),
      `${LFS_FILE}: the body's sha256 ${sha256('v'.repeat(lfsSize))} is not the X-Linked-Etag ${sha256(EVIL_MODEL[LFS_FILE])} the hub gave`],
  ])('a body %s: one ERR_IO saying so, nothing kept', async (_what, when, change, message) => {
    hub.tamper = onlyIf(when, change);
    await expect(resolveModel('evil/model')).rejects.toMatchObject({ code: 'ERR_IO', message: expect.stringContaining(message) });
    expectCacheClean();
    const repoDir = repoCacheDir({ type: 'model', id: 'evil/model', revision: 'main' }, cache);
    const file = when === isCdn ? LFS_FILE : 'config.json';
    expect(walk(repoDir).filter((entry) => entry.endsWith(file))).toEqual([]);
    // The hub's own answers once more: the download completes where the broken one stopped.
    hub.tamper = undefined;
    await resolveModel('evil/model');
    expectCacheClean();
    expect(fs.readFileSync(path.join(repoDir, 'snapshots', EVIL_COMMIT, file), 'utf8')).toBe(EVIL_MODEL[file]);
  });
});

describe('redirects', () => {
  test('to file: is refused with an error naming the Location header, and nothing is read or written', async () => {
    const secret = path.join(work, 'secret.txt');
    fs.writeFileSync(secret, 'not for the cache');
    hub.tamper = (request, honest) => (isFile('config.json')(request) ? { ...honest, status: 302, headers: { ...honest.headers, location: `file://${secret}` } } : honest);
    await expect(resolveModel('evil/model')).rejects.toThrow(
      `${hub.url}/evil/model/resolve/main/config.json: the Location header ${JSON.stringify(`file://${secret}`)} is not an http or https URL; ${refused()}`);
    fs.rmSync(secret);
    expectCacheClean();
    expect(walk(cache)).toEqual([]);
  });

  test('to another origin: HF_TOKEN goes to the hub only, never to the other origin', async () => {
    const cdn = await startHostileHub();
    try {
      hub.cdnUrl = cdn.url;
      process.env.HF_TOKEN = 'hf_secret';
      await resolveModel('evil/model');
      expect(hub.requests.length).toBeGreaterThan(0);
      for (const request of hub.requests) expect(request.authorization).toBe('Bearer hf_secret');
      expect(cdn.requests.map((r) => [r.url, r.authorization])).toEqual([[`/cdn/${sha256(EVIL_MODEL[LFS_FILE])}`, undefined]]);
      expectCacheClean();
    } finally {
      await cdn.close();
    }
  });
});

describe('the last guard: a path the cache writes never resolves outside its area', () => {
  test('blobs, snapshot entries, link targets, refs and .no_exist markers with climbing names are refused, nothing written', () => {
    const repoDir = repoCacheDir({ type: 'model', id: 'evil/model', revision: 'main' }, cache);
    const blob = path.join(repoDir, 'blobs', sha256('x'));
    fs.mkdirSync(path.dirname(blob), { recursive: true });
    fs.writeFileSync(blob, 'x');
    const attempts: Array<[string, () => unknown]> = [
      ['blob', () => blobPath(repoDir, `${CLIMB}escape-blob`)],
      ['blob at the area itself', () => blobPath(repoDir, '.')],
      ['snapshot commit', () => linkSnapshotFile(repoDir, `${CLIMB}escape-commit`, 'config.json', blob)],
      ['snapshot file', () => linkSnapshotFile(repoDir, EVIL_COMMIT, '../../refs/main', blob)],
      ['link target', () => linkSnapshotFile(repoDir, EVIL_COMMIT, 'config.json', path.join(work, 'a', 'b', 'outside'))],
      ['ref', () => writeRef(repoDir, `../${CLIMB}escape-ref`, EVIL_COMMIT)],
      ['ref content', () => writeRef(repoDir, 'main', `${CLIMB}escape`)],
      ['marker', () => markAbsent(repoDir, EVIL_COMMIT, `../${CLIMB}escape-marker`)],
      ['NUL', () => cachePath(repoDir, 'blobs', 'a\u0000b')],
    ];
    const outcomes = attempts.map(([what, attempt]) => {
      try {
        attempt();
        return `${what}: not refused`;
      } catch (error) {
        return `${what}: ${(error as { code?: string }).code}`;
      }
    });
    expect(outcomes).toEqual(attempts.map(([what]) => `${what}: ERR_IO`));
    fs.rmSync(blob);
    expect(outsideCache(work, cache)).toEqual([]);
    expect(walk(cache).filter((entry) => !fs.statSync(path.join(cache, entry)).isDirectory())).toEqual([]);
  });

  test('names from the hub: the rules, and a revision after @ follows them too', () => {
    expect(relativeNameProblem('data/train-00000-of-00001.parquet')).toBeUndefined();
    expect(relativeNameProblem('refs/pr/1')).toBeUndefined();
    expect(relativeNameProblem('a/..')).toBe("it has a '..' segment");
    expect(relativeNameProblem('D:train.csv')).toBe('it starts with a drive letter');
    expect(() => parseRepoRef('evil/model@..\\..\\escape', 'model')).toThrow(expect.objectContaining({ code: 'ERR_ARGUMENT' }));
    expect(() => parseRepoRef('evil/model@/etc', 'model')).toThrow('it is an absolute path');
    expect(parseRepoRef('evil/model@refs/pr/1', 'model')).toEqual({ type: 'model', id: 'evil/model', revision: 'refs/pr/1' });
  });
});

describe('through the CLI', () => {
  const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

  test('albert-train predict --model evil/model with the issue\'s headers: non-zero exit, the header named, nothing outside the cache', async () => {
    hub.tamper = (request, honest) => {
      const headers = { ...honest.headers };
      if (headers['x-repo-commit'] !== undefined) headers['x-repo-commit'] = `${CLIMB}escape-commit`;
      if (headers.etag !== undefined) headers.etag = `"${CLIMB}escape-blob-${request.url.split('/').pop()}"`;
      return { ...honest, headers };
    };
    const env: Record<string, string | undefined> = { ...process.env };
    const run = await new Promise<{ status: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [CLI, 'predict', '--model', 'evil/model', '--text', 'a fine plot'], { encoding: 'utf8', env, cwd: work },
        (error, _stdout, stderr) => resolve({ status: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr }));
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`ERR_IO: --model evil/model: ${hub.url}/evil/model/resolve/main/config.json: the X-Repo-Commit header ` +
      `${JSON.stringify(`${CLIMB}escape-commit`)} is not a commit sha (40 lowercase hex digits); ${refused()}`);
    expectCacheClean();
    expect(walk(cache)).toEqual([]);
  });
});
