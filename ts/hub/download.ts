// Downloads from the HF hub ($HF_ENDPOINT, default https://huggingface.co) with Node's own
// http/https: redirects followed (the hub sends LFS files to a CDN), a bearer token from
// $HF_TOKEN (or the token file `huggingface-cli login` writes) sent to the hub's host only,
// a stall timeout ($HF_HUB_DOWNLOAD_TIMEOUT seconds, default 10 as in huggingface_hub), and
// each file written to a temporary name in blobs/ and renamed into place once whole.
//
// The endpoint is not trusted: it may be any mirror, over plain http. A commit or blob name it
// sends is checked before it names a file (ts/hub/cache.ts), only http(s) redirects are
// followed, and a body is kept only when its length is the one declared and, for an LFS file,
// its sha256 is the one the hub named.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as path from 'path';
import { Transform } from 'stream';
import { pipeline } from 'stream/promises';
import { AlbertTrainerError } from '../errors';
import { BLOB_NAME, COMMIT_HASH, type RepoRef, blobPath, hfHome } from './cache';
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

/**
 * What the hub said about a file: the commit it is in, the blob name (git sha or LFS sha256)
 * and the header that carried it, and the size of an LFS file (X-Linked-Size).
 */
interface FileMetadata {
  commit?: string;
  etag?: string;
  etagHeader?: 'X-Linked-Etag' | 'ETag';
  size?: string;
}

/** A response, and the first error its request reported, however late (a parse error after the body). */
interface Exchange {
  response: http.IncomingMessage;
  requestError(): Error | undefined;
}

interface Reply extends Exchange {
  url: string;
  metadata: FileMetadata;
}

/**
 * The error for a value from the endpoint that we refuse to use: it names where the value came
 * from (a header, a listing field), shows it escaped, and names the endpoint.
 */
export function refusedValue(url: string, field: string, value: unknown, expected: string): AlbertTrainerError {
  const shown = JSON.stringify(value) ?? String(value);
  return new AlbertTrainerError('ERR_IO', `${url}: the ${field} ${shown.length > 120 ? `${shown.slice(0, 117)}...` : shown} is not ${expected}; ` +
    `refused, nothing was written (HF_ENDPOINT is ${hubEndpoint()}; is it a HF hub?)`);
}

function normalizeEtag(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  return text ? text.replace(/^W\//, '').replace(/"/g, '') : undefined;
}

function header(response: http.IncomingMessage, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function requestOnce(url: URL, headers: Record<string, string>): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    // Kept from the start: the parser can report bytes past the body in the same breath as the
    // body itself, before the caller gets to listen.
    let requestError: Error | undefined;
    const request = client.get(url, { headers }, (response) => resolve({ response, requestError: () => requestError }));
    request.setTimeout(timeoutMs(), () => request.destroy(new Error(`no data for ${timeoutMs() / 1000} s (HF_HUB_DOWNLOAD_TIMEOUT)`)));
    request.on('error', (error) => {
      requestError ??= error;
      reject(error);
    });
  });
}

function readEtag(response: http.IncomingMessage, metadata: FileMetadata): void {
  const linked = response.headers['x-linked-etag'] !== undefined;
  metadata.etag = normalizeEtag(linked ? response.headers['x-linked-etag'] : response.headers.etag);
  metadata.etagHeader = linked ? 'X-Linked-Etag' : 'ETag';
  metadata.size = linked ? header(response, 'x-linked-size') : undefined;
}

/**
 * GET with redirects. The file's metadata comes from the last hub response that carries
 * X-Repo-Commit (the CDN's own headers say nothing about the repo): X-Linked-Etag for an LFS
 * file, else ETag. The token goes only to the origin the request started at, and only http
 * and https URLs are asked (a Location of file: or any other scheme is refused).
 */
