// resolveModel / resolveDataset against a fake hub on 127.0.0.1: the local path first, then the
// cache, then a download into the cache in huggingface_hub's layout; offline mode; and one
// clear error for each way a download fails. No test touches the network.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { resolveDataset, resolveModel } from '../../ts/resolve';
import { type FakeHub, type FakeRepo, gitBlobSha, sha1, sha256, startFakeHub, useHubEnvironment } from './fake-hub';

const MAIN = sha1('main');
const V1 = sha1('v1');
const CONFIG = JSON.stringify({ model_type: 'albert', vocab_size: 100, hidden_size: 8 });
const WEIGHTS = 'w'.repeat(4096);

let work: string;
let cache: string;
let hub: FakeHub;
let restoreEnvironment: () => void;

function tinyRepos(): Record<string, FakeRepo> {
  return {
    'org/tiny': {
      refs: { main: MAIN, v1: V1 },
      commits: {
        [MAIN]: { 'config.json': CONFIG, 'model.safetensors': WEIGHTS, 'tokenizer.json': '{"tok":1}', 'spiece.model': 'spm' },
        [V1]: { 'config.json': JSON.stringify({ model_type: 'albert', vocab_size: 50 }) },
      },
      lfs: ['model.safetensors'],
    },
    'datasets/org/data': {
      refs: { main: MAIN },
      commits: { [MAIN]: { 'train.jsonl': '{"text":"a","label":0}\n', 'test.jsonl': '{"text":"b","label":1}\n', 'README.md': '# data' } },
    },
  };
}

beforeEach(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-hub-'));
  cache = path.join(work, 'cache');
  hub = await startFakeHub(tinyRepos());
  restoreEnvironment = useHubEnvironment(hub.url, work, cache);
});

afterEach(async () => {
  await hub.close();
  restoreEnvironment();
  fs.rmSync(work, { recursive: true, force: true });
});

/** Every file under `dir`, relative, symlinks as `name -> target`. */
function tree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort().flatMap((relative) => {
    const full = path.join(dir, relative);
    const stat = fs.lstatSync(full);
    if (stat.isDirectory()) return [];
    return [stat.isSymbolicLink() ? `${relative} -> ${fs.readlinkSync(full)}` : relative];
  });
}

