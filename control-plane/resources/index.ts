// The xDS resources as the translator writes them and the checker reads them: the resource set
// of a node group and the type registry every google.protobuf.Any is unpacked with. Pure types
// and one immutable registry; imports nothing else of the control plane.
export { XDS_REGISTRY } from './registry.js';
export type { ResourceSet } from './resource-set.js';
