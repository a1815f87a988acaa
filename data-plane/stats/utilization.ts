// CPU and GPU utilization since the previous sample. CPU is the whole process (the worker
// threads that run ONNX Runtime included) over all cores. GPU comes from nvidia-smi when a
// session really runs on CUDA; a pod started with --report-gpu has no GPU and reports its
// workers' busy fraction instead, flagged as simulated.
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';

export type GpuSource = 'none' | 'nvidia' | 'simulated';

export interface UtilizationSample {
  readonly cpuPercent: number;
  readonly gpuPercent?: number;
  readonly gpuSimulated: boolean;
  readonly rssBytes: number;
}

export interface UtilizationSources {
  readonly gpu: () => GpuSource;
  /** Total worker busy milliseconds so far. */
  readonly busyMs: () => number;
  readonly workers: () => number;
}

function nvidiaSmiUtilization(): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile(
      'nvidia-smi',
      ['--query-gpu=utilization.gpu', '--format=csv,noheader,nounits'],
      { timeout: 2000 },
      (err, stdout) => {
        if (err) return resolve(undefined);
        const values = stdout
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l !== '')
          .map(Number)
          .filter(Number.isFinite);
        resolve(values.length ? values.reduce((a, b) => a + b, 0) / values.length : undefined);
      },
    );
  });
}

export class UtilizationSampler {
  private lastCpu = process.cpuUsage();
  private lastWall = performance.now();
  private lastBusy = 0;
  private latest: UtilizationSample = { cpuPercent: 0, gpuSimulated: false, rssBytes: 0 };
  readonly cores = availableParallelism();

  constructor(private readonly sources: UtilizationSources) {
    this.lastBusy = sources.busyMs();
  }

  get last(): UtilizationSample {
    return this.latest;
  }

  async sample(): Promise<UtilizationSample> {
    const cpu = process.cpuUsage();
    const wall = performance.now();
    const busy = this.sources.busyMs();
    const wallMs = Math.max(1e-3, wall - this.lastWall);
    const cpuMs = (cpu.user - this.lastCpu.user + cpu.system - this.lastCpu.system) / 1000;
    const cpuPercent = Math.min(100, (100 * cpuMs) / (wallMs * this.cores));
    const busyFraction = Math.min(1, (busy - this.lastBusy) / (wallMs * Math.max(1, this.sources.workers())));
    this.lastCpu = cpu;
    this.lastWall = wall;
    this.lastBusy = busy;
    const source = this.sources.gpu();
    let gpuPercent: number | undefined;
    if (source === 'nvidia') gpuPercent = await nvidiaSmiUtilization();
    else if (source === 'simulated') gpuPercent = 100 * busyFraction;
    this.latest = {
      cpuPercent,
      ...(gpuPercent !== undefined ? { gpuPercent } : {}),
      gpuSimulated: source === 'simulated',
      rssBytes: process.memoryUsage.rss(),
    };
    return this.latest;
  }
}
