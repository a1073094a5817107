// A hub on 127.0.0.1 that lies, for the tests of what a hostile HF_ENDPOINT can make us write.
// It serves one model repo (evil/model) and one dataset repo (evil/data) honestly, in the hub's
// URL layout and headers, as test/hub/fake-hub.ts does; a test's `tamper` then rewrites any
// answer: a header, the listing JSON, a redirect, or the bytes on the wire. It speaks HTTP/1.1
// over a raw socket, not through Node's http server, so that it can send what that server
// refuses to: a body longer than its Content-Length, or one cut short. Every answer closes its
// connection, so no reply leaks into the next.
//
// Beside it, the checks a test makes on the folder around the cache: `outsideCache` (whatever
// was written outside it) and `cacheProblems` (whatever inside it is partial or not hub-shaped).
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { gitBlobSha, sha1, sha256 } from './fake-hub';

export const EVIL_COMMIT = sha1('evil');
/** The model repo's files; those in EVIL_LFS are served the LFS way (a redirect to /cdn/<sha256>). */
export const EVIL_MODEL: Record<string, string> = {
  'config.json': JSON.stringify({ model_type: 'albert', vocab_size: 100, embedding_size: 8, hidden_size: 16, num_hidden_layers: 1,
    num_attention_heads: 2, intermediate_size: 32 }),
  'model.safetensors': 'w'.repeat(4096),
};
export const EVIL_LFS = ['model.safetensors'];
export const EVIL_DATA: Record<string, string> = {
  'train.jsonl': '{"text":"a fine plot","label":0}\n',
  'test.jsonl': '{"text":"a dull plot","label":1}\n',
};

export interface HubRequest {
  /** The path and query as sent, percent-encoded. */
  url: string;
  authorization?: string;
}

/** One reply, as it goes on the wire. */
export interface Answer {
  status: number;
  /** Sent as given; an undefined value is left out. Content-Length is added for a body unless the key is here. */
  headers: Record<string, string | number | undefined>;
  body?: string | Buffer;
  /** Bytes sent in the same write right after the body: past its Content-Length. */
  trailing?: string;
  /** Send only this many bytes of the body, then drop the connection. */
  cutAfter?: number;
}

export interface HostileHub {
  url: string;
  requests: HubRequest[];
  /** Where LFS redirects point: this server (a relative Location) unless set, e.g. to another hub's url. */
  cdnUrl?: string;
  /** Rewrites the honest answer to a request. */
  tamper?: (request: HubRequest, honest: Answer) => Answer;
  close(): Promise<void>;
}

const STATUS_TEXT: Record<number, string> = { 200: 'OK', 302: 'Found', 404: 'Not Found' };

function notFound(code: string, commit?: string): Answer {
  return { status: 404, headers: { 'x-error-code': code, ...(commit ? { 'x-repo-commit': commit } : {}) }, body: 'not found' };
}

/** What the hub would answer. */
function honest(hub: HostileHub, url: string): Answer {
  const pathname = decodeURIComponent(new URL(url, 'http://hub').pathname);
  const cdn = pathname.match(/^\/cdn\/([0-9a-f]{64})$/);
  if (cdn) {
    const body = [...Object.values(EVIL_MODEL), ...Object.values(EVIL_DATA)].find((b) => sha256(b) === cdn[1]);
    return body === undefined ? notFound('NoSuchKey') : { status: 200, headers: { etag: '"cdn-etag-says-nothing-about-the-repo"' }, body };
  }
  const listing = pathname.match(/^\/api\/datasets\/evil\/data\/revision\/(main|[0-9a-f]{40})$/);
  if (listing) {
    if (listing[1] !== 'main' && listing[1] !== EVIL_COMMIT) return notFound('RevisionNotFound');
    const siblings = Object.keys(EVIL_DATA).map((rfilename) => ({ rfilename }));
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'evil/data', sha: EVIL_COMMIT, siblings }) };
  }
  const resolve = pathname.match(/^\/(datasets\/evil\/data|evil\/model)\/resolve\/([^/]+)\/(.+)$/);
  if (!resolve) return notFound('RepoNotFound');
  const [, repo, revision, file] = resolve;
  if (revision !== 'main' && revision !== EVIL_COMMIT) return notFound('RevisionNotFound');
  const body = (repo === 'evil/model' ? EVIL_MODEL : EVIL_DATA)[file];
  if (body === undefined) return notFound('EntryNotFound', EVIL_COMMIT);
  if (repo === 'evil/model' && EVIL_LFS.includes(file)) {
    return {
      status: 302,
      headers: { location: `${hub.cdnUrl ?? ''}/cdn/${sha256(body)}`, 'x-repo-commit': EVIL_COMMIT, 'x-linked-etag': `"${sha256(body)}"`,
        'x-linked-size': Buffer.byteLength(body), etag: '"redirect-etag"' },
    };
  }
  return { status: 200, headers: { 'x-repo-commit': EVIL_COMMIT, etag: `"${gitBlobSha(body)}"` }, body };
}

