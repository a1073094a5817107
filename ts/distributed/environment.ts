// The torchrun environment a data-parallel worker reads (RANK, WORLD_SIZE, LOCAL_RANK,
// MASTER_ADDR, MASTER_PORT), as `albert-train train --nproc-per-node` sets it for its workers
// and as torchrun, accelerate or a cluster's launcher already do. Each bad value is one
// ERR_ARGUMENT naming the variable.
import { AlbertTrainerError } from '../errors';

export interface WorkerEnvironment {
  rank: number;
  worldSize: number;
  localRank: number;
  masterAddr: string;
  masterPort: number;
  /** Started by albert-train's own launcher (it watches its IPC channel to notice the launcher dying). */
  launched: boolean;
}

function integer(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') {
    throw new AlbertTrainerError('ERR_ARGUMENT', `${name} is not set; a data-parallel worker needs RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT (torchrun's variables)`);
  }
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new AlbertTrainerError('ERR_ARGUMENT', `${name}=${text} is not an integer in [${min}, ${max}]`);
  }
  return value;
}

/**
 * The worker's place in the job, or undefined when this process is not one (WORLD_SIZE unset,
 * or 1 without RANK: a plain single-process run).
 */
export function workerEnvironment(env: NodeJS.ProcessEnv = process.env): WorkerEnvironment | undefined {
  if (env.WORLD_SIZE === undefined && env.RANK === undefined) return undefined;
  const worldSize = integer(env, 'WORLD_SIZE', 1, 1 << 20);
  const rank = integer(env, 'RANK', 0, worldSize - 1);
  if (worldSize === 1) return undefined;
  const localRank = env.LOCAL_RANK === undefined ? rank : integer(env, 'LOCAL_RANK', 0, worldSize - 1);
  const masterAddr = env.MASTER_ADDR;
  if (!masterAddr) throw new AlbertTrainerError('ERR_ARGUMENT', 'MASTER_ADDR is not set; a data-parallel worker needs RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT (torchrun\'s variables)');
  const masterPort = integer(env, 'MASTER_PORT', 1, 65535);
  return { rank, worldSize, localRank, masterAddr, masterPort, launched: env.ALBERT_TRAINER_LAUNCHED === '1' };
}
