// The push-to-routable benchmark's stopwatch: it watches, on the same NATS the control plane and
// the pods use, the moments between a push and traffic that no single process sees all of:
//   created     the catalog record appears (flagged uploading: the ONNX Runtime check is done)
//   placeable   the record's uploading flag is cleared (the artifact is in the Object Store)
//   assigned    each pod's first PodAssignments naming the version
//   ready       each pod's first registration reporting the version READY
// Pods' own phases (download, cache write, session) come from their log line.
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
