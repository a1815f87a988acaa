// What the C-core suites share: one python3-grpcio client process per scenario against a real
// xDS server, and a way to wait for a condition with a generous deadline.
import { CcoreClient, ccoreUnavailable, ccoreVersion } from '../helpers/ccore-client.js';
import type { XdsFixture } from '../helpers/xds-fixture.js';

export const unavailable = ccoreUnavailable();
if (unavailable) console.warn(`skipping the C-core suites: ${unavailable}`);

/**
 * The node group this C-core release reads (docs/TRANSLATION.md, "Client capabilities"): gRPC
 * 1.51 and 1.52 (cores 29, 30) lack string_match and crash on ring_hash; later ones up to core 33
 * lack string_match only.
 */
export const CCORE_GROUP = /^1\.5[12]\./.test(ccoreVersion() ?? '')
  ? 'grpc+legacy-header-matchers+no-ring-hash'
  : 'grpc+legacy-header-matchers';

const clients: CcoreClient[] = [];

/** Close every client ccoreClient() started; before the xDS server, so its streams end first. */
export async function closeClients(): Promise<void> {
  await Promise.all(clients.splice(0).map((c) => c.close()));
}

/** A C-core client for this scenario (an xDS server or its address); closeClients() ends it. */
export function ccoreClient(xds: XdsFixture | string, nodeId: string): CcoreClient {
  const c = new CcoreClient(typeof xds === 'string' ? xds : xds.address, nodeId);
  clients.push(c);
  return c;
}

export { until } from '../translate-e2e/scenarios.js';