describe('resolveModel', () => {
  test('a local folder wins over the hub, with no request', async () => {
    const local = path.join(work, 'org', 'tiny');
    fs.mkdirSync(local, { recursive: true });
    const cwd = process.cwd();
    process.chdir(work);
    try {
      const resolved = await resolveModel('org/tiny');
      expect(resolved.configFile).toBe(path.join('org', 'tiny', 'config.json'));
      expect(resolved.commit).toBeUndefined();
    } finally {
      process.chdir(cwd);
    }
    expect(hub.requests).toEqual([]);
  });

  test('downloads into the cache in huggingface_hub\'s layout; the next resolve, offline or with the hub gone, makes no request', async () => {
    const resolved = await resolveModel('org/tiny');
    const repoDir = path.join(cache, 'models--org--tiny');
    const snapshot = path.join(repoDir, 'snapshots', MAIN);
    expect(resolved).toEqual({ configFile: path.join(snapshot, 'config.json'), weightsDir: snapshot, tokenizerDir: snapshot, name: 'org/tiny', commit: MAIN });
    expect(fs.readFileSync(path.join(repoDir, 'refs', 'main'), 'utf8')).toBe(MAIN);
    const configBlob = gitBlobSha(CONFIG);
    const weightsBlob = sha256(WEIGHTS); // LFS: named by X-Linked-Etag, not the CDN's ETag
    expect(tree(repoDir)).toEqual([
      `.no_exist/${MAIN}/special_tokens_map.json`,
      `.no_exist/${MAIN}/tokenizer_config.json`,
      `blobs/${gitBlobSha('spm')}`,
      `blobs/${gitBlobSha('{"tok":1}')}`,
      `blobs/${configBlob}`,
      `blobs/${weightsBlob}`,
      'refs/main',
      `snapshots/${MAIN}/config.json -> ../../blobs/${configBlob}`,
      `snapshots/${MAIN}/model.safetensors -> ../../blobs/${weightsBlob}`,
      `snapshots/${MAIN}/spiece.model -> ../../blobs/${gitBlobSha('spm')}`,
      `snapshots/${MAIN}/tokenizer.json -> ../../blobs/${gitBlobSha('{"tok":1}')}`,
    ].sort());
    expect(fs.readFileSync(path.join(snapshot, 'model.safetensors'), 'utf8')).toBe(WEIGHTS);
    expect(hub.requests.map((r) => r.url)).toContain(`/cdn/${weightsBlob}`);

    const count = hub.requests.length;
    process.env.HF_HUB_OFFLINE = '1';
    expect(await resolveModel('org/tiny')).toEqual(resolved);
    delete process.env.HF_HUB_OFFLINE;
    await hub.close();
    expect(await resolveModel('org/tiny')).toEqual(resolved);
    expect(hub.requests.length).toBe(count);
  });

  test('a cache another tool made (no .no_exist markers) is filled in online, and used as it is when the hub is unreachable', async () => {
    const resolved = await resolveModel('org/tiny');
    const noExist = path.join(cache, 'models--org--tiny', '.no_exist');
    fs.rmSync(noExist, { recursive: true });
    const count = hub.requests.length;
    expect(await resolveModel('org/tiny')).toEqual(resolved);
    expect(hub.requests.slice(count).map((r) => r.url)).toEqual([
      `/org/tiny/resolve/${MAIN}/tokenizer_config.json`, `/org/tiny/resolve/${MAIN}/special_tokens_map.json`]);
    fs.rmSync(noExist, { recursive: true });
    await hub.close();
    expect(await resolveModel('org/tiny')).toEqual(resolved);
  });

  test('a revision after @: a tag through refs/<tag>, a commit sha straight to its snapshot', async () => {
    const tagged = await resolveModel('org/tiny@v1');
    expect(tagged.commit).toBe(V1);
    expect(tagged.name).toBe('org/tiny');
    expect(JSON.parse(fs.readFileSync(tagged.configFile, 'utf8')).vocab_size).toBe(50);
    expect(fs.readFileSync(path.join(cache, 'models--org--tiny', 'refs', 'v1'), 'utf8')).toBe(V1);
    expect(hub.requests[0].url).toBe('/org/tiny/resolve/v1/config.json');
    // Later files are pinned to the commit the first one named.
    expect(hub.requests[1].url).toBe(`/org/tiny/resolve/${V1}/model.safetensors`);

    const count = hub.requests.length;
    process.env.HF_HUB_OFFLINE = 'true';
    expect((await resolveModel(`org/tiny@${V1}`)).configFile).toBe(tagged.configFile);
    expect(hub.requests.length).toBe(count);
  });

  test('no model.safetensors in the repo is fine: no weights, and the absence is cached', async () => {
    const resolved = await resolveModel('org/tiny@v1');
    expect(fs.existsSync(path.join(resolved.weightsDir as string, 'model.safetensors'))).toBe(false);
    expect(fs.existsSync(path.join(cache, 'models--org--tiny', '.no_exist', V1, 'model.safetensors'))).toBe(true);
    const count = hub.requests.length;
    await resolveModel('org/tiny@v1');
    expect(hub.requests.length).toBe(count);
  });

  test('a repo the hub does not have: one error with every place looked and the URL that said 404', async () => {
    await expect(resolveModel('org/missing')).rejects.toMatchObject({
      code: 'ERR_IO',
      message: `--model org/missing: not found; looked in ${path.resolve('org/missing')}, ${path.join(cache, 'models--org--missing')} (revision main), ` +
        `${hub.url}/org/missing/resolve/main/config.json (404 RepoNotFound)`,
    });
  });

  test('offline and not cached: the error lists where it looked and says offline mode is on, with no request', async () => {
    process.env.HF_HUB_OFFLINE = '1';
    // With weights wanted, a preset name is the hub's albert/<name> (its alias), never the weightless preset config.
    await expect(resolveModel('albert-base-v2')).rejects.toThrow(`--model albert-base-v2: not found; looked in ${path.resolve('albert-base-v2')}, ` +
      `${path.join(cache, 'models--albert--albert-base-v2')} (revision main); HF_HUB_OFFLINE is on, so the hub was not asked`);
    // A random init needs only the config: the preset's, from the data folder (absent here, so listed).
    await expect(resolveModel('albert-base-v2', 'random')).rejects.toThrow(`--model albert-base-v2: not found; looked in ${path.resolve('albert-base-v2')}, ` +
      `${path.join(work, 'no-data-folder', 'albert-configs', 'albert-base-v2.json')}, ${path.join(cache, 'models--albert--albert-base-v2')} (revision main); ` +
      'HF_HUB_OFFLINE is on, so the hub was not asked');
    expect(hub.requests).toEqual([]);
  });

  test('401: the message says gated or private and names HF_TOKEN', async () => {
    hub.intercept = (_, response) => {
      response.writeHead(401, { 'x-error-code': 'GatedRepo' });
      response.end();
      return true;
    };
    await expect(resolveModel('org/tiny')).rejects.toThrow(
      `--model org/tiny: ${hub.url}/org/tiny/resolve/main/config.json: 401 Unauthorized: the repo is gated or private, or does not exist; set HF_TOKEN to a token that has access`);
  });

  test('other statuses name the URL and the status', async () => {
    hub.intercept = (_, response) => {
      response.writeHead(500);
      response.end();
      return true;
    };
    await expect(resolveModel('org/tiny')).rejects.toThrow(`--model org/tiny: ${hub.url}/org/tiny/resolve/main/config.json: 500 Internal Server Error`);
  });

  test('HF_TOKEN goes to the hub as a bearer token, and not to a CDN on another host', async () => {
    const cdn = await startFakeHub(tinyRepos());
    try {
      hub.cdnUrl = cdn.url;
      process.env.HF_TOKEN = 'hf_secret';
      await resolveModel('org/tiny');
      expect(hub.requests.length).toBeGreaterThan(0);
      for (const request of hub.requests) expect(request.authorization).toBe('Bearer hf_secret');
      expect(cdn.requests.map((r) => [r.url, r.authorization])).toEqual([[`/cdn/${sha256(WEIGHTS)}`, undefined]]);
    } finally {
      await cdn.close();
    }
  });

  test('the token file under HF_HOME is used when HF_TOKEN is not set', async () => {
    fs.mkdirSync(process.env.HF_HOME as string, { recursive: true });
    fs.writeFileSync(path.join(process.env.HF_HOME as string, 'token'), 'hf_from_file\n');
    await resolveModel('org/tiny@v1');
    expect(hub.requests[0].authorization).toBe('Bearer hf_from_file');
  });

  test('a body cut short: an error naming the URL, nothing in snapshots, no temporary file left', async () => {
    hub.intercept = (request, response) => {
      if (!request.url?.endsWith('/config.json')) return false;
      response.writeHead(200, { 'content-length': 1000, 'x-repo-commit': MAIN, etag: `"${sha1('cut')}"` });
      response.write('{"model_type": "al');
      setTimeout(() => response.destroy(), 20);
      return true;
    };
    await expect(resolveModel('org/tiny')).rejects.toThrow(
      `--model org/tiny: ${hub.url}/org/tiny/resolve/main/config.json: the download broke off after 18 of 1000 bytes; nothing was kept, run again to retry`);
    expect(tree(path.join(cache, 'models--org--tiny'))).toEqual([]);
  });

  test('a connection refused and a stalled connection each end in one error naming the URL', async () => {
    await hub.close();
    await expect(resolveModel('org/tiny')).rejects.toThrow(
      new RegExp(`^--model org/tiny: ${hub.url}/org/tiny/resolve/main/config.json: connect ECONNREFUSED .*set HF_HUB_OFFLINE=1 to use only the local cache$`));

    hub = await startFakeHub(tinyRepos());
    process.env.HF_ENDPOINT = hub.url;
    process.env.HF_HUB_DOWNLOAD_TIMEOUT = '0.3';
    hub.intercept = () => true; // never answers
    await expect(resolveModel('org/tiny')).rejects.toThrow(/config\.json: no data for 0\.3 s \(HF_HUB_DOWNLOAD_TIMEOUT\)/);
  });

  test('a name that cannot be a repo id is not sent to the hub', async () => {
    await expect(resolveModel('/nonexistent/model')).rejects.toThrow('--model /nonexistent/model: not found; looked in /nonexistent/model');
    await expect(resolveModel('org/tiny@')).rejects.toMatchObject({ code: 'ERR_ARGUMENT' });
    expect(hub.requests).toEqual([]);
  });
});

