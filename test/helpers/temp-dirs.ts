// Temporary folders for one test file: made under the OS temp dir, removed together in afterAll.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const made: string[] = [];

/** A fresh folder under the OS temp dir, removed by removeTempDirs(). */
export function tempDir(label = 'native'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `albert-${label}-`));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  while (made.length > 0) fs.rmSync(made.pop() as string, { recursive: true, force: true });
}
