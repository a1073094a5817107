// A fake HF hub on 127.0.0.1 for tests: serves repo files in the hub's URL layout, with the
// headers huggingface_hub reads (X-Repo-Commit; ETag = git blob sha1 for small files; for LFS
// files a 302 to a CDN path with X-Linked-Etag = sha256), the dataset listing API, the tree API
// (what snapshot_download lists), and 404s with X-Error-Code. Every request is recorded; `intercept` lets a test answer one itself.
import { createHash } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';

export interface FakeRepo {
  /** Branches and tags -> commit sha. */
  refs: Record<string, string>;
  /** Commit sha -> files (path -> contents). */
  commits: Record<string, Record<string, string | Uint8Array>>;
  /** Files served the LFS way: a redirect to the CDN. */
  lfs?: string[];
}

export interface RecordedRequest {
  url: string;
  authorization?: string;
  host?: string;
}

export interface FakeHub {
  url: string;
  /** Keys: `org/name` for models, `datasets/org/name` for datasets. */
  repos: Record<string, FakeRepo>;
  requests: RecordedRequest[];
  /** Where LFS redirects point: this server (relative Location) unless set, e.g. to another FakeHub's url. */
  cdnUrl?: string;
  intercept?: (request: http.IncomingMessage, response: http.ServerResponse) => boolean;
  close(): Promise<void>;
}

// Bytes as createHash takes them (a Buffer is a Uint8Array; these type definitions disagree).
const bytes = (body: string | Uint8Array) => (typeof body === 'string' ? new TextEncoder().encode(body) : new Uint8Array(body));
export const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
export const gitBlobSha = (body: string | Uint8Array) => createHash('sha1').update(`blob ${bytes(body).length}\0`).update(bytes(body)).digest('hex');
export const sha256 = (body: string | Uint8Array) => createHash('sha256').update(bytes(body)).digest('hex');

function lookup(hub: FakeHub, key: string, revision: string) {
  const repo = hub.repos[key];
  if (!repo) return { repo: undefined, commit: undefined };
  const commit = repo.commits[revision] ? revision : repo.refs[revision];
  return { repo, commit };
}

function notFound(response: http.ServerResponse, code: string, commit?: string): void {
  response.writeHead(404, { 'x-error-code': code, 'x-error-message': `${code} (fake hub)`, ...(commit ? { 'x-repo-commit': commit } : {}) });
  response.end('not found');
}

/** The entries under `folder` ('' for the root) at a commit, as the hub's tree API lists them. */
function treeEntries(repo: FakeRepo, commit: string, folder: string, recursive: boolean): object[] {
  const prefix = folder === '' ? '' : `${folder.replace(/\/$/, '')}/`;
  const entries = new Map<string, object>();
  for (const [file, body] of Object.entries(repo.commits[commit])) {
    if (!file.startsWith(prefix)) continue;
    const parts = file.slice(prefix.length).split('/');
    // The folders between `folder` and the file (only the first unless recursive).
    for (let depth = 1; depth < parts.length && (recursive || depth === 1); depth++) {
      const dir = prefix + parts.slice(0, depth).join('/');
      entries.set(dir, { type: 'directory', path: dir, oid: sha1(`tree ${dir}`) });
    }
    if (parts.length > 1 && !recursive) continue;
    const size = bytes(body).length;
    const lfs = repo.lfs?.includes(file) ? { lfs: { size, oid: sha256(body), pointerSize: 134 } } : {};
    entries.set(file, { type: 'file', path: file, size, oid: gitBlobSha(body), ...lfs });
  }
  return [...entries.values()];
}

