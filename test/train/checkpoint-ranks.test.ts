// Data-parallel checkpoints: rank 0 writes checkpoint-<step>/ (with every rank's RNG state) and
// no rank returns, and so records the checkpoint as its last, before that folder is complete; a
// failed write on rank 0 fails every rank. Two ranks in one process, over an in-memory group
// that meets as the real collectives do (each call waits for every rank's matching call).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { type CheckpointCollective, type RankedCheckpoint, saveCheckpointOnRanks } from '../../ts/train/checkpointing';

/** `world` in-memory ranks whose allgatherJson/allreduce resolve once every rank made the same call. */
function memoryGroups(world: number): CheckpointCollective[] {
  const rounds: Array<{ values: unknown[]; arrived: number; release: Array<(values: unknown[]) => void> }> = [];
  const calls = new Array<number>(world).fill(0);
  const meet = (rank: number, value: unknown) => new Promise<unknown[]>((resolve) => {
    const round = (rounds[calls[rank]++] ??= { values: [], arrived: 0, release: [] });
    round.values[rank] = value;
    round.release.push(resolve);
    if (++round.arrived === world) for (const release of round.release) release(round.values);
  });
  return Array.from({ length: world }, (_, rank) => ({
    rank,
    allgatherJson: <T>(value: T) => meet(rank, value) as Promise<T[]>,
    allreduce: async (values: readonly number[] | Float64Array, op: 'sum' | 'max' = 'sum') => {
      const all = (await meet(rank, [...values])) as number[][];
      return Float64Array.from([...values].map((_, i) => all.reduce((acc, v) => (op === 'max' ? Math.max(acc, v[i]) : acc + v[i]), op === 'max' ? -Infinity : 0)));
    },
  }) as unknown as CheckpointCollective);
}

let work: string;
beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-ckpt-ranks-'));
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

function checkpoint(group: CheckpointCollective | undefined, writeNative: (dir: string) => Promise<void>): RankedCheckpoint {
  return {
    outputDir: work, step: 4, ...(group ? { group } : {}), rngState: { cpu: `rank ${group?.rank ?? 0}`, cuda: [] },
    contents: () => ({ writeNative, resumeState: { format: 1 }, trainerState: { global_step: 4 }, trainingArgs: {} }),
    saveTotalLimit: 0, keepSteps: [4],
  };
}

test('rank 1 returns only once rank 0 has written the checkpoint, which holds both ranks\' RNG states', async () => {
  const [rank0, rank1] = memoryGroups(2);
  let finishWrite = () => undefined as void;
  const writing = new Promise<void>((resolve) => { finishWrite = resolve; });
  const folder = path.join(work, 'checkpoint-4');
  let rank1SawFolder: boolean | undefined;
  const first = saveCheckpointOnRanks(checkpoint(rank0, async (dir) => {
    fs.writeFileSync(path.join(dir, 'model.safetensors'), 'weights');
    await writing; // rank 0 is still writing while rank 1 goes on
  }));
  const second = saveCheckpointOnRanks(checkpoint(rank1, async () => { throw new Error('rank 1 writes nothing'); })).then((dir) => {
    rank1SawFolder = fs.existsSync(path.join(dir, 'model.safetensors'));
    return dir;
  });
  // Let every pending callback run: rank 1 must still be waiting, as rank 0 is.
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  expect(rank1SawFolder).toBeUndefined();
  finishWrite();
  expect(await Promise.all([first, second])).toEqual([folder, folder]);
  expect(rank1SawFolder).toBe(true);
  expect(JSON.parse(fs.readFileSync(path.join(folder, 'rng_state_1.json'), 'utf8'))).toEqual({ cpu: 'rank 1', cuda: [] });
  expect(JSON.parse(fs.readFileSync(path.join(folder, 'rng_state.json'), 'utf8'))).toEqual({ cpu: 'rank 0', cuda: [] });
});

test('a failed write on rank 0 fails rank 1 too, and leaves no checkpoint folder', async () => {
  const [rank0, rank1] = memoryGroups(2);
  const outcomes = await Promise.allSettled([
    saveCheckpointOnRanks(checkpoint(rank0, async () => { throw new Error('disk full'); })),
    saveCheckpointOnRanks(checkpoint(rank1, async () => undefined)),
  ]);
  expect(outcomes[0]).toMatchObject({ status: 'rejected', reason: { code: 'ERR_IO', message: expect.stringContaining('disk full') } });
  expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: { code: 'ERR_CHECKPOINT', message: `${path.join(work, 'checkpoint-4')}: rank 0 could not write this checkpoint; see rank 0's error` } });
  expect(fs.readdirSync(work)).toEqual([]);
});

test('alone, the checkpoint is written and its folder returned', async () => {
  const dir = await saveCheckpointOnRanks(checkpoint(undefined, async (target) => fs.writeFileSync(path.join(target, 'model.safetensors'), 'weights')));
  expect(dir).toBe(path.join(work, 'checkpoint-4'));
  expect(fs.readdirSync(dir).sort()).toEqual(['model.safetensors', 'resume_state.json', 'rng_state.json', 'trainer_state.json', 'training_args.json']);
});
