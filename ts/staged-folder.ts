// A folder written whole or not at all: built under a hidden temporary name beside its final
// name (same file system, so the rename is atomic), then renamed into place; on any failure the
// temporary folder is removed and the error passed on.
import { promises as fs } from 'fs';
import * as path from 'path';
import { AlbertTrainerError } from './errors';

/**
 * Runs `write(staging)` on a new folder beside `dir`, then renames it to `dir`. With `replace`,
 * an existing `dir` is removed just before the rename. Errors: ERR_IO naming `dir` when the
 * folder cannot be made; whatever `write` throws, else ERR_IO naming `dir`.
 */
export async function writeStagedFolder(dir: string, write: (staging: string) => Promise<void>, options: { replace?: boolean } = {}): Promise<void> {
  const parent = path.dirname(path.resolve(dir));
  let staging: string;
  try {
    await fs.mkdir(parent, { recursive: true });
    staging = await fs.mkdtemp(path.join(parent, `.${path.basename(dir)}.tmp-`));
  } catch (error) {
    throw new AlbertTrainerError('ERR_IO', `${dir}: cannot create the output directory (${(error as Error).message})`);
  }
  try {
    await write(staging);
    if (options.replace) await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(staging, dir);
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    if (error instanceof AlbertTrainerError) throw error;
    throw new AlbertTrainerError('ERR_IO', `${dir}: cannot write the folder: ${(error as Error).message}`);
  }
}
