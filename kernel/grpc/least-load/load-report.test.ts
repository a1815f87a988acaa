import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { OrcaLoadReportSchema } from '../../../protos/gen/xds/data/orca/v3/orca_load_report_pb.js';
import { decodeCallLoad, encodeCallLoad } from './load-report.js';

describe('the per-call load report (ORCA OrcaLoadReport, named metrics)', () => {
  it('round-trips, as ORCA named metrics any ORCA reader sees', () => {
    const bytes = encodeCallLoad({ inflight: 3, costMs: 20.5 });
    expect(decodeCallLoad(bytes)).toEqual({ inflight: 3, costMs: 20.5 });
    expect(fromBinary(OrcaLoadReportSchema, bytes).namedMetrics).toEqual({ inflight: 3, cost_ms: 20.5 });
  });

  it('writes exactly what toBinary writes for the same report', () => {
    for (const [inflight, costMs] of [
      [0, 0.001],
      [3, 20.5],
      [1e6, 1e-9],
      [2 ** 40, 123456.789],
    ] as const) {
      const expected = toBinary(
        OrcaLoadReportSchema,
        create(OrcaLoadReportSchema, { namedMetrics: { inflight, cost_ms: costMs } }),
      );
      expect(Buffer.from(encodeCallLoad({ inflight, costMs })).equals(Buffer.from(expected))).toBe(true);
    }
  });

  it('ignores reports without both figures, with impossible ones, and bytes that are not a report', () => {
    const report = (namedMetrics: Record<string, number>) =>
      toBinary(OrcaLoadReportSchema, create(OrcaLoadReportSchema, { namedMetrics, rpsFractional: 5 }));
    expect(decodeCallLoad(report({ inflight: 1 }))).toBeUndefined();
    expect(decodeCallLoad(report({ cost_ms: 1 }))).toBeUndefined();
    expect(decodeCallLoad(report({ inflight: -1, cost_ms: 1 }))).toBeUndefined();
    expect(decodeCallLoad(report({ inflight: 1, cost_ms: 0 }))).toBeUndefined();
    expect(decodeCallLoad(report({ inflight: Number.NaN, cost_ms: 1 }))).toBeUndefined();
    expect(decodeCallLoad(new Uint8Array([0xff, 0xff, 0xff]))).toBeUndefined();
    expect(decodeCallLoad(report({ inflight: 0, cost_ms: 2 }))).toEqual({ inflight: 0, costMs: 2 });
  });
});
