// A repo's files at a revision, in the local cache: taken from the cache when there, else
// downloaded into it (unless HF_HUB_OFFLINE). What huggingface_hub's hf_hub_download does per
// file, for the few files a model needs, and for a dataset's split files found through the
// hub's listing of the repo and resolved as datasets.load_dataset resolves them (ts/data/splits.ts).
import * as fs from 'fs';
import * as path from 'path';
import { AlbertTrainerError } from '../errors';
import {
  COMMIT_HASH, type RepoRef, cachedCommit, cachedFileState, isOffline, linkSnapshotFile, markAbsent, relativeNameProblem, repoCacheDir,
  snapshotDir, writeRef,
} from './cache';
import { type Download, HubUnreachableError, downloadBlob, getJson, hubEndpoint, refusedValue, resolveUrl } from './download';
import { DATA_EXTENSIONS, type DataLayout, missingShards, resolveLayout } from '../data/splits';

/** A snapshot folder, or where we looked (the cache folder, the URL that said 404). */
export type Snapshot = { dir: string; commit: string } | { dir: undefined; looked: string[] };

/** The files of a model repo we use; the first is required. */
export const MODEL_FILES = ['config.json', 'model.safetensors', 'pytorch_model.bin', 'tokenizer.json', 'tokenizer_config.json', 'spiece.model', 'special_tokens_map.json'];

/** A file fetched only when the one it stands in for is not in the repo: the weights, as HF's from_pretrained picks them. */
const FALLBACK_FOR: Record<string, string> = { 'pytorch_model.bin': 'model.safetensors' };

function cacheEntry(repoDir: string, revision: string): string {
  return `${repoDir} (revision ${revision})`;
}

export async function modelSnapshot(ref: RepoRef, files = MODEL_FILES): Promise<Snapshot> {
  const repoDir = repoCacheDir(ref);
  const looked = [cacheEntry(repoDir, ref.revision)];
  const [required] = files;
  let commit = cachedCommit(repoDir, ref.revision);
  const settled = (file: string) => commit !== undefined && (cachedFileState(repoDir, commit, file) !== undefined ||
    (FALLBACK_FOR[file] !== undefined && cachedFileState(repoDir, commit, FALLBACK_FOR[file]) === 'present'));
  // In the cache: the required file, and every other file either there or known to be absent
  // (offline, whatever is there will do).
  const cachedRequired = commit && cachedFileState(repoDir, commit, required) === 'present' ? commit : undefined;
  if (cachedRequired && (isOffline() || files.every(settled))) return { dir: snapshotDir(repoDir, cachedRequired), commit: cachedRequired };
  if (isOffline()) return { dir: undefined, looked };
  // Download what is missing, pinned to the cached commit if there is one, so one snapshot never
  // mixes two. Where the hub cannot be reached and the cache has the required file, the cache
  // will do, as huggingface_hub falls back to it on a connection error.
  for (const file of files) {
    if (settled(file)) continue;
    let got: Download;
    try {
      got = await downloadBlob(resolveUrl(ref, commit ?? ref.revision, file), repoDir, `${ref.id} ${file}`);
    } catch (error) {
      if (cachedRequired && error instanceof HubUnreachableError) return { dir: snapshotDir(repoDir, cachedRequired), commit: cachedRequired };
      throw error;
    }
    if (!got.found) {
      if (file === required) return { dir: undefined, looked: [...looked, got.reason] };
      if (got.commit) {
        markAbsent(repoDir, got.commit, file);
        commit ??= got.commit;
      }
      continue;
    }
    commit = got.commit;
    linkSnapshotFile(repoDir, commit, file, got.blob);
    writeRef(repoDir, ref.revision, commit);
  }
  return { dir: snapshotDir(repoDir, commit as string), commit: commit as string };
}

interface DatasetListing {
  sha?: unknown;
  siblings?: unknown;
}

/**
 * The commit and file names of a repo listing (`/api/datasets/{id}/revision/{rev}`), checked:
 * the sha is a commit sha, and every `siblings[i].rfilename` a safe relative file name, since
 * each may become a path in the cache. One bad entry refuses the whole listing: a hub does not
 * send one, so the endpoint is not one to take files from.
 */
export function checkListing(listing: DatasetListing, listingUrl: string): { commit: string; files: string[] } {
  if (listing.sha === undefined || !Array.isArray(listing.siblings)) {
    throw new AlbertTrainerError('ERR_IO', `${listingUrl}: the listing has no sha or siblings; is HF_ENDPOINT (${hubEndpoint()}) a HF hub?`);
  }
  if (typeof listing.sha !== 'string' || !COMMIT_HASH.test(listing.sha)) {
    throw refusedValue(listingUrl, "listing's sha", listing.sha, 'a commit sha (40 lowercase hex digits)');
  }
  const files = listing.siblings.map((sibling: unknown, i) => {
    const name = (sibling as { rfilename?: unknown } | null)?.rfilename;
    const problem = typeof name === 'string' ? relativeNameProblem(name) : 'it is not a string';
    if (problem) throw refusedValue(listingUrl, `listing's siblings[${i}].rfilename`, name, `a relative file name (${problem})`);
    return name as string;
  });
  return { commit: listing.sha, files };
}

