// Our HF cache against huggingface_hub itself, both ways. A model (a branch and a tag) and a
// dataset with nested files are downloaded from the loopback fake hub twice: by our code into one
// cache, and by huggingface_hub (hf_hub_download, snapshot_download; test/reference/hf_cache_write.py)
// into another. Then huggingface_hub reads ours (hf_hub_download(..., local_files_only=True) and
// scan_cache_dir; test/reference/hf_cache_read.py), the two trees are compared entry by entry
// (blobs, refs, snapshot links, .no_exist markers), and our resolver reads huggingface_hub's
// cache without asking the hub. The LFS redirect goes to another host name (localhost), as the
// hub's goes to its CDN: huggingface_hub follows a redirect to the same host for metadata.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoCacheDir } from '../../ts/hub/cache';
import { type ResolvedDataset, type ResolvedModel, resolveDataset, resolveModel } from '../../ts/resolve';
import { runReference, runReferenceAsync } from '../helpers/python';
import { type FakeHub, type FakeRepo, sha1, sha256, startFakeHub, useHubEnvironment } from './fake-hub';

const MAIN = sha1('main');
const V1 = sha1('v1');

const REPOS: Record<string, FakeRepo> = {
  'org/tiny': {
    refs: { main: MAIN, v1: V1 },
    commits: {
      // Multi-byte UTF-8 in the bodies: the bytes, not the characters, must match.
      [MAIN]: { 'config.json': JSON.stringify({ model_type: 'albert', note: 'été' }), 'model.safetensors': 'wé€'.repeat(3000), 'tokenizer.json': '{"tok":1}' },
      [V1]: { 'config.json': JSON.stringify({ model_type: 'albert', vocab_size: 50 }) },
    },
    lfs: ['model.safetensors'],
  },
  'datasets/org/data': { refs: { main: MAIN }, commits: { [MAIN]: { 'data/train.csv': 'text,label\na,0\n', 'data/test.csv': 'text,label\nb,1\n' } } },
};

interface Read { path?: string; sha256?: string; absent?: boolean; error?: string }
interface ScanFile { name: string; blob: string; size: number }
interface Scan {
  repos: Array<{ repo_id: string; repo_type: string; revisions: Array<{ commit: string; refs: string[]; files: ScanFile[] }> }>;
  warnings: string[];
}
interface FileAsk { repo_id: string; repo_type: string; filename: string; revision: string }
/** A file asked for, with what the hub holds there and where our snapshot has it. */
interface Ask extends FileAsk { body?: string; snapshot: string }

let work: string;
let ours: string;
let theirs: string;
let hub: FakeHub;
let restoreEnvironment: () => void;
let resolved: { model: ResolvedModel; tagged: ResolvedModel; data: ResolvedDataset };
let asks: Ask[];
let ourRead: { reads: Read[]; scan: Scan };
let theirWrite: { files: Read[]; snapshots: Array<{ path?: string; error?: string }>; scan: Scan };

/** The files of a snapshot folder, '/'-separated, and those its .no_exist folder marks absent. */
function listed(repoDir: string, commit: string): { present: string[]; absent: string[] } {
  const files = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }) : [])
    .filter((entry) => !fs.statSync(path.join(dir, entry)).isDirectory()).map((entry) => entry.split(path.sep).join('/')).sort();
  return { present: files(path.join(repoDir, 'snapshots', commit)), absent: files(path.join(repoDir, '.no_exist', commit)) };
}

/** Every entry of a cache, '/'-separated: a link with its target as written, a file with its bytes' sha256. */
function tree(root: string, relative = ''): string[] {
  return fs.readdirSync(path.join(root, relative), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name)).flatMap((entry) => {
    // huggingface_hub's download locks, and the CACHEDIR.TAG it writes so that backup tools skip
    // the cache (ours does not write one: a difference outside the layout either side reads).
    if (relative === '' && (entry.name === '.locks' || entry.name === 'CACHEDIR.TAG')) return [];
    // snapshot_download's copy of the tree listing (trees/<commit>.json), for its own offline use.
    if (!relative.includes('/') && entry.name === 'trees') return [];
    const name = relative === '' ? entry.name : `${relative}/${entry.name}`;
    const file = path.join(root, name);
    if (entry.isSymbolicLink()) return [`${name} -> ${fs.readlinkSync(file)}`];
    if (entry.isDirectory()) return tree(root, name);
    return [`${name}: ${sha256(fs.readFileSync(file))}`];
  });
}

