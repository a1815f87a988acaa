// grpc.health.v1.Health for Envoy's gRPC health checker and gRPC clients. Services:
//   ""  and "inference.GRPCInferenceService"  the pod: SERVING while it serves normally,
//                                              NOT_SERVING from the start of a drain
//   "<model>"                                  SERVING while the pod serves and the model has
//                                              a ready version
// Check answers NOT_FOUND for anything else; Watch streams every change until cancelled.
import { create } from '@bufbuild/protobuf';
import { type ServerUnaryCall, type ServerWritableStream, type sendUnaryData, status } from '@grpc/grpc-js';
import {
  type HealthCheckRequest,
  type HealthCheckResponse,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from '../../protos/gen/grpc/health/v1/health_pb.js';
import type { InferenceService } from '../serving/inference-service.js';

export const INFERENCE_SERVICE_NAME = 'inference.GRPCInferenceService';

export class HealthService {
  private readonly watchers = new Map<() => void, { end(): void }>();

  constructor(private readonly svc: InferenceService) {
    const notify = () => {
      for (const w of this.watchers.keys()) w();
    };
    svc.lifecycle.onPhase(notify);
    svc.models.onChange(notify);
  }

  statusOf(service: string): ServingStatus {
    if (service === '' || service === INFERENCE_SERVICE_NAME)
      return this.svc.ready() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    if (this.svc.models.versionsOf(service).length === 0) return ServingStatus.SERVICE_UNKNOWN;
    return this.svc.ready() && this.svc.modelReady(service)
      ? ServingStatus.SERVING
      : ServingStatus.NOT_SERVING;
  }

  readonly handlers = {
    check: (
      call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
      cb: sendUnaryData<HealthCheckResponse>,
    ) => {
      const s = this.statusOf(call.request.service);
      if (s === ServingStatus.SERVICE_UNKNOWN) {
        cb({ code: status.NOT_FOUND, details: `unknown service ${JSON.stringify(call.request.service)}` });
        return;
      }
      cb(null, create(HealthCheckResponseSchema, { status: s }));
    },
    watch: (call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>) => {
      let last: ServingStatus | undefined;
      const send = () => {
        const s = this.statusOf(call.request.service);
        if (s === last) return;
        last = s;
        call.write(create(HealthCheckResponseSchema, { status: s }));
      };
      const stop = () => {
        this.watchers.delete(send);
      };
      this.watchers.set(send, call);
      call.on('cancelled', stop);
      call.on('close', stop);
      call.on('error', stop);
      send();
    },
  };

  /** Ends every Watch stream (at shutdown, so the server can close). */
  endWatches(): void {
    for (const call of this.watchers.values()) call.end();
    this.watchers.clear();
  }
}
