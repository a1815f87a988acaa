// The NATS contract between pods and the control plane: subjects, the message of each, and
// their wire encoding. docs/ENDPOINTS.md ("The pod contract") documents fields, units and ranges.

export type {
  AnnounceRequest,
  AssignedVersion,
  Deregistration,
  DrainNotice,
  Heartbeat,
  LatencyWindow,
  MirrorConfig,
  PodAssignments,
  PodRegistration,
  Utilization,
} from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
export * from './access-rules.js';
export * from './codec.js';
export * from './errors.js';
export * from './latency-buckets.js';
export * from './mirror-codec.js';
export * from './subjects.js';
export * from './xds-pod.js';
