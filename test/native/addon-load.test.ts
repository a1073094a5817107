// A binary that cannot be loaded must say what to do about it (sharp's "Possible solutions"),
// not surface a bare dlopen error. Run in a child process: the addon is loaded once per process.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT } from '../helpers/paths';

function loadWith(addon: string): { code?: string; message: string } {
  const probe = `
    const { native } = require(${JSON.stringify(path.join(REPO_ROOT, 'dist', 'native.js'))});
    try { native(); console.log(JSON.stringify({ message: 'loaded' })); }
    catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
  `;
  const out = execFileSync(process.execPath, ['-e', probe], {
    env: { ...process.env, ALBERT_TRAINER_ADDON: addon },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop() as string) as { code?: string; message: string };
}

describe('loading the addon', () => {
  test('a missing binary: ERR_ADDON_LOAD naming the file, the reason and what to do', () => {
    const missing = path.join(os.tmpdir(), 'albert-no-such-dir', 'albert_native.node');
    const result = loadWith(missing);
    expect(result.code).toBe('ERR_ADDON_LOAD');
    expect(result.message).toContain(`albert-trainer could not load its native addon (${missing})`);
    expect(result.message).toContain('Cannot find module');
    expect(result.message).toContain('Possible solutions:');
    expect(result.message).toContain('npm install');
  });

  test('a file that is not a shared library: the same guidance, with the loader\'s reason', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-addon-'));
    const bogus = path.join(dir, 'albert_native.node');
    fs.writeFileSync(bogus, 'not an ELF file');
    try {
      const result = loadWith(bogus);
      expect(result.code).toBe('ERR_ADDON_LOAD');
      expect(result.message).toMatch(/invalid ELF header|file too short/);
      expect(result.message).toContain('Possible solutions:');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
