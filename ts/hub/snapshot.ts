// A repo's files at a revision, in the local cache: taken from the cache when there, else
// downloaded into it (unless HF_HUB_OFFLINE). What huggingface_hub's hf_hub_download does per
// file, for the few files a model needs, and for a dataset's train/validation/test files
// found through the hub's listing of the repo.
import * as fs from 'fs';
import * as path from 'path';
import { AlbertTrainerError } from '../errors';
import {
  COMMIT_HASH, type RepoRef, cachedCommit, cachedFileState, isOffline, linkSnapshotFile, markAbsent, relativeNameProblem, repoCacheDir,
  snapshotDir, writeRef,
} from './cache';
import { type Download, HubUnreachableError, downloadBlob, getJson, hubEndpoint, refusedValue, resolveUrl } from './download';

/** A snapshot folder, or where we looked (the cache folder, the URL that said 404). */
export type Snapshot = { dir: string; commit: string } | { dir: undefined; looked: string[] };

/** The files of a model repo we use; the first is required. */
export const MODEL_FILES = ['config.json', 'model.safetensors', 'pytorch_model.bin', 'tokenizer.json', 'tokenizer_config.json', 'spiece.model', 'special_tokens_map.json'];

/** A file fetched only when the one it stands in for is not in the repo: the weights, as HF's from_pretrained picks them. */
const FALLBACK_FOR: Record<string, string> = { 'pytorch_model.bin': 'model.safetensors' };

export const DATA_EXTENSIONS = ['.jsonl', '.json', '.csv', '.tsv'];

/** A split's file, top level or under data/: `train.jsonl`, `data/test.csv`. `has` says whether a relative path exists. */
export function splitFile(stem: string, has: (relative: string) => boolean): string | undefined {
  for (const folder of ['', 'data/']) {
    for (const ext of DATA_EXTENSIONS) {
      if (has(`${folder}${stem}${ext}`)) return `${folder}${stem}${ext}`;
    }
  }
  return undefined;
}

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

export async function datasetSnapshot(ref: RepoRef): Promise<Snapshot> {
  const repoDir = repoCacheDir(ref);
  const looked = [cacheEntry(repoDir, ref.revision)];
  const cached = cachedCommit(repoDir, ref.revision);
  if (cached) {
    const dir = snapshotDir(repoDir, cached);
    if (splitFile('train', (relative) => fs.existsSync(path.join(dir, relative)))) return { dir, commit: cached };
  }
  if (isOffline()) return { dir: undefined, looked };

  const listingUrl = `${hubEndpoint()}/api/datasets/${ref.id}/revision/${encodeURIComponent(ref.revision)}`;
  const listing = await getJson<DatasetListing>(listingUrl);
  if (!listing) return { dir: undefined, looked: [...looked, `${listingUrl} (404)`] };
  const { commit, files } = checkListing(listing, listingUrl);
  const names = new Set(files);
  const has = (relative: string) => names.has(relative);
  const train = splitFile('train', has);
  if (!train) {
    const parquet = [...names].some((n) => n.endsWith('.parquet'));
    throw new AlbertTrainerError('ERR_IO', parquet
      ? `${ref.id} holds its data as parquet, which is not supported; convert it to jsonl, csv or tsv and pass the folder or --train-file`
      : `${ref.id} has no train file (train${DATA_EXTENSIONS.join(', train')}, top level or under data/)`);
  }
  // The evaluation files first and the train file last: a cached snapshot with its train file is whole.
  const dir = snapshotDir(repoDir, commit);
  for (const file of [splitFile('validation', has), splitFile('test', has), train]) {
    if (!file || cachedFileState(repoDir, commit, file) === 'present') continue;
    const got = await downloadBlob(resolveUrl(ref, commit, file), repoDir, `${ref.id} ${file}`);
    if (!got.found) throw new AlbertTrainerError('ERR_IO', `${got.reason}: listed by ${listingUrl} but not served`);
    linkSnapshotFile(repoDir, commit, file, got.blob);
  }
  writeRef(repoDir, ref.revision, commit);
  return { dir, commit };
}
