// The push-to-routable benchmark's stopwatch: it watches, on the same NATS the control plane and
// the pods use, the moments between a push and traffic that no single process sees all of:
//   created     the catalog record appears (flagged uploading: the ONNX Runtime check is done)
//   placeable   the record's uploading flag is cleared (the artifact is in the Object Store)
//   assigned    each pod's first PodAssignments naming the version
//   ready       each pod's first registration reporting the version READY
// Pods' own phases (download, cache write, session) come from their log line. On the shared
// machine a phase's wall time is mostly waiting for a core, so the CPU time each process spent
// in a round is read too (cpuMs): a change that saves work shows there even when the load swamps
// the wall clock.
import { readFileSync } from 'node:fs';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { allPods, decodeAssignments, decodePodBody, podIdOf } from '../../kernel/contract/index.js';
import { ModelState } from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
import type { NatsServer } from '../helpers/nats-server.js';

export interface VersionMarks {
  created?: number;
  placeable?: number;
  readonly assigned: Map<string, number>;
  readonly ready: Map<string, number>;
}

export class PushTimeline {
  private readonly marks = new Map<string, VersionMarks>();

  private constructor(private readonly nc: NatsConnection) {}

  static async start(nats: NatsServer, model: string): Promise<PushTimeline> {
    const nc = await connect(nats.connectOptions());
    const t = new PushTimeline(nc);
    nc.subscribe('switchyard.pod.*.assign', {
      callback: (_e, msg) => {
        const a = decodeAssignments(msg.data);
        for (const v of a.versions)
          if (v.model === model)
            t.mark(v.version).assigned.has(a.podId) || t.mark(v.version).assigned.set(a.podId, Date.now());
      },
    });
    nc.subscribe(allPods('register'), {
      callback: (_e, msg) => {
        const reg = decodePodBody('register', msg.data);
        const podId = podIdOf(msg.subject) ?? reg.podId;
        for (const v of reg.models) {
          if (v.model !== model || v.state !== ModelState.READY) continue;
          const m = t.mark(v.version);
          if (!m.ready.has(podId)) m.ready.set(podId, Date.now());
        }
      },
    });
    const kv = await new Kvm(nc).open('switchyard_models');
    const watch = await kv.watch({ key: `${model}.>` });
    void (async () => {
      for await (const e of watch) {
        if (e.operation !== 'PUT') continue;
        const rec = JSON.parse(new TextDecoder().decode(e.value)) as { version: string; uploading?: boolean };
        const m = t.mark(rec.version);
        m.created ??= Date.now();
        if (rec.uploading !== true) m.placeable ??= Date.now();
      }
    })();
    return t;
  }

  mark(version: string): VersionMarks {
    let m = this.marks.get(version);
    if (!m) {
      m = { assigned: new Map(), ready: new Map() };
      this.marks.set(version, m);
    }
    return m;
  }

  async close(): Promise<void> {
    await this.nc.close();
  }
}

/** The pod's "ready in" log line for model:version, as its phases in ms (empty if not found). */
export function podPhases(stderr: string, model: string, version: string): Record<string, number> {
  const line = stderr.split('\n').find((l) => l.includes(`managed: ${model} version ${version} ready in`));
  if (!line) return {};
  const out: Record<string, number> = {};
  const total = /ready in (\d+) ms/.exec(line);
  if (total) out.total = Number(total[1]);
  for (const m of line.matchAll(/(\w[\w+ ]*?) (\d+) ms/g))
    if (m[1] !== 'ready in') out[m[1]!.trim()] = Number(m[2]);
  return out;
}

/** CPU time (user + system, all threads) a process has used so far, in ms; 0 once it is gone. */
export function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  if (pid === process.pid) {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  }
  try {
    // Fields 14 and 15 (utime, stime) in clock ticks, after the parenthesised command name.
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}
