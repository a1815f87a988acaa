// Resource names: the one place that decides them, because the xDS server, the consistency
// check, config-dump and the proxyless clients (`xds:///<model>`) all depend on them.
// docs/TRANSLATION.md lists them.
import { listeningAddress, POD_SERVER_LISTENER_TEMPLATE } from '../../kernel/contract/xds-pod.js';
import { flatJoin } from './flat-join.js';
import type { Flavor } from './types.js';

/** The Envoy gateway's one listener and its route configuration. */
export const GATEWAY_LISTENER = 'switchyard-gateway';
export const GATEWAY_ROUTE_CONFIG = 'switchyard-gateway';

/** Proxyless gRPC dials `xds:///<model>`, so its api_listener carries the model's name. */
export function listenerName(flavor: Flavor, model: string): string {
  return flavor === 'grpc' ? model : GATEWAY_LISTENER;
}

/** gRPC: one RouteConfiguration per model, named after it; Envoy: one for the gateway. */
export function routeConfigName(flavor: Flavor, model: string): string {
  return flavor === 'grpc' ? model : GATEWAY_ROUTE_CONFIG;
}

/** One EDS cluster per model version; its ClusterLoadAssignment has the same name. */
export function clusterName(model: string, version: string): string {
  return flatJoin(model, '/', version);
}

const REST_SUFFIX = 'http';

/**
 * Envoy only: the cluster of a version's KServe v2 REST API, on the pods' HTTP port (the gRPC
 * cluster speaks HTTP/2 to their gRPC port, where a REST request gets 415). Its
 * ClusterLoadAssignment has the same name.
 */
export function restClusterName(model: string, version: string): string {
  return flatJoin(model, '/', version, '/', REST_SUFFIX);
}

/**
 * Inverse of clusterName and restClusterName (model names never contain "/"; version names
 * neither).
 */
export function parseClusterName(
  name: string,
): { model: string; version: string; rest: boolean } | undefined {
  const parts = name.split('/');
  const rest = parts.length === 3 && parts[2] === REST_SUFFIX;
  if (parts.length !== 2 && !rest) return undefined;
  const [model, version] = parts as [string, string];
  if (!model || !version) return undefined;
  return { model, version, rest };
}

/** The REST prefix of the KServe v2 protocol for a model on the gateway. */
export function restPath(model: string): string {
  return flatJoin('/v2/models/', model);
}

/** The header that names the model on gRPC requests through the gateway. */
export const MODEL_HEADER = 'x-model-name';

/** The server-side Listener of the pod listening on `address:port` (gRFC A36 name template). */
export function podServerListenerName(address: string, port: number): string {
  return POD_SERVER_LISTENER_TEMPLATE.replace('%s', listeningAddress(address, port));
}

/** The route configuration inside every pod's server Listener (inline: one NonForwardingAction). */
export const POD_SERVER_ROUTE_CONFIG = 'switchyard-pod-server';

/**
 * Does this resource carry part of the model's policy? Its own listener and route configuration
 * (proxyless gRPC), its clusters and their assignments, and the Envoy gateway's listener and
 * route configuration, which hold every model's routes.
 */
export function ownedByModel(name: string, model: string): boolean {
  return (
    name === model ||
    parseClusterName(name)?.model === model ||
    name === GATEWAY_LISTENER ||
    name === GATEWAY_ROUTE_CONFIG
  );
}

/**
 * Envoy only: the cluster the gateway fetches a model's remote JWKS through (`spec.access.jwt.
 * jwks.uri`). Three parts with a "-" version, which no version is called, so it never collides
 * with a version's clusters and parseClusterName leaves it alone.
 */
export function jwksClusterName(model: string): string {
  return `${model}/-/jwks`;
}