describe('resolveDataset', () => {
  test('lists the repo, reads the README (for a configs: block), downloads test.jsonl then train.jsonl, then uses the cache', async () => {
    const resolved = await resolveDataset('org/data');
    const snapshot = path.join(cache, 'datasets--org--data', 'snapshots', MAIN);
    expect(resolved).toEqual({ splits: { train: [path.join(snapshot, 'train.jsonl')], test: [path.join(snapshot, 'test.jsonl')] }, config: 'default', configs: ['default'],
      name: 'org/data', dir: snapshot, commit: MAIN, revision: 'main' });
    expect(fs.readFileSync(resolved.splits.train[0], 'utf8')).toBe('{"text":"a","label":0}\n');
    expect(hub.requests.map((r) => r.url)).toEqual(['/api/datasets/org/data/revision/main', `/datasets/org/data/resolve/${MAIN}/README.md`,
      `/datasets/org/data/resolve/${MAIN}/test.jsonl`, `/datasets/org/data/resolve/${MAIN}/train.jsonl`]);
    expect(fs.readFileSync(path.join(cache, 'datasets--org--data', 'refs', 'main'), 'utf8')).toBe(MAIN);
    await hub.close();
    expect(await resolveDataset('org/data')).toEqual(resolved);
  });

  test('subj is SetFit/subj on the hub when the data folder has no subj/', async () => {
    hub.repos['datasets/SetFit/subj'] = { refs: { main: MAIN }, commits: { [MAIN]: { 'data/train.csv': 'text,label\na,0\n' } } };
    const resolved = await resolveDataset('subj');
    expect(resolved.name).toBe('SetFit/subj');
    expect(resolved.splits).toEqual({ train: [path.join(cache, 'datasets--SetFit--subj', 'snapshots', MAIN, 'data', 'train.csv')] });
  });

  test('subj from the data folder first, with no request, as before', async () => {
    const subj = path.join(work, 'no-data-folder', 'subj');
    fs.mkdirSync(subj, { recursive: true });
    fs.writeFileSync(path.join(subj, 'train.jsonl'), '');
    fs.writeFileSync(path.join(subj, 'test.jsonl'), '');
    expect(await resolveDataset('subj')).toEqual({ splits: { train: [path.join(subj, 'train.jsonl')], test: [path.join(subj, 'test.jsonl')] }, config: 'default', configs: ['default'], name: 'SetFit/subj', dir: subj });
    expect(hub.requests).toEqual([]);
  });

  test('a repo with no split files: a clear error', async () => {
    hub.repos['datasets/org/parquet'] = { refs: { main: MAIN }, commits: { [MAIN]: { 'data/stuff.parquet': 'PAR1', 'notes.txt': '' } } };
    await expect(resolveDataset('org/parquet')).rejects.toThrow('--dataset org/parquet: org/parquet: no data files (.parquet, .jsonl, .json, .csv, .tsv) named as train/validation/test splits');
  });

  test('a dataset the hub does not have, and offline: errors that list where we looked', async () => {
    await expect(resolveDataset('org/nothing')).rejects.toThrow(
      `--dataset org/nothing: not found; looked in ${path.resolve('org/nothing')}, ${path.join(cache, 'datasets--org--nothing')} (revision main), ` +
      `${hub.url}/api/datasets/org/nothing/revision/main (404)`);
    process.env.HF_HUB_OFFLINE = '1';
    await expect(resolveDataset('subj')).rejects.toThrow(
      `--dataset subj: not found; looked in ${path.resolve('subj')}, ${path.join(work, 'no-data-folder', 'subj')}, ` +
      `${path.join(cache, 'datasets--SetFit--subj')} (revision main); HF_HUB_OFFLINE is on, so the hub was not asked`);
  });
});