/** Runs `body` with the variables set (or deleted, for undefined), restoring them after. */
async function withEnv<T>(vars: Record<string, string | undefined>, body: () => Promise<T> | T): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  const set = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  set(vars);
  try {
    return await body();
  } finally {
    set(saved);
  }
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-hf-cache-'));
  ours = path.join(work, 'cache');
  theirs = path.join(work, 'hf-cache');
  hub = await startFakeHub(REPOS);
  hub.cdnUrl = hub.url.replace('127.0.0.1', 'localhost');
  restoreEnvironment = useHubEnvironment(hub.url, work, ours);

  resolved = { model: await resolveModel('org/tiny'), tagged: await resolveModel('org/tiny@v1'), data: await resolveDataset('org/data') };
  // Every file our cache holds or marks absent, at each revision we resolved (and at a commit sha).
  asks = [];
  for (const [key, revision, commit] of [['org/tiny', 'main', MAIN], ['org/tiny', 'v1', V1], ['org/tiny', MAIN, MAIN], ['datasets/org/data', 'main', MAIN]]) {
    const type = key.startsWith('datasets/') ? 'dataset' : 'model';
    const id = key.replace(/^datasets\//, '');
    const repoDir = repoCacheDir({ type, id, revision }, ours);
    const { present, absent } = listed(repoDir, commit);
    for (const filename of [...present, ...absent]) {
      asks.push({ repo_id: id, repo_type: type, filename, revision, body: REPOS[key].commits[commit][filename] as string | undefined, snapshot: path.join(repoDir, 'snapshots', commit) });
    }
  }
  const fileAsk = ({ body: _b, snapshot: _s, ...file }: Ask): FileAsk => file;
  ourRead = await withEnv({ HF_HUB_OFFLINE: '1' }, () => runReference<{ reads: Read[]; scan: Scan }>('hf_cache_read.py', [], { cache_dir: ours, files: asks.map(fileAsk) }));
  // huggingface_hub downloads the same: the model's files one by one at the revisions we resolved
  // (as transformers' from_pretrained does), the dataset as a snapshot.
  theirWrite = await runReferenceAsync('hf_cache_write.py', {
    cache_dir: theirs,
    files: asks.filter((a) => a.repo_type === 'model' && a.revision !== MAIN).map(fileAsk),
    snapshots: [{ repo_id: 'org/data', repo_type: 'dataset', revision: 'main' }],
  }, { HF_ENDPOINT: hub.url, HF_HUB_CACHE: theirs });
});

afterAll(async () => {
  await hub.close();
  restoreEnvironment();
  fs.rmSync(work, { recursive: true, force: true });
});

test('huggingface_hub reads what we downloaded, offline, byte for byte, at a branch, a tag and a commit sha', () => {
  expect([resolved.model.commit, resolved.tagged.commit, resolved.data.commit]).toEqual([MAIN, V1, MAIN]);
  // At least what the test is about: an LFS file, a nested path, a file marked absent.
  expect(asks.map((a) => `${a.repo_id}@${a.revision}/${a.filename}`)).toEqual(expect.arrayContaining([
    'org/tiny@main/config.json', 'org/tiny@main/model.safetensors', 'org/tiny@v1/config.json', 'org/tiny@v1/model.safetensors', 'org/data@main/data/train.csv']));
  const seen = ourRead.reads.map((read, i) => `${asks[i].repo_id}@${asks[i].revision}/${asks[i].filename}: ${read.error ?? (read.absent ? 'absent' : read.sha256)}`);
  const expected = asks.map((a) => `${a.repo_id}@${a.revision}/${a.filename}: ${a.body === undefined ? 'absent' : sha256(a.body)}`);
  expect(seen).toEqual(expected);
  // huggingface_hub's paths are our snapshot entries.
  ourRead.reads.forEach((read, i) => {
    if (read.path) expect(read.path).toBe(path.join(asks[i].snapshot, asks[i].filename));
  });
});

