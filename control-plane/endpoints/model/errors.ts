// Named errors of endpoint discovery, each with one stable code of kernel/errors/codes.ts.
// They never reach an API caller: the subscriber drops the message, counts it by code and logs it.
import { SwitchyardError } from '../../../kernel/errors/errors.js';

/** The body does not decode as the subject's message type, or lacks an address or port. */
export class EndpointMessageError extends SwitchyardError {
  constructor(
    readonly subject: string,
    reason: string,
  ) {
    super('SY_ENDPOINT_MESSAGE_INVALID', `${subject}: ${reason}`);
  }
}

/**
 * The pod id inside the message is not the one in its subject. NATS permissions bind a pod's
 * credentials to its own subjects, so the subject is the authenticated identity and the body
 * only a claim: a pod that may publish on `switchyard.pod.a.>` cannot speak for pod b.
 */
export class EndpointIdentityError extends SwitchyardError {
  constructor(
    readonly subject: string,
    readonly subjectPod: string,
    readonly claimedPod: string,
  ) {
    super(
      'SY_ENDPOINT_IDENTITY_MISMATCH',
      `${subject}: message claims pod ${JSON.stringify(claimedPod)}, subject belongs to ${JSON.stringify(subjectPod)}`,
    );
  }
}
