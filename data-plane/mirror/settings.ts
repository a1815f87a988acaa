// A MirrorConfig from the control plane, checked: what a stable pod mirrors, to where, and how
// answers are compared (docs/DATAPLANE.md, "Mirror forwarding"). Pure, apart from applying one to a forwarder.
import { decodeMirrorConfig, type MirrorConfig } from '../../kernel/contract/index.js';

export interface MirrorSettings {
  readonly model: string;
  readonly fromVersion: string;
  readonly toVersion: string;
  /** 0 < percent <= 100. */
  readonly percent: number;
  /** host:port of the candidate's pods (KServe v2 gRPC). */
  readonly targets: readonly string[];
  readonly tolerance: number;
}

const TARGET = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** Undefined: mirroring off. Throws a message naming the field for a config that cannot be used. */
export function mirrorSettingsOf(c: MirrorConfig): MirrorSettings | undefined {
  if (!c.toVersion || c.percent === 0 || c.targets.length === 0) return undefined;
  if (!c.model || !c.fromVersion) throw new Error('model and from_version are required');
  if (c.toVersion === c.fromVersion) throw new Error(`to_version ${c.toVersion} is from_version itself`);
  if (!(c.percent > 0 && c.percent <= 100)) throw new Error(`percent = ${c.percent} is not in 0..100`);
  if (!(c.tolerance >= 0 && Number.isFinite(c.tolerance)))
    throw new Error(`tolerance = ${c.tolerance} is not a finite number >= 0`);
  for (const t of c.targets) {
    const m = TARGET.exec(t);
    const port = m ? Number(m[2]) : 0;
    if (!(port > 0 && port < 65536)) throw new Error(`target ${JSON.stringify(t)} is not host:port`);
  }
  return {
    model: c.model,
    fromVersion: c.fromVersion,
    toVersion: c.toVersion,
    percent: c.percent,
    targets: [...c.targets],
    tolerance: c.tolerance,
  };
}

/**
 * Applies a MirrorConfig off the wire to `mirror`. A bad message is logged and ignored: the pod
 * keeps what it mirrored before, so one bad message cannot silently stop a running comparison.
 */
export function applyMirrorConfig(
  mirror: { configure(s: MirrorSettings | undefined): void },
  body: Uint8Array,
  warn: (line: string) => void,
): void {
  try {
    mirror.configure(mirrorSettingsOf(decodeMirrorConfig(body)));
  } catch (err) {
    warn(`mirror: config ignored: ${(err as Error).message}`);
  }
}
