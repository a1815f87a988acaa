// The PodAssignments message each managed pod gets: the full list of versions it should hold
// (state of the world, never a delta), with what it needs to fetch and verify each artifact.
// Pure. A pod's revision grows with every change of its list; it is the wall clock in ms (or
// the last revision + 1), so a new leader's first message is newer than the old leader's last.
import { create } from '@bufbuild/protobuf';
import {
  type PodAssignments,
  PodAssignmentsSchema,
} from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
import type { CatalogView } from './catalog-view.js';

export function assignmentsMessage(
  podId: string,
  keys: readonly string[],
  catalog: ReadonlyMap<string, CatalogView>,
  revision: bigint,
  nowMs: number,
): PodAssignments {
  const versions = keys.flatMap((key) => {
    const c = catalog.get(key);
    if (!c) return [];
    return [
      {
        model: c.name,
        version: c.version,
        digest: c.digest,
        sizeBytes: BigInt(c.sizeBytes),
        objectName: c.objectName,
        sealedDataKey: c.sealedDataKey,
        regions: [...c.regions],
        configYaml: c.configYaml ?? '',
      },
    ];
  });
  return create(PodAssignmentsSchema, { podId, revision, sentAtMs: BigInt(nowMs), versions });
}

/** Each pod's list and revision; `update` tells which pods' lists changed. */
export class AssignmentBook {
  private readonly lists = new Map<string, { keys: string; revision: bigint }>();

  /** Pods whose list differs from the last one; their revisions move forward. */
  update(assignments: ReadonlyMap<string, readonly string[]>, nowMs: number): string[] {
    const changed: string[] = [];
    for (const [podId, keys] of assignments) {
      const text = keys.join('\n');
      const prev = this.lists.get(podId);
      if (prev?.keys === text) continue;
      const revision = prev
        ? BigInt(nowMs) > prev.revision
          ? BigInt(nowMs)
          : prev.revision + 1n
        : BigInt(nowMs);
      this.lists.set(podId, { keys: text, revision });
      changed.push(podId);
    }
    for (const podId of [...this.lists.keys()]) if (!assignments.has(podId)) this.lists.delete(podId);
    return changed;
  }

  get(podId: string): { keys: string[]; revision: bigint } | undefined {
    const e = this.lists.get(podId);
    return e && { keys: e.keys ? e.keys.split('\n') : [], revision: e.revision };
  }

  pods(): string[] {
    return [...this.lists.keys()];
  }
}
