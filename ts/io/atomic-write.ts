// Writes that are whole or absent: every file and folder the trainer leaves for a user (model
// folders, checkpoints, the output directory, --output files, the HF cache's refs and snapshot
// entries) goes through here.
//
// A file: written to a hidden temporary name in the same folder (same file system, so the
// rename is atomic), flushed to disk (fsync), then renamed over the target, and the folder's
// entry flushed. Whatever stops the process (an error, SIGKILL, a power cut after the rename),
// the target holds either its old contents or the new ones, never a part.
//
// A folder: built under `.<name>.tmp-<pid>-<random>` beside `<name>`. Replacing an existing
// folder takes three renames, each atomic: `<name>` -> `.<name>.old-<pid>-<random>`, the staging
// folder -> `<name>`, then the old one is deleted. A process stopped between the first two leaves
// no `<name>` but a complete `.old-` copy; recoverFolder (run by the next write of that folder,
// and by whoever lists checkpoints) puts it back, or deletes it once `<name>` exists again.
// A staging folder a killed process left (`.tmp-`) is incomplete and never read; the output
// directory check tolerates a checkpoint's, and a failed launch removes the output folder's.
// Folders are made with fs.mkdir (mode 0o777 less the user's umask), not mkdtemp (0o700), so a
// saved model is as readable as any folder the user makes.
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { AlbertTrainerError } from '../errors';

