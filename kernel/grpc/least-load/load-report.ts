// The per-call load report a pod attaches to each ModelInfer answer: an ORCA OrcaLoadReport
// (gRFC A51) in the `endpoint-load-metrics-bin` trailer, with two named metrics the least-load
// picker needs: the calls the pod holds (queued or running) as it answers, and the time each
// further call adds to the queue. Written from a byte template and read with the generated
// schema, not grpc-js's loader: grpc-js 1.14.7 parses orca.proto from disk again for every report
// it reads or writes.
import { fromBinary } from '@bufbuild/protobuf';
import { OrcaLoadReportSchema } from '../../../protos/gen/xds/data/orca/v3/orca_load_report_pb.js';

export const LOAD_REPORT_TRAILER = 'endpoint-load-metrics-bin';

/**
 * The request header a client sends to have the call's answer carry a report, naming the format
 * it reads (vLLM's header for its ORCA reports; `BIN` as Envoy's ORCA parser names the binary
 * format). A pod writes a report only for the calls that ask: most clients (round robin,
 * weighted round robin on out-of-band reports, Envoy with tuned weights) read none, and each
 * report cost the pod and the client work per call (docs/ENDPOINTS.md, "Least load per call").
 */
export const LOAD_REPORT_REQUEST = 'endpoint-load-metrics-format';
export const LOAD_REPORT_FORMAT = 'BIN';

/** Whether a request header's value (as received) asks for the binary report. */
export function asksForLoadReport(value: unknown): boolean {
  return typeof value === 'string' && value.trim().toUpperCase() === LOAD_REPORT_FORMAT;
}
const INFLIGHT = 'inflight';
const COST_MS = 'cost_ms';

export interface CallLoad {
  /** Calls the pod holds, queued or running, not counting the one answered. */
  readonly inflight: number;
  /** Milliseconds one more call adds before a new call is done (the pod's busy time per call). */
  readonly costMs: number;
}

// The pod writes one report per answer, so the encoding is a fixed 41-byte template with the two
// doubles patched in (what toBinary of the same message gives: load-report.test.ts).
const NAMED_METRICS_TAG = (8 << 3) | 2; // OrcaLoadReport.named_metrics, length-delimited
const KEY_TAG = (1 << 3) | 2;
const VALUE_TAG = (2 << 3) | 1; // double, 64-bit

function entryTemplate(key: string): number[] {
  const k = [...Buffer.from(key, 'latin1')];
  const entry = [KEY_TAG, k.length, ...k, VALUE_TAG, 0, 0, 0, 0, 0, 0, 0, 0];
  return [NAMED_METRICS_TAG, entry.length, ...entry];
}
const INFLIGHT_ENTRY = entryTemplate(INFLIGHT);
const TEMPLATE = Buffer.from([...INFLIGHT_ENTRY, ...entryTemplate(COST_MS)]);
const INFLIGHT_AT = INFLIGHT_ENTRY.length - 8;
const COST_AT = TEMPLATE.length - 8;

export function encodeCallLoad(load: CallLoad): Buffer {
  const out = Buffer.allocUnsafe(TEMPLATE.length);
  TEMPLATE.copy(out);
  out.writeDoubleLE(load.inflight, INFLIGHT_AT);
  out.writeDoubleLE(load.costMs, COST_AT);
  return out;
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
