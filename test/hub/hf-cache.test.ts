// What we write into the HF cache, huggingface_hub reads: a model (a branch and a tag) and a
// dataset with a nested file, downloaded by our code from the loopback fake hub, are read back
// by hf_hub_download(..., local_files_only=True) in the reference python
// (test/reference/hf_cache_read.py), byte for byte, from our snapshot folders; the files we
// recorded as absent (.no_exist) are absent for it too.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoCacheDir } from '../../ts/hub/cache';
import { resolveDataset, resolveModel } from '../../ts/resolve';
import { runReference } from '../helpers/python';
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

let work: string;
let cache: string;
let hub: FakeHub;
let restoreEnvironment: () => void;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-hf-cache-'));
  cache = path.join(work, 'cache');
  hub = await startFakeHub(REPOS);
  restoreEnvironment = useHubEnvironment(hub.url, work, cache);
});

afterAll(async () => {
  await hub.close();
  restoreEnvironment();
  fs.rmSync(work, { recursive: true, force: true });
});

/** The files of a snapshot folder, '/'-separated, and those its .no_exist folder marks absent. */
function listed(repoDir: string, commit: string): { present: string[]; absent: string[] } {
  const files = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }) : [])
    .filter((entry) => !fs.statSync(path.join(dir, entry)).isDirectory()).map((entry) => entry.split(path.sep).join('/')).sort();
  return { present: files(path.join(repoDir, 'snapshots', commit)), absent: files(path.join(repoDir, '.no_exist', commit)) };
}

test('huggingface_hub reads what we downloaded, offline, byte for byte, at a branch, a tag and a commit sha', async () => {
  const model = await resolveModel('org/tiny');
  const tagged = await resolveModel('org/tiny@v1');
  const data = await resolveDataset('org/data');
  expect([model.commit, tagged.commit, data.commit]).toEqual([MAIN, V1, MAIN]);

  const asks: Array<{ repo_id: string; repo_type: string; filename: string; revision: string; body?: string; snapshot: string }> = [];
  for (const [key, revision, commit] of [['org/tiny', 'main', MAIN], ['org/tiny', 'v1', V1], ['org/tiny', MAIN, MAIN], ['datasets/org/data', 'main', MAIN]]) {
    const type = key.startsWith('datasets/') ? 'dataset' : 'model';
    const id = key.replace(/^datasets\//, '');
    const repoDir = repoCacheDir({ type, id, revision }, cache);
    const { present, absent } = listed(repoDir, commit);
    for (const filename of [...present, ...absent]) {
      asks.push({ repo_id: id, repo_type: type, filename, revision, body: REPOS[key].commits[commit][filename] as string | undefined, snapshot: path.join(repoDir, 'snapshots', commit) });
    }
  }
  // At least what the test is about: an LFS file, a nested path, a file marked absent.
  expect(asks.map((a) => `${a.repo_id}@${a.revision}/${a.filename}`)).toEqual(expect.arrayContaining([
    'org/tiny@main/config.json', 'org/tiny@main/model.safetensors', 'org/tiny@v1/config.json', 'org/tiny@v1/model.safetensors', 'org/data@main/data/train.csv']));

  process.env.HF_HUB_OFFLINE = '1';
  try {
    const reads = runReference<Read[]>('hf_cache_read.py', [], { cache_dir: cache, files: asks.map(({ body: _b, snapshot: _s, ...file }) => file) });
    const seen = reads.map((read, i) => `${asks[i].repo_id}@${asks[i].revision}/${asks[i].filename}: ${read.error ?? (read.absent ? 'absent' : read.sha256)}`);
    const expected = asks.map((a) => `${a.repo_id}@${a.revision}/${a.filename}: ${a.body === undefined ? 'absent' : sha256(a.body)}`);
    expect(seen).toEqual(expected);
    // huggingface_hub's paths are our snapshot entries.
    reads.forEach((read, i) => {
      if (read.path) expect(read.path).toBe(path.join(asks[i].snapshot, asks[i].filename));
    });
  } finally {
    delete process.env.HF_HUB_OFFLINE;
  }
});
