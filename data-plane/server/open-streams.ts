// Server streams that end only when their client goes (ORCA's StreamCoreMetrics), kept so that
// the pod can end them when it closes: a graceful shutdown waits for every open call, so one such
// stream would hold it for ever (docs/DATAPLANE.md, "Shutdown of server streams").
import type { EventEmitter } from 'node:events';
import { status, type UntypedServiceImplementation } from '@grpc/grpc-js';

/** The status open streams end with when the pod closes (why UNAVAILABLE: the doc above). */
export const SHUTDOWN_STATUS = { code: status.UNAVAILABLE, details: 'server shutting down' } as const;

type StreamHandler = (call: EventEmitter) => void;

export class OpenStreams {
  private readonly open = new Set<EventEmitter>();

  /** `impl`'s handlers, each call noted from its start until its client cancels or it is ended. */
  track(impl: UntypedServiceImplementation): UntypedServiceImplementation {
    const tracked: UntypedServiceImplementation = {};
    for (const [name, h] of Object.entries(impl)) {
      const handler = h as unknown as StreamHandler;
      const wrapped: StreamHandler = (call) => {
        this.open.add(call);
        call.once('cancelled', () => this.open.delete(call));
        handler(call);
      };
      tracked[name] = wrapped as unknown as UntypedServiceImplementation[string];
    }
    return tracked;
  }

  /**
   * Ends every open stream with SHUTDOWN_STATUS. Both transports' calls end with an error status
   * when 'error' is emitted on them (grpc-js's way for server streams); 'cancelled' then tells
   * the handler the call is over, as a client's cancel would, which stops its report timer.
   */
  endAll(): void {
    const calls = [...this.open];
    this.open.clear();
    for (const call of calls) {
      call.emit('error', { ...SHUTDOWN_STATUS });
      call.emit('cancelled', 'cancelled');
    }
  }
}
