// Validation of generated resources against the protoc-gen-validate rules in Envoy's protos.
// (consistency.ts, the cross-resource check, is exported by its own module.)
export { checkMessage } from './pgv.js';
export { checkResources, checkResourcesSteps } from './resources.js';