/** The hub's automatic parquet conversion of a dataset, for repos whose main branch holds only a loading script. */
export const PARQUET_CONVERSION = 'refs/convert/parquet';

export type DatasetSnapshot = { dir: string; commit: string; revision: string; layout: DataLayout } | { dir: undefined; looked: string[] };

/** Every file under `dir`, as '/'-separated names relative to it (dot folders skipped). */
export function localFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (relative: string, depth: number) => {
    for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const name = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory() || (entry.isSymbolicLink() && fs.statSync(path.join(dir, name), { throwIfNoEntry: false })?.isDirectory())) {
        if (depth < 4) walk(name, depth + 1);
      } else out.push(name);
    }
  };
  walk('', 0);
  return out;
}

/** The layout of a folder's files (its README.md's configs: block honoured). */
export function folderLayout(dir: string, config: string | undefined, where: string): DataLayout {
  const readme = path.join(dir, 'README.md');
  return resolveLayout(localFiles(dir), { config, where, ...(fs.existsSync(readme) ? { readme: fs.readFileSync(readme, 'utf8') } : {}) });
}

/** A cached snapshot whose chosen config has a whole train split (every shard by its -of-N count), or undefined. */
function cachedLayout(repoDir: string, commit: string, config: string | undefined, where: string): DataLayout | undefined {
  try {
    const layout = folderLayout(snapshotDir(repoDir, commit), config, where);
    const train = layout.splits.train;
    return train && !missingShards(train) ? layout : undefined;
  } catch {
    return undefined; // not (yet) what is needed: ask the hub
  }
}

/**
 * A dataset repo's split files for `config`, from the cache or downloaded into it: the listing
 * (every name checked by checkListing before it becomes a path), its README.md for a configs:
 * block, then the chosen config's split files (evaluation splits first, train last, so a cached
 * snapshot with its train split is whole). A main branch with only a loading script is read
 * from the hub's parquet conversion (refs/convert/parquet), as datasets does.
 */
export async function datasetSnapshot(ref: RepoRef, options: { config?: string } = {}): Promise<DatasetSnapshot> {
  const repoDir = repoCacheDir(ref);
  const looked = [cacheEntry(repoDir, ref.revision)];
  const revisions = ref.revision === 'main' ? [ref.revision, PARQUET_CONVERSION] : [ref.revision];
  for (const revision of revisions) {
    const cached = cachedCommit(repoDir, revision);
    const layout = cached ? cachedLayout(repoDir, cached, options.config, ref.id) : undefined;
    if (cached && layout) return { dir: snapshotDir(repoDir, cached), commit: cached, revision, layout };
  }
  if (isOffline()) return { dir: undefined, looked };

  const list = async (revision: string) => {
    const listingUrl = `${hubEndpoint()}/api/datasets/${ref.id}/revision/${encodeURIComponent(revision)}`;
    const listing = await getJson<DatasetListing>(listingUrl);
    return listing ? { listingUrl, ...checkListing(listing, listingUrl) } : { listingUrl, commit: undefined, files: [] as string[] };
  };
  let revision = ref.revision;
  let listed = await list(revision);
  if (!listed.commit) return { dir: undefined, looked: [...looked, `${listed.listingUrl} (404)`] };
  const scriptOnly = !listed.files.some((f) => DATA_EXTENSIONS.some((ext) => f.toLowerCase().endsWith(ext))) && listed.files.some((f) => !f.includes('/') && f.endsWith('.py'));
  if (scriptOnly && ref.revision === 'main') {
    revision = PARQUET_CONVERSION;
    listed = await list(revision);
    if (!listed.commit) {
      throw new AlbertTrainerError('ERR_IO', `${ref.id} holds a loading script and no data files, and the hub has no parquet conversion of it (${listed.listingUrl}: 404)`);
    }
  }
  const { commit, files, listingUrl } = listed as { commit: string; files: string[]; listingUrl: string };
  const fetch = async (file: string) => {
    if (cachedFileState(repoDir, commit, file) === 'present') return;
    const got = await downloadBlob(resolveUrl(ref, commit, file), repoDir, `${ref.id} ${file}`);
    if (!got.found) throw new AlbertTrainerError('ERR_IO', `${got.reason}: listed by ${listingUrl} but not served`);
    linkSnapshotFile(repoDir, commit, file, got.blob);
  };
  const dir = snapshotDir(repoDir, commit);
  let readme: string | undefined;
  if (files.includes('README.md') && revision !== PARQUET_CONVERSION) {
    await fetch('README.md');
    readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
  }
  // Patterns of a configs: block are matched against these names only: each passed checkListing.
  const layout = resolveLayout(files, { config: options.config, where: ref.id, ...(readme !== undefined ? { readme } : {}) });
  const order = Object.keys(layout.splits).sort((a, b) => Number(a === 'train') - Number(b === 'train'));
  for (const split of order) for (const file of layout.splits[split]) await fetch(file);
  writeRef(repoDir, revision, commit);
  return { dir, commit, revision, layout };
}
