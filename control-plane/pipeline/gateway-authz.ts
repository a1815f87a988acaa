// The gateway's authorization service as the control plane serves it on its xDS port: the
// policies served now, mTLS callers only when there is a CA, and its refusals counted by model
// and reason (both bounded: models are the policies', reasons a fixed set; never a credential).
import { Counter, type Registry } from 'prom-client';
import { authorizationService } from '../authz/authz-service.js';
import type { ModelRoute } from '../policy/types.js';

export function gatewayAuthz(
  routes: () => readonly ModelRoute[],
  opts: { readonly pki?: unknown },
  registry: Registry,
): ReturnType<typeof authorizationService> {
  const refusals = new Counter({
    name: 'switchyard_gateway_authz_refusals_total',
    help: "Requests the gateway's authorization service refused, by model and reason (docs/ACCESS.md)",
    labelNames: ['model', 'reason'],
    registers: [registry],
  });
  return authorizationService({
    routes,
    mtlsOnly: opts.pki !== undefined,
    onRefusal: (model, reason) =>
      // A model the service does not serve is not a label value: it came with the request.
      refusals.inc({ model: reason === 'unknown-model' ? '' : model, reason }),
  });
}
