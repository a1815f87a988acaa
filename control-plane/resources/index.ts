// The xDS resources as the translator writes them and the checker reads them: the resource set
// of a node group, the type registry every google.protobuf.Any is unpacked with, and the
// assignments the translator writes as bytes. Pure; imports nothing else of the control plane.
export { encodedAssignment, encodingOf } from './encoded-assignment.js';
export { XDS_REGISTRY } from './registry.js';
export type { ResourceSet } from './resource-set.js';
