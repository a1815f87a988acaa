// The per-call load report a pod attaches to each ModelInfer answer: an ORCA OrcaLoadReport
// (gRFC A51) in the `endpoint-load-metrics-bin` trailer, with two named metrics the least-load
// picker needs: the calls the pod holds (queued or running) as it answers, and the time each
// further call adds to the queue. Encoded with the generated schema, not grpc-js's loader:
// grpc-js 1.14.7 parses orca.proto from disk again for every report it reads or writes.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { OrcaLoadReportSchema } from '../../../protos/gen/xds/data/orca/v3/orca_load_report_pb.js';

export const LOAD_REPORT_TRAILER = 'endpoint-load-metrics-bin';
const INFLIGHT = 'inflight';
const COST_MS = 'cost_ms';

export interface CallLoad {
  /** Calls the pod holds, queued or running, not counting the one answered. */
  readonly inflight: number;
  /** Milliseconds one more call adds before a new call is done (the pod's busy time per call). */
  readonly costMs: number;
}

export function encodeCallLoad(load: CallLoad): Uint8Array {
  return toBinary(
    OrcaLoadReportSchema,
    create(OrcaLoadReportSchema, { namedMetrics: { [INFLIGHT]: load.inflight, [COST_MS]: load.costMs } }),
  );
}

/** The report's two figures, or undefined when the bytes are not one or lack either. */
export function decodeCallLoad(bytes: Uint8Array): CallLoad | undefined {
  let named: Record<string, number>;
  try {
    named = fromBinary(OrcaLoadReportSchema, bytes).namedMetrics;
  } catch {
    return undefined;
  }
  const inflight = named[INFLIGHT];
  const costMs = named[COST_MS];
  if (!(Number.isFinite(inflight) && inflight! >= 0 && Number.isFinite(costMs) && costMs! > 0))
    return undefined;
  return { inflight: inflight!, costMs: costMs! };
}
