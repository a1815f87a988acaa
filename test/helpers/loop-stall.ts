// How long a piece of work held this process's event loop. Probed every 5 ms: per tick, the
// stall is the smaller of the wall time and the main thread's CPU time since the previous tick.
// On a shared machine the wall time also counts time the OS gave other processes; the main
// thread's own CPU time leaves out what other threads of the process did beside the loop (GC
// helpers, the policy-diff worker), which never holds it. The loop was held for no more than
// either. Linux reports a thread's CPU time in nanoseconds in /proc/thread-self/schedstat;
// elsewhere the whole process's CPU time stands in (an overestimate).
import { readFileSync } from 'node:fs';

function schedstatNs(): number | undefined {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]);
  } catch {
    return undefined;
  }
}

/** CPU milliseconds of the calling thread (or the process) since an arbitrary origin. */
function threadCpuMs(): number {
  const ns = schedstatNs();
  if (ns !== undefined && Number.isFinite(ns)) return ns / 1e6;
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export interface LoopStall {
  /** The longest tick, the smaller of its wall and main-thread CPU time. */
  readonly stallMs: number;
  /** The longest tick's wall time. */
  readonly wallMs: number;
  /** The most main-thread CPU time in one tick. */
  readonly cpuMs: number;
}

export async function loopStall(fn: () => Promise<void>): Promise<LoopStall> {
  let stallMs = 0;
  let cpuMs = 0;
  let wallMs = 0;
  let lastCpu = threadCpuMs();
  let lastAt = performance.now();
  const probe = setInterval(() => {
    const nowCpu = threadCpuMs();
    const now = performance.now();
    const cpu = nowCpu - lastCpu;
    const wall = now - lastAt;
    lastCpu = nowCpu;
    lastAt = now;
    cpuMs = Math.max(cpuMs, cpu);
    wallMs = Math.max(wallMs, wall);
    stallMs = Math.max(stallMs, Math.min(cpu, wall));
  }, 5);
  try {
    await fn();
  } finally {
    clearInterval(probe);
  }
  return { stallMs, wallMs, cpuMs };
}
