// A pod message off the wire: which pod the subject says, the body decoded, and the two checked
// against each other. Pure (bytes in, facts or a named error out), so every rejection path is
// tested without a NATS server.
import { decodePodBody, type PodMessageKind, podIdOf } from '../../../kernel/contract/index.js';
import { EndpointIdentityError, EndpointMessageError } from './errors.js';
import { heartbeatProblem, noticeProblem, registrationSequenceProblem } from './ranges.js';
import {
  type HeartbeatInfo,
  heartbeatInfoOf,
  type PodInfo,
  podInfoOf,
  registrationProblem,
} from './signals.js';

export { POD_MESSAGE_KINDS, type PodMessageKind } from '../../../kernel/contract/index.js';

export type PodMessage =
  | { readonly kind: 'register'; readonly info: PodInfo }
  | { readonly kind: 'heartbeat'; readonly info: HeartbeatInfo }
  | { readonly kind: 'drain' | 'deregister'; readonly podId: string; readonly sequence: bigint };

function subjectPod(subject: string, kind: PodMessageKind): string {
  const pod = podIdOf(subject);
  if (pod === undefined || !subject.endsWith(`.${kind}`))
    throw new EndpointMessageError(subject, `not a ${kind} subject`);
  return pod;
}

function decodeBody<T>(subject: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    throw new EndpointMessageError(subject, `undecodable body: ${(err as Error).message}`);
  }
}

function reject(subject: string, problem: string | undefined): void {
  if (problem) throw new EndpointMessageError(subject, problem);
}

function checkIdentity(subject: string, fromSubject: string, claimed: string): void {
  if (claimed !== fromSubject) throw new EndpointIdentityError(subject, fromSubject, claimed);
}

/**
 * Decodes one message of `kind` published on `subject`. Throws EndpointMessageError for a body
 * that is not that message or cannot become an endpoint, EndpointIdentityError when the body
 * speaks for another pod than the subject's. Figures out of range (ranges.ts) are rejected
 * here, where they enter, so nothing downstream ever sees a NaN.
 */
export function decodePodMessage(kind: PodMessageKind, subject: string, data: Uint8Array): PodMessage {
  const pod = subjectPod(subject, kind);
  switch (kind) {
    case 'register': {
      const reg = decodeBody(subject, () => decodePodBody('register', data));
      checkIdentity(subject, pod, reg.podId);
      reject(subject, registrationProblem(reg) ?? registrationSequenceProblem(reg));
      return { kind, info: podInfoOf(reg) };
    }
    case 'heartbeat': {
      const hb = decodeBody(subject, () => decodePodBody('heartbeat', data));
      checkIdentity(subject, pod, hb.podId);
      reject(subject, heartbeatProblem(hb));
      return { kind, info: heartbeatInfoOf(hb) };
    }
    case 'drain': {
      const n = decodeBody(subject, () => decodePodBody('drain', data));
      checkIdentity(subject, pod, n.podId);
      reject(subject, noticeProblem(n));
      return { kind, podId: pod, sequence: n.sequence };
    }
    case 'deregister': {
      const d = decodeBody(subject, () => decodePodBody('deregister', data));
      checkIdentity(subject, pod, d.podId);
      reject(subject, noticeProblem(d));
      return { kind, podId: pod, sequence: d.sequence };
    }
  }
}
