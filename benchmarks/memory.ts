// Peak memory of a peer. RSS: each peer reports its own process's peak (node:
// process.resourceUsage().maxRSS, python: getrusage(RUSAGE_SELF).ru_maxrss), so it is per tool
// and never the suite's. GPU: what nvidia-smi says the peer's process holds after its steps
// (the CUDA context plus the caching allocator's pool, which keeps its peak), measured the
// same way for every peer; libtorch in our addon exposes no allocator statistics.
import { execFileSync } from 'child_process';

/** MiB of GPU memory nvidia-smi lists for `pid`, or undefined (no nvidia-smi, pid not listed). */
export function gpuProcessMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const out = execFileSync('nvidia-smi', ['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10000 });
    let total: number | undefined;
    for (const line of out.split('\n')) {
      const [p, mib] = line.split(',').map((s) => Number(s.trim()));
      if (p === pid && Number.isFinite(mib)) total = (total ?? 0) + mib;
    }
    return total;
  } catch {
    return undefined;
  }
}
