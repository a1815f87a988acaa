// The per-call pick over the READY endpoints: the least-load rule (endpoint-load.ts), then the
// chosen endpoint's own picker, wrapped so that the call's start and end (with the pod's load
// report from its trailers, which the call asks for in a request header) update that endpoint's
// figures.
import { experimental, type Metadata } from '@grpc/grpc-js';
import { chooseLeastLoad, type EndpointLoad } from './endpoint-load.js';
import {
  decodeCallLoad,
  LOAD_REPORT_FORMAT,
  LOAD_REPORT_REQUEST,
  LOAD_REPORT_TRAILER,
} from './load-report.js';

export interface ReadyEndpoint {
  readonly picker: experimental.Picker;
  readonly load: EndpointLoad;
}

function reportIn(trailers: Metadata | undefined) {
  const v = trailers?.get(LOAD_REPORT_TRAILER)[0];
  return v instanceof Uint8Array ? decodeCallLoad(v) : undefined;
}

export class LeastLoadPicker implements experimental.Picker {
  private readonly loads: readonly EndpointLoad[];

  constructor(
    private readonly ready: readonly ReadyEndpoint[],
    private readonly reportTtlMs: number,
    private readonly now: () => number = () => performance.now(),
    private readonly random: () => number = Math.random,
  ) {
    this.loads = ready.map((r) => r.load);
  }

  pick(args: experimental.PickArgs): experimental.PickResult {
    // The metadata picked with is what the call sends: ask the pod for its report.
    args.metadata.set(LOAD_REPORT_REQUEST, LOAD_REPORT_FORMAT);
    const chosen = this.ready[chooseLeastLoad(this.loads, this.now(), this.reportTtlMs, this.random)]!;
    const result = chosen.picker.pick(args);
    if (result.pickResultType !== experimental.PickResultType.COMPLETE) return result;
    const { load } = chosen;
    const { onCallStarted, onCallEnded } = result;
    return {
      ...result,
      onCallStarted: () => {
        load.started();
        onCallStarted?.();
      },
      onCallEnded: (code, details, trailers) => {
        load.ended(reportIn(trailers), this.now());
        onCallEnded?.(code, details, trailers);
      },
    };
  }
}
