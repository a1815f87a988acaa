// A proxyless client process that did NOT register the least-load policy: it takes the next
// policy of the cluster's list (client-side WRR with GRPC_EXPERIMENTAL_XDS_WRR_LB=true, else
// round_robin). Closed-loop load for the given seconds, then one JSON line on stdout.
// argv: xds address, model, callers, seconds.
import '../helpers/xds-env.js';
import { experimental } from '@grpc/grpc-js';
import { LEAST_LOAD_POLICY } from '../../kernel/grpc/least-load/name.js';
import { affineRequest, LoadGenerator, XdsInferenceClient } from './load.js';

const [xds, model, callers, seconds] = process.argv.slice(2);
const clients = [0, 1].map((i) => new XdsInferenceClient(xds!, model!, `plain-${process.pid}-${i}`));
await Promise.all(clients.map((c) => c.infer(affineRequest())));
const load = new LoadGenerator(clients);
load.start(Number(callers));
await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
const calls = await load.stop();
for (const c of clients) c.close();
process.stdout.write(
  `${JSON.stringify({
    registered: experimental.isLoadBalancerNameRegistered(LEAST_LOAD_POLICY),
    calls: calls.length,
    failures: calls.filter((c) => c.code !== null).length,
  })}\n`,
);
process.exit(0);
