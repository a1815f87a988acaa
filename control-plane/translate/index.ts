// Pure translation of ModelRoutes and endpoints into xDS resources, per client flavor.
export { buildLoadAssignment } from './endpoints.js';
export * from './names.js';
export {
  DEFAULT_TRANSLATE_OPTIONS,
  GATEWAY_ROUTE_MATCHERS,
  type GatewayRouteMatcher,
  podIdentity,
  resolveOptions,
  type TranslateOptions,
} from './options.js';
export { type PodServer, podServers } from './pod-servers.js';
export { routesWithReadyWeights, withReadyWeights } from './ready-weights.js';
export { translatePodServers } from './server-listener.js';
export { TranslationCache } from './translation-cache.js';
export {
  type TranslateInput,
  translate,
  translateLoadAssignment,
  translateModel,
  translateSteps,
} from './translator.js';
export * from './types.js';
