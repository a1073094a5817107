// ts/io/atomic-write.ts: a process killed (SIGKILL) at each step of a write leaves the target
// with its old contents or its new ones, never a part and never nothing once recovered; a
// failure inside the write leaves the old folder as it was; folders and files get the user's
// umask (not mkdtemp's 0o700).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { recoverFolder, recoverFoldersIn, writeFileAtomic, writeFileAtomicSync, writeFolderAtomic } from '../../ts/io/atomic-write';
import { AlbertForSequenceClassification } from '../../ts/model/albert';
import { listCheckpoints, writeCheckpoint } from '../../ts/train/checkpoint';
import { checkOutputDirectory } from '../../ts/train/output';
import { tinyConfig } from '../helpers/tiny-model';

const MODULE = path.join(__dirname, '../../ts/io/atomic-write.ts');
let work: string;

beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-atomic-'));
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

/**
 * Runs `body` in a child node process with the module loaded (TypeScript compiled on require)
 * and `crashPoints.after` killing the process with SIGKILL at `step`; returns how it ended.
 */
function runUntilKilled(step: string, body: string): { signal: NodeJS.Signals | null; stderr: string } {
  const script = `
    const fs = require('fs');
    const ts = require('typescript');
    require.extensions['.ts'] = (m, file) => m._compile(ts.transpileModule(fs.readFileSync(file, 'utf8'), { compilerOptions: { module: 'commonjs', target: 'es2020', esModuleInterop: true } }).outputText, file);
    const io = require(${JSON.stringify(MODULE)});
    io.crashPoints.after = (step) => { if (step === ${JSON.stringify(step)}) process.kill(process.pid, 'SIGKILL'); };
    (async () => { ${body} })().then(() => process.exit(0), (e) => { console.error(e); process.exit(3); });
  `;
  const result = spawnSync(process.execPath, ['-e', script], { cwd: path.join(__dirname, '../..'), encoding: 'utf8' });
  return { signal: result.signal, stderr: result.stderr };
}

function folderWith(dir: string, files: Record<string, string>): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
}

function readFolder(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map((name) => [name, fs.readFileSync(path.join(dir, name), 'utf8')]));
}

const OLD = { 'a.txt': 'old a', 'only-old.txt': 'old' };
const NEW = { 'a.txt': 'new a', 'b.txt': 'new b' };
const WRITE_NEW = (dir: string) =>
  `await io.writeFolderAtomic(${JSON.stringify(dir)}, async (s) => { fs.writeFileSync(s + '/a.txt', 'new a'); fs.writeFileSync(s + '/b.txt', 'new b'); }, { replace: true });`;

describe('a folder replaced by a process killed mid-way', () => {
  test('killed after the old folder is set aside: no folder, then recoverFolder puts the old one back whole', () => {
    const dir = path.join(work, 'checkpoint-4');
    folderWith(dir, OLD);
    const { signal, stderr } = runUntilKilled('set-aside', WRITE_NEW(dir));
    expect([signal, stderr]).toEqual(['SIGKILL', '']);
    expect(fs.existsSync(dir)).toBe(false); // the window a remove-then-rename replacement loses the checkpoint in
    expect(fs.readdirSync(work).filter((n) => n.startsWith('.checkpoint-4.old-'))).toHaveLength(1);
    return recoverFolder(dir).then((outcome) => {
      expect(outcome).toBe('restored');
      expect(readFolder(dir)).toEqual(OLD);
      expect(fs.readdirSync(work).filter((n) => n.includes('.old-'))).toEqual([]);
    });
  });

  test('killed after the new folder is renamed in: the new one, and the set-aside copy is cleaned', async () => {
    const dir = path.join(work, 'checkpoint-4');
    folderWith(dir, OLD);
    expect(runUntilKilled('renamed-in', WRITE_NEW(dir)).signal).toBe('SIGKILL');
    expect(readFolder(dir)).toEqual(NEW);
    expect(await recoverFolder(dir)).toBe('cleaned');
    expect(readFolder(dir)).toEqual(NEW);
    expect(fs.readdirSync(work).filter((n) => n !== 'checkpoint-4')).toEqual([]);
  });

  test('listCheckpoints finishes what a killed checkpoint write left (resume finds the checkpoint)', async () => {
    const dir = path.join(work, 'checkpoint-4');
    folderWith(dir, OLD);
    folderWith(path.join(work, 'checkpoint-2'), OLD);
    expect(runUntilKilled('set-aside', WRITE_NEW(dir)).signal).toBe('SIGKILL');
    expect((await listCheckpoints(work)).map((c) => c.step)).toEqual([2, 4]);
    expect(readFolder(dir)).toEqual(OLD);
  });

  test('a resumed run accepts the set-aside copy a killed checkpoint replacement left; a new run does not', async () => {
    const dir = path.join(work, 'checkpoint-4');
    folderWith(dir, OLD);
    expect(runUntilKilled('set-aside', WRITE_NEW(dir)).signal).toBe('SIGKILL');
    await expect(checkOutputDirectory(work, { resuming: true })).resolves.toBeUndefined();
    await expect(checkOutputDirectory(work)).rejects.toThrow(`${work}: the output directory exists and is not empty`);
  });

  test('recoverFoldersIn touches only the names it is given', async () => {
    folderWith(path.join(work, '.other.old-1-ab'), OLD);
    await recoverFoldersIn(work, /^checkpoint-\d+$/);
    expect(fs.existsSync(path.join(work, '.other.old-1-ab'))).toBe(true);
  });
});

