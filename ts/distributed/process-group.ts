// This process's place in a data-parallel job: libtorch c10d underneath (a TCPStore rendezvous
// hosted by rank 0 at MASTER_ADDR:MASTER_PORT, Gloo collectives). join() checks that every
// rank agrees on the world size and on the run (a fingerprint of the arguments and data)
// before anything trains; every failure afterwards (a peer that died or hangs) is an
// ERR_DISTRIBUTED within the timeout, never a hang.
import { invalidArgument } from '../errors';
import { callNative, callNativeSync, native, type NativeProcessGroup } from '../native';

export type DistributedBackend = 'gloo' | 'nccl';

export interface JoinOptions {
  rank: number;
  worldSize: number;
  masterAddr: string;
  masterPort: number;
  /** Seconds before the rendezvous or a collective gives up. Default 1800 (HF's ddp_timeout). */
  timeoutSeconds?: number;
  /** Default gloo (CPU). */
  backend?: DistributedBackend;
  /** What every rank must share (e.g. a hash of the arguments and data); compared when joining. Default ''. */
  fingerprint?: string;
}

export class ProcessGroup {
  /** @internal the addon's object; only ts/training-session.ts uses it. */
  readonly native: NativeProcessGroup;
  readonly rank: number;
  readonly worldSize: number;

  private constructor(group: NativeProcessGroup, rank: number, worldSize: number) {
    this.native = group;
    this.rank = rank;
    this.worldSize = worldSize;
  }

  /** Joins the job; resolves once every rank has joined and agreed. */
  static async join(options: JoinOptions): Promise<ProcessGroup> {
    const { rank, worldSize, masterAddr, masterPort } = options;
    if (!Number.isSafeInteger(worldSize) || worldSize < 1) throw invalidArgument('positive integer', 'worldSize', worldSize);
    if (!Number.isSafeInteger(rank) || rank < 0 || rank >= worldSize) throw invalidArgument(`integer in [0, ${worldSize - 1}]`, 'rank', rank);
    if (typeof masterAddr !== 'string' || masterAddr.length === 0) throw invalidArgument('a host name or address', 'masterAddr', masterAddr);
    if (!Number.isSafeInteger(masterPort) || masterPort < 1 || masterPort > 65535) throw invalidArgument('integer in [1, 65535]', 'masterPort', masterPort);
    const timeoutSeconds = options.timeoutSeconds ?? 1800;
    if (typeof timeoutSeconds !== 'number' || !(timeoutSeconds > 0) || !Number.isFinite(timeoutSeconds)) {
      throw invalidArgument('positive number of seconds', 'timeoutSeconds', timeoutSeconds);
    }
    const backend = options.backend ?? 'gloo';
    if (backend !== 'gloo' && backend !== 'nccl') throw invalidArgument('"gloo" or "nccl"', 'backend', backend);
    const group = callNativeSync(() => new (native().ProcessGroup)());
    await callNative(() =>
      group.join({ rank, worldSize, masterAddr, masterPort, timeoutMs: Math.round(timeoutSeconds * 1000), backend, fingerprint: options.fingerprint ?? '' }),
    );
    return new ProcessGroup(group, rank, worldSize);
  }

  /** Element-wise sum (or max) of `values` over the ranks; every rank gets the result. */
  async allreduce(values: readonly number[] | Float64Array, op: 'sum' | 'max' = 'sum'): Promise<Float64Array> {
    if (op !== 'sum' && op !== 'max') throw invalidArgument('"sum" or "max"', 'op', op);
    return callNative(() => this.native.allreduce(Float64Array.from(values), op));
  }

  /** Every rank's bytes, in rank order (lengths may differ). */
  async allgather(bytes: Uint8Array | Buffer): Promise<Buffer[]> {
    if (!(bytes instanceof Uint8Array)) throw invalidArgument('a Uint8Array or Buffer', 'bytes', bytes);
    return callNative(() => this.native.allgather(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
  }

  /** Every rank's JSON value, in rank order. */
  async allgatherJson<T>(value: T): Promise<T[]> {
    const all = await this.allgather(Buffer.from(JSON.stringify(value), 'utf8'));
    return all.map((bytes) => JSON.parse(bytes.toString('utf8')) as T);
  }

  async barrier(): Promise<void> {
    return callNative(() => this.native.barrier());
  }

  /** Leaves the job (the connections close once no trainer uses the group either). */
  dispose(): void {
    callNativeSync(() => this.native.dispose());
  }
}
