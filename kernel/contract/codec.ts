// The bodies of the pod contract: each subject kind carries one message of dataplane.proto in
// protobuf binary encoding, the format every released pod publishes. This is the one table of
// kind -> message both sides use, so a pod and the control plane cannot disagree on it.
import { create, fromBinary, type MessageInitShape, type MessageShape, toBinary } from '@bufbuild/protobuf';
import {
  type AnnounceRequest,
  AnnounceRequestSchema,
  DeregistrationSchema,
  DrainNoticeSchema,
  HeartbeatSchema,
  type PodAssignments,
  PodAssignmentsSchema,
  PodRegistrationSchema,
} from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
import type { PodMessageKind } from './subjects.js';

export const POD_MESSAGE_SCHEMAS = {
  register: PodRegistrationSchema,
  heartbeat: HeartbeatSchema,
  drain: DrainNoticeSchema,
  deregister: DeregistrationSchema,
} as const satisfies Record<PodMessageKind, unknown>;

/** The message a pod publishes on its subject of kind K. */
export type PodMessageBody<K extends PodMessageKind> = MessageShape<(typeof POD_MESSAGE_SCHEMAS)[K]>;

export function encodePodBody<K extends PodMessageKind>(kind: K, body: PodMessageBody<K>): Uint8Array {
  // The union of schemas does not narrow with K; the table above pairs them.
  return toBinary(POD_MESSAGE_SCHEMAS[kind] as typeof HeartbeatSchema, body as PodMessageBody<'heartbeat'>);
}

/** Decodes a body of kind K; throws what protobuf-es throws for bytes that are not one. */
export function decodePodBody<K extends PodMessageKind>(kind: K, bytes: Uint8Array): PodMessageBody<K> {
  return fromBinary(POD_MESSAGE_SCHEMAS[kind] as typeof HeartbeatSchema, bytes) as PodMessageBody<K>;
}

export function encodeAnnounce(init: MessageInitShape<typeof AnnounceRequestSchema>): Uint8Array {
  return toBinary(AnnounceRequestSchema, create(AnnounceRequestSchema, init));
}

export function decodeAnnounce(bytes: Uint8Array): AnnounceRequest {
  return fromBinary(AnnounceRequestSchema, bytes);
}

/** Control plane -> managed pod, on podSubjects(id).assign. */
export function encodeAssignments(init: MessageInitShape<typeof PodAssignmentsSchema>): Uint8Array {
  return toBinary(PodAssignmentsSchema, create(PodAssignmentsSchema, init));
}

export function decodeAssignments(bytes: Uint8Array): PodAssignments {
  return fromBinary(PodAssignmentsSchema, bytes);
}
