// The NATS subjects between pods and the control plane: the half of the contract that is not
// in the message schema (protos/api/switchyard/dataplane/v1/dataplane.proto). Both programs
// import it; docs/ENDPOINTS.md ("The pod contract") documents subjects and fields. Pure.
import { PodIdError } from './errors.js';

export const SUBJECT_ROOT = 'switchyard.pod';
export const ANNOUNCE_SUBJECT = 'switchyard.pods.announce';

/** Registration label of a pod that accepts mTLS (Istio's tlsMode): proxies may use TLS to it. */
export const TLS_MODE_LABEL = 'security.switchyard.dev/tlsMode';

/** A pod id is one subject token and also safe in URLs and logs. */
export const POD_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** What a pod publishes, one subject per kind. */
export type PodMessageKind = 'register' | 'heartbeat' | 'drain' | 'deregister';
export const POD_MESSAGE_KINDS: readonly PodMessageKind[] = ['register', 'heartbeat', 'drain', 'deregister'];

/** Throws PodIdError unless `podId` can be a pod's subject token. */
export function checkPodId(podId: string): void {
  if (!POD_ID_PATTERN.test(podId)) throw new PodIdError(podId, POD_ID_PATTERN);
}

export function podSubjects(podId: string) {
  checkPodId(podId);
  const base = `${SUBJECT_ROOT}.${podId}`;
  return {
    register: `${base}.register`,
    heartbeat: `${base}.heartbeat`,
    drain: `${base}.drain`,
    deregister: `${base}.deregister`,
    /** Control plane -> pod: MirrorConfig (what to mirror to a candidate version). */
    mirror: `${base}.mirror`,
    /** Control plane -> a managed pod: PodAssignments. The pod subscribes; it never publishes here. */
    assign: `${base}.assign`,
    /** Control plane -> pod: the access rules of the models (access-rules.ts). Pods never publish. */
    access: `${base}.access`,
    /** What a pod's NATS user needs to publish: nothing outside its own subjects. */
    publishPermission: `${base}.>`,
    /** ...except its assignments, which only the control plane may publish (deny this). */
    publishDenied: `${base}.assign`,
    /** Everything under the pod's subjects that only the control plane may publish. */
    controlPlaneOnly: [`${base}.assign`, `${base}.access`],
  } as const;
}

/** What a pod's NATS user needs to subscribe to: announce requests, its mirror settings and access rules. */
export function podSubscribePermission(podId: string): string[] {
  const s = podSubjects(podId);
  return [ANNOUNCE_SUBJECT, s.mirror, s.access];
}

/** For the control plane: every pod's messages of one kind, e.g. `switchyard.pod.*.heartbeat`. */
export function allPods(kind: PodMessageKind): string {
  return `${SUBJECT_ROOT}.*.${kind}`;
}

/** Pod id from a subject of podSubjects(); undefined for anything else. */
export function podIdOf(subject: string): string | undefined {
  const parts = subject.split('.');
  if (parts.length !== 4 || `${parts[0]}.${parts[1]}` !== SUBJECT_ROOT) return undefined;
  return parts[2];
}