test('scan_cache_dir reads our cache as it reads its own: the same repos, revisions, refs, files and blobs, no warnings', () => {
  expect(theirWrite.snapshots.map((s) => s.error ?? 'ok')).toEqual(['ok']);
  expect(theirWrite.files.filter((f) => f.error)).toEqual([]);
  const summary = (scan: Scan) => scan.repos.map((repo) => `${repo.repo_type} ${repo.repo_id}: ` +
    repo.revisions.map((r) => `${r.commit.slice(0, 7)} [${r.refs.join(',')}] ${r.files.map((f) => f.name).join(',')}`).join('; '));
  expect(summary(ourRead.scan)).toEqual([
    `dataset org/data: ${MAIN.slice(0, 7)} [main] data/test.csv,data/train.csv`,
    `model org/tiny: ${[[MAIN, '[main] config.json,model.safetensors,tokenizer.json'], [V1, '[v1] config.json']]
      .sort(([a], [b]) => a.localeCompare(b)).map(([commit, rest]) => `${commit.slice(0, 7)} ${rest}`).join('; ')}`,
  ]);
  expect({ repos: ourRead.scan.repos, warnings: ourRead.scan.warnings }).toEqual({ repos: theirWrite.scan.repos, warnings: [] });
  expect(theirWrite.scan.warnings).toEqual([]);
});

test('our cache is, entry by entry, the one huggingface_hub writes for the same downloads: blobs, refs, snapshot links, .no_exist markers', () => {
  const ourTree = tree(ours);
  // What the comparison is about is there: a relative snapshot link, a ref, an absent-file marker.
  expect(ourTree).toEqual(expect.arrayContaining([
    `models--org--tiny/snapshots/${MAIN}/model.safetensors -> ../../blobs/${sha256(REPOS['org/tiny'].commits[MAIN]['model.safetensors'])}`,
    `models--org--tiny/refs/v1: ${sha256(V1)}`,
    `models--org--tiny/.no_exist/${V1}/model.safetensors: ${sha256('')}`,
  ]));
  expect(ourTree).toEqual(tree(theirs));
});

test('we read the cache huggingface_hub wrote, online without asking the hub and offline, to its snapshot files', async () => {
  for (const offline of [undefined, '1']) {
    const before = hub.requests.length;
    const read = await withEnv({ HF_HUB_CACHE: theirs, HF_HUB_OFFLINE: offline }, async () => ({
      model: await resolveModel('org/tiny'), tagged: await resolveModel('org/tiny@v1'), data: await resolveDataset('org/data'),
    }));
    expect({ offline, requests: hub.requests.slice(before).map((r) => r.url) }).toEqual({ offline, requests: [] });
    const snapshot = (type: string, id: string, commit: string) => path.join(repoCacheDir({ type: type as 'model' | 'dataset', id, revision: 'main' }, theirs), 'snapshots', commit);
    expect([read.model.weightsDir, read.model.commit, read.tagged.weightsDir, read.tagged.commit, read.data.dir, read.data.commit]).toEqual([
      snapshot('model', 'org/tiny', MAIN), MAIN, snapshot('model', 'org/tiny', V1), V1, snapshot('dataset', 'org/data', MAIN), MAIN]);
    const bytes = (file: string) => fs.readFileSync(file, 'utf8');
    expect(Object.fromEntries(['config.json', 'model.safetensors', 'tokenizer.json'].map((f) => [f, bytes(path.join(snapshot('model', 'org/tiny', MAIN), f))])))
      .toEqual(REPOS['org/tiny'].commits[MAIN]);
    expect(read.data.splits).toEqual({
      train: [path.join(read.data.dir, 'data', 'train.csv')],
      test: [path.join(read.data.dir, 'data', 'test.csv')],
    });
    expect(bytes(read.data.splits.train[0])).toBe(REPOS['datasets/org/data'].commits[MAIN]['data/train.csv']);
  }
});
