// The local HF hub cache, laid out as huggingface_hub lays it out, so that both read each
// other's downloads:
//
//   <cache>/models--org--name/            (datasets--org--name for a dataset)
//     refs/<revision>                      the commit sha a branch or tag pointed at
//     blobs/<etag>                         the file contents, named by git sha or LFS sha256
//     snapshots/<commit>/<file>            a relative symlink to ../../blobs/<etag> (a copy where symlinks fail)
//     .no_exist/<commit>/<file>            an empty marker: the hub said this file is not in that commit
//
// <cache> is $HF_HUB_CACHE, else $HF_HOME/hub, HF_HOME being ~/.cache/huggingface by default.
//
// Commits, blob names and file names come from the network (HF_ENDPOINT may be any server):
// the callers check them against the rules below before use, and every path written here goes
// through cachePath, which refuses one that resolves outside its area of the repo's folder.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AlbertTrainerError } from '../errors';
import { placeAtomicSync, writeFileAtomicSync } from '../io/atomic-write';

export type RepoType = 'model' | 'dataset';

/** A hub repo at a revision: `org/name@rev` on the command line. */
export interface RepoRef {
  type: RepoType;
  id: string;
  revision: string;
}

export const DEFAULT_REVISION = 'main';
/** A commit sha as the hub writes it: 40 lowercase hex digits. */
export const COMMIT_HASH = /^[0-9a-f]{40}$/;
/** A blob name: a git blob sha1 (40 hex digits) or an LFS sha256 (64), lowercase as the hub sends them. */
export const BLOB_NAME = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const REPO_ID = /^([\w.-]+\/)?[\w.-]+$/;

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

export function hfHome(): string {
  return expandHome(process.env.HF_HOME ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'huggingface'));
}

export function hubCacheDir(): string {
  const fromEnv = process.env.HF_HUB_CACHE ?? process.env.HUGGINGFACE_HUB_CACHE;
  return fromEnv ? expandHome(fromEnv) : path.join(hfHome(), 'hub');
}

/** HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is 1, on, yes or true, as huggingface_hub reads it. */
export function isOffline(): boolean {
  const value = process.env.HF_HUB_OFFLINE || process.env.TRANSFORMERS_OFFLINE;
  return value !== undefined && ['1', 'ON', 'YES', 'TRUE'].includes(value.toUpperCase());
}

/**
 * Why `name` cannot be a '/'-separated path relative to a repo (a file name from a listing, a
 * revision or ref name), or undefined where it can: huggingface_hub's rules, so that no name
 * climbs out of, or jumps past, the folder it is joined to.
 */
export function relativeNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name.includes('\0')) return 'it holds a NUL character';
  if (name.includes('\\')) return 'it holds a backslash';
  if (name.startsWith('/')) return 'it is an absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'it starts with a drive letter';
  const segment = name.split('/').find((part) => part === '' || part === '.' || part === '..');
  if (segment !== undefined) return segment === '' ? 'it has an empty segment' : `it has a '${segment}' segment`;
  return undefined;
}

/**
 * `org/name` or `org/name@rev` as a repo reference; undefined where the name cannot be a hub
 * repo id (an absolute or dotted path, say), so the caller does not ask the hub about it.
 */
export function parseRepoRef(name: string, type: RepoType): RepoRef | undefined {
  const at = name.indexOf('@');
  const id = at < 0 ? name : name.slice(0, at);
  const revision = at < 0 ? DEFAULT_REVISION : name.slice(at + 1);
  if (!REPO_ID.test(id) || id.length > 96 || id.includes('--') || id.includes('..') || /^[.-]|[.-]$/.test(id)) return undefined;
  const problem = at >= 0 ? relativeNameProblem(revision) : undefined;
  if (problem) throw new AlbertTrainerError('ERR_ARGUMENT', `the revision after @ must be a branch, tag or commit sha (${JSON.stringify(revision)}: ${problem})`);
  return { type, id, revision };
}