function send(socket: net.Socket, answer: Answer): void {
  // Bytes as latin1 text, one character a byte: Buffer and Uint8Array do not mix under these type definitions.
  const latin1 = (text: string | Buffer) => (typeof text === 'string' ? Buffer.from(text, 'utf8') : text).toString('latin1');
  const body = latin1(answer.body ?? '');
  const headers: Record<string, string | number | undefined> = { ...answer.headers, connection: 'close' };
  if (!('content-length' in headers)) headers['content-length'] = body.length;
  const head = [`HTTP/1.1 ${answer.status} ${STATUS_TEXT[answer.status] ?? 'Status'}`,
    ...Object.entries(headers).filter(([, value]) => value !== undefined).map(([name, value]) => `${name}: ${value}`)].join('\r\n');
  const sent = answer.cutAfter === undefined ? body : body.slice(0, answer.cutAfter);
  // One write: the trailing bytes arrive with the body's last ones.
  socket.write(`${head}\r\n\r\n${sent}${latin1(answer.trailing ?? '')}`, 'latin1');
  if (answer.cutAfter === undefined) socket.end();
  else setTimeout(() => socket.destroy(), 20);
}

export async function startHostileHub(): Promise<HostileHub> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let received = '';
    let answered = false;
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end < 0 || answered) return;
      answered = true;
      const [requestLine, ...lines] = received.slice(0, end).split('\r\n');
      const authorization = lines.find((line) => /^authorization:/i.test(line))?.replace(/^authorization:\s*/i, '');
      const request: HubRequest = { url: requestLine.split(' ')[1] ?? '/', authorization };
      hub.requests.push(request);
      const answer = honest(hub, request.url);
      send(socket, hub.tamper ? hub.tamper(request, answer) : answer);
    });
  });
  const hub: HostileHub = {
    url: '',
    requests: [],
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hub.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return hub;
}

/** Every entry under `root` (folders too), relative to it, symlinks not followed. */
export function walk(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root, { recursive: true, encoding: 'utf8' }).sort();
}

/** What `work` holds outside `cache`, apart from the folders that lead to `cache` itself. */
export function outsideCache(work: string, cache: string): string[] {
  const toCache = path.relative(work, cache);
  return walk(work).filter((entry) => entry !== toCache && !entry.startsWith(toCache + path.sep) && !toCache.startsWith(entry + path.sep));
}

function blobProblem(file: string, name: string): string | undefined {
  if (!/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(name)) return 'not a blob name';
  const bytes = new Uint8Array(fs.readFileSync(file));
  const digest = name.length === 64 ? sha256(bytes) : gitBlobSha(bytes);
  return digest === name ? undefined : `holds bytes whose ${name.length === 64 ? 'sha256' : 'git sha1'} is ${digest}`;
}

/**
 * What under `cache` is not whole and hub-shaped: a temporary file, a blob whose bytes do not
 * hash to its name, a snapshot entry that is not a link to such a blob, a ref that is not a
 * commit sha. Empty for a cache that HF's tools and ours can trust.
 */
export function cacheProblems(cache: string): string[] {
  const problems: string[] = [];
  for (const entry of walk(cache)) {
    const full = path.join(cache, entry);
    const stat = fs.lstatSync(full);
    if (/\.(incomplete|tmp)$/.test(entry)) problems.push(`${entry}: a temporary file left behind`);
    if (stat.isDirectory()) continue;
    const [, area, ...rest] = entry.split(path.sep);
    if (area === 'blobs') {
      const problem = blobProblem(full, rest.join(path.sep));
      if (problem) problems.push(`${entry}: ${problem}`);
    } else if (area === 'snapshots') {
      const target = stat.isSymbolicLink() ? path.resolve(path.dirname(full), fs.readlinkSync(full)) : undefined;
      const blobs = path.join(cache, entry.split(path.sep)[0], 'blobs');
      if (!target || path.dirname(target) !== blobs || !fs.existsSync(target) || blobProblem(target, path.basename(target))) {
        problems.push(`${entry}: not a link to a whole blob`);
      }
    } else if (area === 'refs') {
      if (!/^[0-9a-f]{40}$/.test(fs.readFileSync(full, 'utf8'))) problems.push(`${entry}: not a commit sha`);
    } else if (area !== '.no_exist') {
      problems.push(`${entry}: not in refs/, blobs/, snapshots/ or .no_exist/`);
    }
  }
  return problems;
}
