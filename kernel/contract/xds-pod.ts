// What a pod running as an xDS-managed gRPC server (gRFC A36) and the control plane agree on:
// the node metadata that puts the pod's xDS stream in the pods' group, and the name template of
// the server Listener it asks for (docs/ACCESS.md, "Pods as xDS-managed servers").

/** Node metadata key and value of a pod's xDS client (`switchyard.role: pod`). */
export const XDS_ROLE_KEY = 'switchyard.role';
export const XDS_POD_ROLE = 'pod';

/** The bootstrap's `server_listener_resource_name_template`; `%s` is the bound `ip:port`. */
export const POD_SERVER_LISTENER_TEMPLATE = 'grpc/server?xds.resource.listening_address=%s';

/** `ip:port` as grpc-js-xds writes a listening address (IPv6 in brackets). */
export function listeningAddress(address: string, port: number): string {
  return `${address.includes(':') ? `[${address}]` : address}:${port}`;
}