describe('a file written by a process killed mid-way', () => {
  for (const sync of [false, true]) {
    test(`killed after the temporary file is flushed (${sync ? 'sync' : 'async'}): the target keeps its old contents`, () => {
      const file = path.join(work, 'refs-main');
      fs.writeFileSync(file, 'old contents');
      const big = "'x'.repeat(1 << 20)"; // 1 MiB of new contents, made in the child
      const call = sync ? `io.writeFileAtomicSync(${JSON.stringify(file)}, ${big})` : `await io.writeFileAtomic(${JSON.stringify(file)}, ${big})`;
      expect(runUntilKilled('file-written', call).signal).toBe('SIGKILL');
      expect(fs.readFileSync(file, 'utf8')).toBe('old contents');
    });
  }

  test('not killed: the new contents, and nothing else in the folder', async () => {
    const file = path.join(work, 'out.jsonl');
    fs.writeFileSync(file, 'old');
    expect(runUntilKilled('never', `await io.writeFileAtomic(${JSON.stringify(file)}, 'new')`)).toEqual({ signal: null, stderr: '' });
    expect(fs.readFileSync(file, 'utf8')).toBe('new');
    expect(fs.readdirSync(work)).toEqual(['out.jsonl']);
  });
});

describe('failures inside the write', () => {
  test('a throwing write leaves the old folder as it was and no staging folder', async () => {
    const dir = path.join(work, 'model');
    folderWith(dir, OLD);
    await expect(writeFolderAtomic(dir, async (s) => {
      fs.writeFileSync(path.join(s, 'a.txt'), 'half');
      throw new Error('disk full');
    }, { replace: true, what: 'the model' })).rejects.toThrow(`${dir}: cannot write the model: disk full`);
    expect(readFolder(dir)).toEqual(OLD);
    expect(fs.readdirSync(work)).toEqual(['model']);
  });

  test('a file into a missing folder: ERR_IO naming it, nothing left', async () => {
    const file = path.join(work, 'no-such', 'x.json');
    await expect(writeFileAtomic(file, '{}')).rejects.toMatchObject({ code: 'ERR_IO', message: expect.stringMatching(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot write: ENOENT`)) });
    expect(() => writeFileAtomicSync(file, '{}')).toThrow(/cannot write: ENOENT/);
    expect(fs.readdirSync(work)).toEqual([]);
  });
});

describe('modes follow the umask', () => {
  let umask: number;
  beforeEach(() => {
    umask = process.umask(0o022);
  });
  afterEach(() => {
    process.umask(umask);
  });
  const mode = (p: string) => fs.statSync(p).mode & 0o777;

  test('writeFolderAtomic and writeFileAtomic: 0755 folders, 0644 files under umask 022', async () => {
    const dir = path.join(work, 'out');
    await writeFolderAtomic(dir, async (s) => fs.writeFileSync(path.join(s, 'f'), 'x'));
    await writeFileAtomic(path.join(work, 'file.json'), '{}');
    expect([mode(dir), mode(path.join(dir, 'f')), mode(path.join(work, 'file.json'))]).toEqual([0o755, 0o644, 0o644]);
  });

  test('savePretrained and a checkpoint: 0755 folders, 0644 files under umask 022', async () => {
    const model = AlbertForSequenceClassification.fromConfig(tinyConfig(), { seed: 1 });
    try {
      const saved = path.join(work, 'saved');
      await model.savePretrained(saved);
      const checkpoint = await writeCheckpoint(path.join(work, 'run'), 3, {
        writeNative: (dir) => model.savePretrained(dir), rngStates: [{}], resumeState: {}, trainerState: {}, trainingArgs: {},
      });
      for (const dir of [saved, checkpoint, path.join(work, 'run')]) expect([dir, mode(dir)]).toEqual([dir, 0o755]);
      for (const dir of [saved, checkpoint]) {
        for (const name of fs.readdirSync(dir)) expect([name, mode(path.join(dir, name))]).toEqual([name, 0o644]);
      }
    } finally {
      model.dispose();
    }
  });
});
