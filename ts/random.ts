// libtorch's process-wide random generators, the ones dropout draws from: seeding them (as
// torch.manual_seed / HF's set_seed do) and saving/restoring their states (as HF's Trainer
// does with rng_state.pth), so that a resumed run draws the same dropout masks.
import { AlbertTrainerError, invalidArgument } from './errors';
import { callNativeSync, native, type NativeRngState } from './native';

export type RngState = NativeRngState;

export function manualSeed(seed: number): void {
  // Below 2^53 (a JS number is exact there; torch takes any 64-bit seed, HF's set_seed below 2^32).
  if (!Number.isSafeInteger(seed) || seed < 0) throw invalidArgument('non-negative integer below 2^53', 'seed', seed);
  callNativeSync(() => native().manualSeed(seed));
}

export function getRngState(): RngState {
  return native().getRngState();
}

/**
 * Restores getRngState's value: the CPU generator, and the CUDA devices present both in the
 * state and on this machine (returns how many CUDA states were set). A state from another
 * libtorch (another size) is an ERR_CHECKPOINT and sets nothing.
 */
export function setRngState(state: RngState): number {
  if (!state || !Buffer.isBuffer(state.cpu) || !Array.isArray(state.cuda) || !state.cuda.every((b) => Buffer.isBuffer(b))) {
    throw new AlbertTrainerError('ERR_INPUT', 'an RNG state is { cpu: Buffer, cuda: Buffer[] }');
  }
  return native().setRngState(state);
}

/** The state as JSON-safe base64 strings, for rng_state.json in a checkpoint. */
export function rngStateToJson(state: RngState): { cpu: string; cuda: string[] } {
  return { cpu: state.cpu.toString('base64'), cuda: state.cuda.map((b) => b.toString('base64')) };
}

export function rngStateFromJson(value: unknown, where: string): RngState {
  const v = value as { cpu?: unknown; cuda?: unknown };
  if (!v || typeof v.cpu !== 'string' || !Array.isArray(v.cuda) || !v.cuda.every((s) => typeof s === 'string')) {
    throw new AlbertTrainerError('ERR_CHECKPOINT', `${where}: expected { "cpu": base64, "cuda": [base64, ...] }`);
  }
  return { cpu: Buffer.from(v.cpu, 'base64'), cuda: (v.cuda as string[]).map((s) => Buffer.from(s, 'base64')) };
}
