// Least-load balancing for proxyless grpc-js clients: each call goes to the endpoint where it
// is expected to finish first, from the channel's own calls in flight and the per-call load
// reports of the pods (docs/ENDPOINTS.md, "Least load"). A client calls registerLeastLoad()
// once, before it creates channels; clusters that list the policy then use it, and clients
// that did not register take the next policy in the cluster's list.
import { experimental } from '@grpc/grpc-js';
import { LeastLoadBalancer } from './balancer.js';
import { LeastLoadConfig } from './config.js';
import { LEAST_LOAD_POLICY } from './name.js';

export {
  asksForLoadReport,
  type CallLoad,
  decodeCallLoad,
  encodeCallLoad,
  LOAD_REPORT_FORMAT,
  LOAD_REPORT_REQUEST,
  LOAD_REPORT_TRAILER,
} from './load-report.js';
export { LEAST_LOAD_POLICY, LEAST_LOAD_TYPE_URL } from './name.js';

export function registerLeastLoad(): void {
  if (!experimental.isLoadBalancerNameRegistered(LEAST_LOAD_POLICY))
    experimental.registerLoadBalancerType(LEAST_LOAD_POLICY, LeastLoadBalancer, LeastLoadConfig);
}