async function get(start: string): Promise<Reply> {
  let url = new URL(start);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refusedValue(start, 'URL', url.href, 'an http or https URL');
  const origin = url.origin;
  const token = hubToken();
  const metadata: FileMetadata = {};
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = { 'user-agent': `albert-trainer; node/${process.versions.node}` };
    if (token && url.origin === origin) headers.authorization = `Bearer ${token}`;
    let reply: Exchange;
    try {
      reply = await requestOnce(url, headers);
    } catch (error) {
      throw new HubUnreachableError('ERR_IO', `${url.href}: ${(error as Error).message}; check the connection or HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use only the local cache`);
    }
    const { response } = reply;
    const commit = header(response, 'x-repo-commit');
    if (commit) {
      metadata.commit = commit;
      readEtag(response, metadata);
    }
    const status = response.statusCode ?? 0;
    const location = header(response, 'location');
    if ([301, 302, 303, 307, 308].includes(status) && location) {
      response.resume();
      if (hop >= MAX_REDIRECTS) throw new AlbertTrainerError('ERR_IO', `${start}: more than ${MAX_REDIRECTS} redirects`);
      let next: URL | undefined;
      try {
        next = new URL(location, url);
      } catch {
        next = undefined;
      }
      if (!next || (next.protocol !== 'http:' && next.protocol !== 'https:')) {
        throw refusedValue(url.href, 'Location header', location, 'an http or https URL');
      }
      url = next;
      continue;
    }
    if (!metadata.commit) readEtag(response, metadata);
    return { ...reply, url: url.href, metadata };
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
  const reply = await get(url);
  const { response, metadata } = reply;
  // The commit names snapshots/<commit> and .no_exist/<commit>, even on a 404.
  if (metadata.commit !== undefined && !COMMIT_HASH.test(metadata.commit)) {
    response.destroy();
    throw refusedValue(url, 'X-Repo-Commit header', metadata.commit, 'a commit sha (40 lowercase hex digits)');
  }
  if (response.statusCode === 404) {
    response.resume();
    return { found: false, commit: metadata.commit, reason: `${url} (404${header(response, 'x-error-code') ? ` ${header(response, 'x-error-code')}` : ''})` };
  }
  if (response.statusCode !== 200) throw statusError(url, response);
  if (!metadata.commit || !metadata.etag) {
    response.resume();
    throw new AlbertTrainerError('ERR_IO', `${url}: the reply has no ${metadata.commit ? 'ETag' : 'X-Repo-Commit'} header; is HF_ENDPOINT (${hubEndpoint()}) a HF hub?`);
  }
  if (!BLOB_NAME.test(metadata.etag)) {
    response.destroy();
    throw refusedValue(url, `${metadata.etagHeader} header`, metadata.etag, 'a blob name (a git sha1 of 40 or a sha256 of 64 lowercase hex digits)');
  }
  const blob = blobPath(repoDir, metadata.etag);
  if (fs.existsSync(blob)) {
    response.destroy();
    return { found: true, commit: metadata.commit, blob };
  }
  await writeAtomically(url, reply, blob, label, progress);
  return { found: true, commit: metadata.commit, blob };
}

/** A byte count from a header: undefined when absent; refused unless a plain non-negative integer. */
function declaredSize(url: string, name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value.trim())) throw refusedValue(url, `${name} header`, value, 'a byte count');
  return Number(value.trim());
}

/**
 * The body to `<blob>.<pid>.<random>.incomplete`, then renamed to `blob` once whole: as many
 * bytes as declared (X-Linked-Size for an LFS file, else Content-Length; a CDN that declares
 * another length is refused before a byte is written), no byte past them, and for a blob
 * named by a sha256 (an LFS file), that sha256. Anything else removes the temporary file.
 */
async function writeAtomically(url: string, reply: Reply, blob: string, label: string, progress: NodeJS.WriteStream): Promise<void> {
  const { response, metadata } = reply;
  let total: number | undefined;
  try {
    const length = declaredSize(reply.url, 'Content-Length', header(response, 'content-length'));
    const linkedSize = declaredSize(url, 'X-Linked-Size', metadata.size);
    if (length !== undefined && linkedSize !== undefined && length !== linkedSize) {
      throw refusedValue(reply.url, 'Content-Length header', length, `the X-Linked-Size ${linkedSize} the hub gave for ${url}`);
    }
    total = linkedSize ?? length;
  } catch (error) {
    response.destroy();
    throw error;
  }
  const sha256 = metadata.etag?.length === 64 ? createHash('sha256') : undefined;
  fs.mkdirSync(path.dirname(blob), { recursive: true });
  const temp = `${blob}.${process.pid}.${Math.random().toString(36).slice(2)}.incomplete`;
  const bar = progressBar(progress, label, total);
  let received = 0;
  const counter = new Transform({
    transform(chunk: Uint8Array, _encoding, done) {
      received += chunk.length;
      if (total !== undefined && received > total) {
        done(new Error(`the body is longer than the ${total} bytes declared`));
        return;
      }
      sha256?.update(chunk);
      bar.update(received);
      done(null, chunk);
    },
  });
  // Opened here, not by the stream: a stream's own open can land after an early failure has
  // removed the temporary file, and leave an empty one behind.
  try {
    await pipeline(response, counter, fs.createWriteStream(temp, { fd: fs.openSync(temp, 'wx') }));
    if (total !== undefined && received !== total) throw new Error('short');
    // Bytes past Content-Length do not reach the body: Node's parser reports them as a parse
    // error (HPE_*) on the request, a malformed next response, which ends the download here.
    const late = reply.requestError() as NodeJS.ErrnoException | undefined;
    if (late?.code?.startsWith('HPE_')) throw new Error(`the reply went on past its ${received} bytes (${late.message})`);
    const digest = sha256?.digest('hex');
    if (digest !== undefined && digest !== metadata.etag) {
      throw new Error(`the body's sha256 ${digest} is not the ${metadata.etagHeader} ${metadata.etag} the hub gave`);
    }
    fs.renameSync(temp, blob);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    bar.fail();
    if (total !== undefined && received < total) {
      throw new AlbertTrainerError('ERR_IO', `${url}: the download broke off after ${received} of ${total} bytes; nothing was kept, run again to retry`);
    }
    throw new AlbertTrainerError('ERR_IO', `${url}: ${(error as Error).message}; nothing was kept (HF_ENDPOINT is ${hubEndpoint()})`);
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