/** `.<base>.<kind>-<pid>-<random>` beside `target`: the names of staging and set-aside copies. */
export function siblingName(target: string, kind: 'tmp' | 'old'): string {
  const resolved = path.resolve(target);
  return path.join(path.dirname(resolved), `.${path.basename(resolved)}.${kind}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Test hook: called after each step of a write (the temporary file flushed; the old folder set
 * aside; the new one renamed in). The crash test kills its process there (SIGKILL).
 */
export const crashPoints: { after?: (step: 'file-written' | 'set-aside' | 'renamed-in') => void } = {};

/** Flushes a folder's entries (a rename's durability); not every file system allows it, hence best effort. */
async function syncFolder(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch {
    // EISDIR / EPERM / EINVAL on some systems: the rename itself is still atomic
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function syncFolderSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // as syncFolder
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Writes `contents` to `file` atomically (see the notes at the top). The folder must exist.
 * Throws ERR_IO `<file>: cannot write<what>: <reason>`; no temporary file is left.
 */
export async function writeFileAtomic(file: string, contents: string | Uint8Array, what = ''): Promise<void> {
  const temp = siblingName(file, 'tmp');
  try {
    const handle = await fs.promises.open(temp, 'wx');
    try {
      await handle.writeFile(contents);
      await handle.sync();
    } finally {
      await handle.close();
    }
    crashPoints.after?.('file-written');
    await fs.promises.rename(temp, file);
  } catch (error) {
    await fs.promises.rm(temp, { force: true }).catch(() => undefined);
    throw new AlbertTrainerError('ERR_IO', `${file}: cannot write${what ? ` ${what}` : ''}: ${(error as Error).message}`);
  }
  await syncFolder(path.dirname(path.resolve(file)));
}

/**
 * Makes `target` appear whole: `create(temp)` makes a file, link or copy at a temporary name
 * beside it, which is then renamed over `target`. Synchronous, for the HF cache's bookkeeping.
 * Throws ERR_IO naming `target`; no temporary entry is left.
 */
export function placeAtomicSync(target: string, create: (temp: string) => void, what = ''): void {
  const temp = siblingName(target, 'tmp');
  try {
    create(temp);
    fs.renameSync(temp, target);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw new AlbertTrainerError('ERR_IO', `${target}: cannot write${what ? ` ${what}` : ''}: ${(error as Error).message}`);
  }
  syncFolderSync(path.dirname(path.resolve(target)));
}

/** writeFileAtomic, synchronous (the contents are flushed before the rename). */
export function writeFileAtomicSync(file: string, contents: string | Uint8Array, what = ''): void {
  placeAtomicSync(file, (temp) => {
    const fd = fs.openSync(temp, 'wx');
    try {
      fs.writeFileSync(fd, contents);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    crashPoints.after?.('file-written');
  }, what);
}

/**
 * Finishes or undoes a folder replacement that a stopped process left half-done (see the notes
 * at the top): with `dir` missing, its newest `.old-` copy is renamed back; with `dir` present,
 * `.old-` copies are deleted. Returns what it did, for a caller that reports it.
 */
export async function recoverFolder(dir: string): Promise<'restored' | 'cleaned' | 'none'> {
  const resolved = path.resolve(dir);
  const parent = path.dirname(resolved);
  const pattern = new RegExp(`^\\.${escapeRegExp(path.basename(resolved))}\\.old-\\d+-[0-9a-f]+$`);
  const entries = await fs.promises.readdir(parent).catch(() => [] as string[]);
  const old = entries.filter((name) => pattern.test(name)).map((name) => path.join(parent, name));
  if (old.length === 0) return 'none';
  let outcome: 'restored' | 'cleaned' = 'cleaned';
  if (!fs.existsSync(resolved)) {
    // Several processes may recover at once (the ranks of a resumed run): the first rename wins,
    // and the others find `dir` in place.
    try {
      const stats = await Promise.all(old.map(async (p) => ({ p, mtime: (await fs.promises.stat(p)).mtimeMs })));
      stats.sort((a, b) => b.mtime - a.mtime);
      await fs.promises.rename(stats[0].p, resolved);
      old.splice(old.indexOf(stats[0].p), 1);
      outcome = 'restored';
    } catch (error) {
      if (!fs.existsSync(resolved)) throw error;
    }
  }
  for (const p of old) await fs.promises.rm(p, { recursive: true, force: true });
  return outcome;
}

/** Every folder in `parent` whose name matches `name` gets recoverFolder (e.g. all checkpoint-<step>/). */
export async function recoverFoldersIn(parent: string, name: RegExp): Promise<void> {
  const entries = await fs.promises.readdir(parent).catch(() => [] as string[]);
  const targets = new Set<string>();
  for (const entry of entries) {
    const m = /^\.(.+)\.old-\d+-[0-9a-f]+$/.exec(entry);
    if (m && name.test(m[1])) targets.add(m[1]);
  }
  for (const target of targets) await recoverFolder(path.join(parent, target));
}

export interface WriteFolderOptions {
  /** Replace an existing `dir` (safely: see the notes at the top). Without it an existing `dir` is an error. */
  replace?: boolean;
  /** What the folder is, for messages: `<dir>: cannot write <what>: <reason>`. Default 'the folder'. */
  what?: string;
  /**
   * Called on a failure, after the old `dir` is back in place and before the staging folder is
   * removed: to take back what `write` moved into it. When it throws, the staging folder is
   * kept (it holds what could not be taken back) and its error is the one thrown.
   */
  onFailure?: (staging: string) => Promise<void>;
}

/**
 * Runs `write(staging)` on a new folder beside `dir`, then puts it in place as `dir`. On any
 * failure the staging folder is removed and `dir` is as it was. Errors: ERR_IO naming `dir`
 * when the folder cannot be made or placed; whatever `write` throws when it is an
 * AlbertTrainerError, else ERR_IO naming `dir`.
 */
export async function writeFolderAtomic(dir: string, write: (staging: string) => Promise<void>, options: WriteFolderOptions = {}): Promise<void> {
  const target = path.resolve(dir);
  const staging = siblingName(target, 'tmp');
  try {
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    await recoverFolder(target);
    await fs.promises.mkdir(staging);
  } catch (error) {
    throw new AlbertTrainerError('ERR_IO', `${dir}: cannot create the output directory (${(error as Error).message})`);
  }
  let aside: string | undefined;
  try {
    await write(staging);
    await syncFolder(staging);
    if (options.replace && fs.existsSync(target)) {
      aside = siblingName(target, 'old');
      await fs.promises.rename(target, aside);
      crashPoints.after?.('set-aside');
    }
    await fs.promises.rename(staging, target);
    crashPoints.after?.('renamed-in');
  } catch (error) {
    // Put the old folder back when the new one did not take its place.
    if (aside !== undefined && !fs.existsSync(target)) await fs.promises.rename(aside, target).catch(() => undefined);
    if (options.onFailure && fs.existsSync(staging)) await options.onFailure(staging);
    await fs.promises.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    if (error instanceof AlbertTrainerError) throw error;
    throw new AlbertTrainerError('ERR_IO', `${dir}: cannot write ${options.what ?? 'the folder'}: ${(error as Error).message}`);
  }
  await syncFolder(path.dirname(target));
  if (aside !== undefined) await fs.promises.rm(aside, { recursive: true, force: true }).catch(() => undefined);
}