function serve(hub: FakeHub, request: http.IncomingMessage, response: http.ServerResponse): void {
  const url = new URL(request.url ?? '/', 'http://fake');
  const path = decodeURIComponent(url.pathname);
  const cdn = path.match(/^\/cdn\/([0-9a-f]{64})$/);
  if (cdn) {
    for (const repo of Object.values(hub.repos)) {
      for (const files of Object.values(repo.commits)) {
        for (const body of Object.values(files)) {
          if (sha256(body) === cdn[1]) {
            response.writeHead(200, { 'content-length': Buffer.byteLength(body), etag: '"cdn-etag-says-nothing-about-the-repo"' });
            response.end(body);
            return;
          }
        }
      }
    }
    notFound(response, 'NoSuchKey');
    return;
  }
  const listing = path.match(/^\/api\/datasets\/(.+)\/revision\/([^/]+)$/);
  if (listing) {
    const { repo, commit } = lookup(hub, `datasets/${listing[1]}`, listing[2]);
    if (!repo) return notFound(response, 'RepoNotFound');
    if (!commit) return notFound(response, 'RevisionNotFound');
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ id: listing[1], sha: commit, siblings: Object.keys(repo.commits[commit]).map((rfilename) => ({ rfilename })) }));
    return;
  }
  // The tree API (huggingface_hub's list_repo_tree, which snapshot_download reads): files with
  // their git blob sha, LFS files with their sha256, and (recursive) the folders between.
  const tree = path.match(/^\/api\/(models|datasets)\/(.+)\/tree\/([^/]+)(?:\/(.*))?$/);
  if (tree) {
    const { repo, commit } = lookup(hub, tree[1] === 'datasets' ? `datasets/${tree[2]}` : tree[2], tree[3]);
    if (!repo) return notFound(response, 'RepoNotFound');
    if (!commit) return notFound(response, 'RevisionNotFound');
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(treeEntries(repo, commit, tree[4] ?? '', url.searchParams.get('recursive') === 'true')));
    return;
  }
  const resolve = path.match(/^\/((?:datasets\/)?[^/]+(?:\/[^/]+)?)\/resolve\/([^/]+)\/(.+)$/);
  if (!resolve) return notFound(response, 'NoRoute');
  const [, key, revision, file] = resolve;
  const { repo, commit } = lookup(hub, key, revision);
  if (!repo) return notFound(response, 'RepoNotFound');
  if (!commit) return notFound(response, 'RevisionNotFound');
  const body = repo.commits[commit][file];
  if (body === undefined) return notFound(response, 'EntryNotFound', commit);
  if (repo.lfs?.includes(file)) {
    const location = `${hub.cdnUrl ?? ''}/cdn/${sha256(body)}`;
    response.writeHead(302, { location, 'x-repo-commit': commit, 'x-linked-etag': `"${sha256(body)}"`, 'x-linked-size': Buffer.byteLength(body), etag: '"redirect-etag"' });
    response.end();
    return;
  }
  response.writeHead(200, { 'content-length': Buffer.byteLength(body), 'x-repo-commit': commit, etag: `"${gitBlobSha(body)}"` });
  response.end(body);
}

export async function startFakeHub(repos: Record<string, FakeRepo> = {}): Promise<FakeHub> {
  const server = http.createServer();
  const hub: FakeHub = {
    url: '',
    repos,
    requests: [],
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
    hub.requests.push({ url: request.url ?? '', authorization: request.headers.authorization, host: request.headers.host });
    if (hub.intercept?.(request, response)) return;
    serve(hub, request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return hub;
}

/** Every variable that steers the hub client or the data folder. */
export const HF_VARS = ['HF_ENDPOINT', 'HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'HF_HOME', 'HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_TOKEN_PATH',
  'HF_HUB_OFFLINE', 'TRANSFORMERS_OFFLINE', 'HF_HUB_DOWNLOAD_TIMEOUT', 'ALBERT_TRAINER_DATA'];

/**
 * Points this process at a test hub and cache (HF_ENDPOINT, HF_HUB_CACHE, HF_HOME and an empty
 * data folder under `work`), every other HF_VARS cleared; returns the function that restores them.
 */
export function useHubEnvironment(hubUrl: string, work: string, cache: string): () => void {
  const saved = Object.fromEntries(HF_VARS.map((name) => [name, process.env[name]]));
  for (const name of HF_VARS) delete process.env[name];
  Object.assign(process.env, { HF_ENDPOINT: hubUrl, HF_HUB_CACHE: cache, HF_HOME: path.join(work, 'hf-home'), ALBERT_TRAINER_DATA: path.join(work, 'no-data-folder') });
  return () => {
    for (const name of HF_VARS) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  };
}
