// Error codes -> gRPC status codes and metadata. RESOURCE_EXHAUSTED and UNAVAILABLE are the
// codes proxies (Envoy retry_on, gRPC retry policies) retry on another endpoint; the client's
// own mistakes map to codes they do not retry.
import { Metadata, status } from '@grpc/grpc-js';
import type { ErrorCode } from '../../kernel/errors/codes.js';
import { AccessRefusedError } from '../access/refusal.js';
import { OverloadedError, type SwitchyardError } from '../errors.js';

export function grpcStatusOf(code: ErrorCode): status {
  switch (code) {
    case 'SY_INFER_INVALID':
    case 'SY_PAYLOAD_TOO_LARGE':
    case 'SY_OPTION_INVALID':
      return status.INVALID_ARGUMENT;
    case 'SY_MODEL_NOT_FOUND':
    case 'SY_NOT_FOUND':
      return status.NOT_FOUND;
    case 'SY_OVERLOADED':
      return status.RESOURCE_EXHAUSTED;
    case 'SY_DEADLINE_EXCEEDED':
      return status.DEADLINE_EXCEEDED;
    case 'SY_DRAINING':
    case 'SY_MODEL_NOT_READY':
    case 'SY_INJECTED_FAILURE':
      return status.UNAVAILABLE;
    case 'SY_UNAVAILABLE':
      return status.CANCELLED;
    case 'SY_ACCESS_UNAUTHENTICATED':
      return status.UNAUTHENTICATED;
    case 'SY_ACCESS_DENIED':
      return status.PERMISSION_DENIED;
    case 'SY_ACCESS_RATE_LIMITED':
      return status.RESOURCE_EXHAUSTED;
    case 'SY_ACCESS_RULES_PENDING':
      return status.UNAVAILABLE;
    default:
      return status.INTERNAL;
  }
}

/** The error as grpc-js sends it: code, message, and retry hints in trailing metadata. */
export function grpcErrorOf(e: SwitchyardError): { code: status; details: string; metadata: Metadata } {
  const metadata = new Metadata();
  metadata.set('x-switchyard-error', e.code);
  if (e instanceof OverloadedError) {
    metadata.set('retry-after', String(e.retryAfterSeconds));
    // gRFC A6 server pushback: how long a retrying client should wait.
    metadata.set('grpc-retry-pushback-ms', String(e.retryAfterSeconds * 1000));
  }
  if (e instanceof AccessRefusedError && e.retryAfterSeconds !== undefined)
    metadata.set('retry-after', String(e.retryAfterSeconds));
  return { code: grpcStatusOf(e.code), details: e.message, metadata };
}
