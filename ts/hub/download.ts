// Downloads from the HF hub ($HF_ENDPOINT, default https://huggingface.co) with Node's own
// http/https: redirects followed (the hub sends LFS files to a CDN), a bearer token from
// $HF_TOKEN (or the token file `huggingface-cli login` writes) sent to the hub's host only,
// a stall timeout ($HF_HUB_DOWNLOAD_TIMEOUT seconds, default 10 as in huggingface_hub), and
// each file written to a temporary name in blobs/ and renamed into place once whole.
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as path from 'path';
import { Transform } from 'stream';
import { pipeline } from 'stream/promises';
import { AlbertTrainerError } from '../errors';
import { type RepoRef, blobPath, hfHome } from './cache';
import { progressBar } from './progress';

const MAX_REDIRECTS = 10;

/** The hub could not be reached at all (refused, no route, stalled): a cached copy may stand in. */
export class HubUnreachableError extends AlbertTrainerError {}

export function hubEndpoint(): string {
  return (process.env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, '');
}

/** $HF_TOKEN, else the token file ($HF_TOKEN_PATH, default $HF_HOME/token). */
export function hubToken(): string | undefined {
  const fromEnv = process.env.HF_TOKEN ?? process.env.HUGGING_FACE_HUB_TOKEN;
  if (fromEnv !== undefined) return fromEnv.trim() || undefined;
  try {
    return fs.readFileSync(process.env.HF_TOKEN_PATH ?? path.join(hfHome(), 'token'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function timeoutMs(): number {
  const seconds = Number(process.env.HF_HUB_DOWNLOAD_TIMEOUT);
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : 10) * 1000;
}

/** `{endpoint}/{org/name}/resolve/{rev}/{file}`; datasets under `/datasets/`. */
export function resolveUrl(ref: RepoRef, revision: string, file: string): string {
  const prefix = ref.type === 'dataset' ? 'datasets/' : '';
  return `${hubEndpoint()}/${prefix}${ref.id}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

/** What the hub said about a file: the commit it is in, and the blob name (git sha or LFS sha256). */
interface FileMetadata {
  commit?: string;
  etag?: string;
}

interface Reply {
  response: http.IncomingMessage;
  url: string;
  metadata: FileMetadata;
}

function normalizeEtag(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  return text ? text.replace(/^W\//, '').replace(/"/g, '') : undefined;
}

function header(response: http.IncomingMessage, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function requestOnce(url: URL, headers: Record<string, string>): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const request = client.get(url, { headers }, resolve);
    request.setTimeout(timeoutMs(), () => request.destroy(new Error(`no data for ${timeoutMs() / 1000} s (HF_HUB_DOWNLOAD_TIMEOUT)`)));
    request.on('error', reject);
  });
}

/**
 * GET with redirects. The file's metadata comes from the last hub response that carries
 * X-Repo-Commit (the CDN's own headers say nothing about the repo): X-Linked-Etag for an LFS
 * file, else ETag. The token goes only to the origin the request started at.
 */
async function get(start: string): Promise<Reply> {
  const origin = new URL(start).origin;
  const token = hubToken();
  let url = new URL(start);
  const metadata: FileMetadata = {};
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = { 'user-agent': `albert-trainer; node/${process.versions.node}` };
    if (token && url.origin === origin) headers.authorization = `Bearer ${token}`;
    let response: http.IncomingMessage;
    try {
      response = await requestOnce(url, headers);
    } catch (error) {
      throw new HubUnreachableError('ERR_IO', `${url.href}: ${(error as Error).message}; check the connection or HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use only the local cache`);
    }
    const commit = header(response, 'x-repo-commit');
    if (commit) {
      metadata.commit = commit;
      metadata.etag = normalizeEtag(response.headers['x-linked-etag'] ?? response.headers.etag);
    }
    const status = response.statusCode ?? 0;
    const location = header(response, 'location');
    if ([301, 302, 303, 307, 308].includes(status) && location) {
      response.resume();
      if (hop >= MAX_REDIRECTS) throw new AlbertTrainerError('ERR_IO', `${start}: more than ${MAX_REDIRECTS} redirects`);
      url = new URL(location, url);
      continue;
    }
    if (!metadata.commit) metadata.etag = normalizeEtag(response.headers['x-linked-etag'] ?? response.headers.etag);
    return { response, url: url.href, metadata };
  }
}

/** One clear error for a reply that is not 200. */
function statusError(start: string, response: http.IncomingMessage): AlbertTrainerError {
  const status = response.statusCode ?? 0;
  response.resume();
  const hubMessage = header(response, 'x-error-message');
  const said = `${status} ${response.statusMessage ?? ''}`.trim() + (hubMessage ? ` (${hubMessage})` : '');
  if (status === 401 || status === 403) {
    return new AlbertTrainerError('ERR_IO', `${start}: ${said}: the repo is gated or private, or does not exist; ` +
      `set HF_TOKEN to a token that has access${hubToken() ? ' (the one set was refused)' : ''}`);
  }
  return new AlbertTrainerError('ERR_IO', `${start}: ${said}`);
}

export type Download =
  | { found: true; commit: string; blob: string }
  | { found: false; commit?: string; reason: string };

/**
 * Fetches one repo file into `<repoDir>/blobs/<etag>` (kept as is if already there). A 404 is
 * `found: false` with the commit the hub named, for the caller to decide; every other failure
 * is an error naming the URL. Progress goes to `progress` when it is a TTY.
 */
export async function downloadBlob(url: string, repoDir: string, label: string, progress: NodeJS.WriteStream = process.stderr): Promise<Download> {
  const { response, metadata } = await get(url);
  if (response.statusCode === 404) {
    response.resume();
    return { found: false, commit: metadata.commit, reason: `${url} (404${header(response, 'x-error-code') ? ` ${header(response, 'x-error-code')}` : ''})` };
  }
  if (response.statusCode !== 200) throw statusError(url, response);
  if (!metadata.commit || !metadata.etag) {
    response.resume();
    throw new AlbertTrainerError('ERR_IO', `${url}: the reply has no ${metadata.commit ? 'ETag' : 'X-Repo-Commit'} header; is HF_ENDPOINT (${hubEndpoint()}) a HF hub?`);
  }
  const blob = blobPath(repoDir, metadata.etag);
  if (fs.existsSync(blob)) {
    response.destroy();
    return { found: true, commit: metadata.commit, blob };
  }
  await writeAtomically(url, response, blob, label, progress);
  return { found: true, commit: metadata.commit, blob };
}

/** The body to `<blob>.<pid>.<random>.incomplete`, checked against Content-Length, then renamed to `blob`. */
async function writeAtomically(url: string, response: http.IncomingMessage, blob: string, label: string, progress: NodeJS.WriteStream): Promise<void> {
  fs.mkdirSync(path.dirname(blob), { recursive: true });
  const temp = `${blob}.${process.pid}.${Math.random().toString(36).slice(2)}.incomplete`;
  const lengthHeader = header(response, 'content-length');
  const total = lengthHeader === undefined ? undefined : Number(lengthHeader);
  const bar = progressBar(progress, label, total);
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      bar.update(received);
      done(null, chunk);
    },
  });
  try {
    await pipeline(response, counter, fs.createWriteStream(temp, { flags: 'wx' }));
    if (total !== undefined && received !== total) throw new Error('short');
    fs.renameSync(temp, blob);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    bar.fail();
    if (total !== undefined && received < total) {
      throw new AlbertTrainerError('ERR_IO', `${url}: the download broke off after ${received} of ${total} bytes; nothing was kept, run again to retry`);
    }
    throw new AlbertTrainerError('ERR_IO', `${url}: ${(error as Error).message}`);
  }
  bar.done();
}

/** GET a JSON document from the hub API (a repo listing). 404 is undefined. */
export async function getJson<T>(url: string): Promise<T | undefined> {
  const { response } = await get(url);
  if (response.statusCode === 404) {
    response.resume();
    return undefined;
  }
  if (response.statusCode !== 200) throw statusError(url, response);
  response.setEncoding('utf8');
  let text = '';
  try {
    for await (const chunk of response) text += chunk as string;
    return JSON.parse(text) as T;
  } catch (error) {
    throw new AlbertTrainerError('ERR_IO', `${url}: not a JSON reply: ${(error as Error).message}`);
  }
}
