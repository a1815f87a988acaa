import { experimental, Metadata, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { EndpointLoad } from './endpoint-load.js';
import {
  asksForLoadReport,
  encodeCallLoad,
  LOAD_REPORT_FORMAT,
  LOAD_REPORT_REQUEST,
  LOAD_REPORT_TRAILER,
} from './load-report.js';
import { LeastLoadPicker } from './picker.js';

const ARGS = { metadata: new Metadata(), extraPickInfo: {} };

/** A leaf's picker: always its own (fake) subchannel, and a log of the callbacks it chained. */
function leaf(name: string, log: string[], type = experimental.PickResultType.COMPLETE): experimental.Picker {
  return {
    pick: () => ({
      pickResultType: type,
      subchannel: { name } as never,
      status: null,
      onCallStarted: () => log.push(`${name} started`),
      onCallEnded: (code) => log.push(`${name} ended ${code}`),
    }),
  };
}

function trailers(inflight: number, costMs: number): Metadata {
  const m = new Metadata();
  m.set(LOAD_REPORT_TRAILER, Buffer.from(encodeCallLoad({ inflight, costMs })));
  return m;
}

describe('LeastLoadPicker (the grpc-js glue)', () => {
  it('counts each call from its start to its end, reads the report in its trailers, and chains the leaf callbacks', () => {
    const log: string[] = [];
    const loads = [new EndpointLoad(), new EndpointLoad()];
    const picker = new LeastLoadPicker(
      [
        { picker: leaf('a', log), load: loads[0]! },
        { picker: leaf('b', log), load: loads[1]! },
      ],
      1000,
      () => 0,
      () => 0.99,
    );
    const first = picker.pick(ARGS);
    expect((first.subchannel as unknown as { name: string }).name).toBe('a');
    first.onCallStarted!();
    expect(loads[0]!.own).toBe(1);
    // a holds one call: b is now where a new call finishes first.
    const second = picker.pick(ARGS);
    expect((second.subchannel as unknown as { name: string }).name).toBe('b');
    second.onCallStarted!();
    // b answers: it still holds 3 calls of other clients at 10 ms each; a costs 1 ms (no report).
    second.onCallEnded!(status.OK, '', trailers(3, 10));
    expect(loads[1]!.ahead(0, 1000)).toBe(3);
    first.onCallEnded!(status.OK, '', trailers(0, 10));
    expect(loads.map((l) => l.own)).toEqual([0, 0]);
    expect((picker.pick(ARGS).subchannel as unknown as { name: string }).name).toBe('a');
    expect(log).toEqual(['a started', 'b started', 'b ended 0', 'a ended 0']);
  });

  it('asks the pod for its report in the metadata the call is sent with', () => {
    const picker = new LeastLoadPicker([{ picker: leaf('a', []), load: new EndpointLoad() }], 1000);
    const metadata = new Metadata();
    metadata.set('x-app', '1');
    picker.pick({ metadata, extraPickInfo: {} });
    expect(metadata.get(LOAD_REPORT_REQUEST)).toEqual([LOAD_REPORT_FORMAT]);
    expect(metadata.get('x-app')).toEqual(['1']);
    expect(asksForLoadReport(metadata.get(LOAD_REPORT_REQUEST)[0])).toBe(true);
    for (const v of [undefined, '', 'TEXT', 'json', Buffer.from('BIN')])
      expect(asksForLoadReport(v)).toBe(false);
    expect(asksForLoadReport(' bin ')).toBe(true);
  });

  it('ends a call without trailers or with a foreign one without a report, and passes a queued pick through', () => {
    const log: string[] = [];
    const load = new EndpointLoad();
    const picker = new LeastLoadPicker([{ picker: leaf('a', log), load }], 1000);
    const r = picker.pick(ARGS);
    r.onCallStarted!();
    const junk = new Metadata();
    junk.set(LOAD_REPORT_TRAILER, Buffer.from([0xff, 0xff]));
    r.onCallEnded!(status.UNAVAILABLE, 'gone', junk);
    expect(load.own).toBe(0);
    expect(Number.isNaN(load.costMs)).toBe(true);
    const queued = new LeastLoadPicker(
      [{ picker: leaf('q', log, experimental.PickResultType.QUEUE), load: new EndpointLoad() }],
      1000,
    ).pick(ARGS);
    expect(queued.pickResultType).toBe(experimental.PickResultType.QUEUE);
    expect(log).toEqual(['a started', `a ended ${status.UNAVAILABLE}`]);
  });
});
