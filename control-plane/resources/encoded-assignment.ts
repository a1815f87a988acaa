// A ClusterLoadAssignment the translator wrote as bytes (translate/encode/assignment-bytes.ts)
// rather than as message objects. Assignments are most of a translation's objects (six per
// endpoint: 300,000 endpoints at 10,000 models, over half the retained heap), and the snapshot
// cache only needs their bytes. To every reader it is still a ClusterLoadAssignment: its
// `endpoints` field decodes the bytes the first time it is read. That read also ends the
// pre-encoding: the decoded objects may be changed like any message's, so from then on the
// encoder and the checker treat it as an ordinary message and never serve stale bytes.
// The writer only pre-encodes an assignment whose every value passes the PGV rules of the
// fields it writes, so the checker has nothing to find in one still pre-encoded
// (docs/TRANSLATION.md, "Assignments as bytes").
import { fromBinary } from '@bufbuild/protobuf';
import type { LocalityLbEndpoints } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_components_pb.js';
import {
  type ClusterLoadAssignment,
  ClusterLoadAssignmentSchema,
} from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';

// Not enumerable: Object.keys, spreads, JSON and deep equality see only the message's fields.
const BYTES = Symbol('switchyard.encoding');

type Carrier = ClusterLoadAssignment & { [BYTES]?: Uint8Array };

function settle(cla: Carrier, endpoints: LocalityLbEndpoints[]): void {
  delete cla[BYTES];
  Object.defineProperty(cla, 'endpoints', {
    value: endpoints,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}

// One accessor pair for every assignment, so they all keep one hidden class; an object literal
// with a getter and a setter took four times as long to make.
const ENDPOINTS: PropertyDescriptor = {
  get(this: Carrier): LocalityLbEndpoints[] {
    const endpoints = fromBinary(ClusterLoadAssignmentSchema, this[BYTES]!).endpoints;
    settle(this, endpoints);
    return endpoints;
  },
  set(this: Carrier, value: LocalityLbEndpoints[]) {
    settle(this, value);
  },
  enumerable: true,
  configurable: true,
};
const NO_NAMED: ClusterLoadAssignment['namedEndpoints'] = Object.freeze({});

/** An assignment whose encoding is `bytes` (toBinary of the message it stands for). */
export function encodedAssignment(clusterName: string, bytes: Uint8Array): ClusterLoadAssignment {
  const cla = { $typeName: 'envoy.config.endpoint.v3.ClusterLoadAssignment', clusterName } as Carrier;
  Object.defineProperty(cla, 'endpoints', ENDPOINTS);
  cla.namedEndpoints = NO_NAMED;
  Object.defineProperty(cla, BYTES, { value: bytes, configurable: true });
  return cla;
}

/**
 * The encoding of a message the translator wrote as bytes and nobody has read into since;
 * undefined for every other message.
 */
export function encodingOf(msg: object): Uint8Array | undefined {
  return (msg as Carrier)[BYTES];
}