/** `<cache>/models--org--name`. */
export function repoCacheDir(ref: RepoRef, cache = hubCacheDir()): string {
  return path.join(cache, `${ref.type}s--${ref.id.split('/').join('--')}`);
}

/** The four folders of a repo's cache folder. */
export type CacheArea = 'refs' | 'blobs' | 'snapshots' | '.no_exist';

/**
 * `<repoDir>/<area>/<parts...>`, refused (ERR_IO) unless it resolves strictly inside
 * `<repoDir>/<area>`: the last guard, under the rules the callers check, that a name from the
 * network cannot make us read or write outside the cache, or in another area of it.
 */
export function cachePath(repoDir: string, area: CacheArea, ...parts: string[]): string {
  const root = path.resolve(repoDir, area);
  const target = path.join(repoDir, area, ...parts);
  if (parts.some((part) => part.includes('\0')) || !path.resolve(target).startsWith(root + path.sep)) {
    throw new AlbertTrainerError('ERR_IO', `${JSON.stringify(parts.join('/'))} would put a file outside ${root}; refused, nothing was written`);
  }
  return target;
}

export function snapshotDir(repoDir: string, commit: string): string {
  return cachePath(repoDir, 'snapshots', commit);
}

/**
 * The commit a revision points at in the cache: the revision itself if a sha, else the sha in
 * refs/<revision>; a ref that holds anything else counts as no ref (a download rewrites it).
 */
export function cachedCommit(repoDir: string, revision: string): string | undefined {
  if (COMMIT_HASH.test(revision)) return revision;
  try {
    const commit = fs.readFileSync(cachePath(repoDir, 'refs', revision), 'utf8').trim();
    return COMMIT_HASH.test(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

/** 'present' (in the snapshot), 'absent' (the hub said it is not there), or undefined (unknown). */
export function cachedFileState(repoDir: string, commit: string, file: string): 'present' | 'absent' | undefined {
  if (fs.existsSync(cachePath(repoDir, 'snapshots', commit, file))) return 'present';
  if (fs.existsSync(cachePath(repoDir, '.no_exist', commit, file))) return 'absent';
  return undefined;
}

export function markAbsent(repoDir: string, commit: string, file: string): void {
  const marker = cachePath(repoDir, '.no_exist', commit, file);
  fs.mkdirSync(path.dirname(marker), { recursive: true });
  fs.closeSync(fs.openSync(marker, 'a'));
}

/** Writes refs/<revision> = commit, atomically; a sha as revision needs no ref. */
export function writeRef(repoDir: string, revision: string, commit: string): void {
  if (revision === commit) return;
  if (!COMMIT_HASH.test(commit)) throw new AlbertTrainerError('ERR_IO', `refs/${revision}: ${JSON.stringify(commit)} is not a commit sha; not written`);
  const ref = cachePath(repoDir, 'refs', revision);
  fs.mkdirSync(path.dirname(ref), { recursive: true });
  writeFileAtomicSync(ref, commit, 'into the HF cache');
}

export function blobPath(repoDir: string, etag: string): string {
  return cachePath(repoDir, 'blobs', etag);
}

/**
 * Puts snapshots/<commit>/<file> in place for a blob: a relative symlink, or a copy where the
 * file system refuses symlinks. Made under a temporary name and renamed, so a snapshot never
 * holds a half-made entry.
 */
export function linkSnapshotFile(repoDir: string, commit: string, file: string, blob: string): string {
  const pointer = cachePath(repoDir, 'snapshots', commit, file);
  // The link's target too: a link out of blobs/ would let a later read or write follow it out.
  cachePath(repoDir, 'blobs', path.relative(path.join(repoDir, 'blobs'), blob));
  fs.mkdirSync(path.dirname(pointer), { recursive: true });
  placeAtomicSync(pointer, (temp) => {
    try {
      fs.symlinkSync(path.relative(path.dirname(pointer), blob), temp);
    } catch {
      fs.copyFileSync(blob, temp);
    }
  }, 'into the HF cache');
  return pointer;
}
