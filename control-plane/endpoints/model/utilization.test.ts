// One unit for utilization: a pod's percent becomes a fraction once, where the heartbeat is
// decoded, and the overflow thresholds operators give in percent meet it on the same scale, so a
// GPU at exactly the threshold overflows, as it did when the table compared percents.
import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import {
  HeartbeatSchema,
  UtilizationSchema,
} from '../../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
import { parseDiscoveryOptions } from '../options.js';
import { NO_OVERFLOW, nextOverflow } from './overflow.js';
import { heartbeatInfoOf } from './signals.js';
import { type Utilization, utilization, utilizationFromPercent } from './utilization.js';

const gpuOf = (gpuPercent: number) =>
  heartbeatInfoOf(
    create(HeartbeatSchema, {
      podId: 'g',
      sequence: 2n,
      utilization: create(UtilizationSchema, { cpuPercent: 10, gpuPercent }),
    }),
  ).gpu!;

describe('utilization unit', () => {
  it('is a type of its own: a bare number, a percent say, is not a Utilization', () => {
    // @ts-expect-error a plain number must go through utilization() or utilizationFromPercent()
    const percent: Utilization = 80;
    expect(percent).toBe(80);
    expect(utilization(0.8)).toBe(0.8);
  });

  it('converts a pod percent once, at decoding', () => {
    expect(gpuOf(80)).toBe(0.8);
    expect(gpuOf(100)).toBe(1);
    expect(gpuOf(0)).toBe(0);
    expect(utilizationFromPercent(25)).toBe(0.25);
  });

  it('meets the operators thresholds on the same scale at every whole percent', () => {
    for (let enter = 1; enter <= 100; enter++) {
      const { overflow } = parseDiscoveryOptions({ overflow: { enterPercent: enter, exitPercent: 0 } });
      for (const gpu of [enter - 1, enter]) {
        const active = nextOverflow(NO_OVERFLOW, [gpuOf(gpu)], 0, overflow).active;
        expect(active, `GPU ${gpu} % against enter ${enter} %`).toBe(gpu >= enter);
      }
    }
  });
});
