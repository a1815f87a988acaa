// What the isolation suites share: model "bee", routed by its own policy to one of two stand-in
// backends, and a real grpc-js-xds client that tells which backend its calls reach. Moving bee
// from b1 to b2 while another model is broken shows that bee still gets updates.
import { create } from '@bufbuild/protobuf';
import { PredictRequestSchema } from '../../protos/gen/switchyard/demo/v1/backend_pb.js';
import { modelRouteYaml } from '../helpers/control-plane.js';
import { type DemoBackendHandle, predict, startDemoBackend } from '../helpers/demo-backend.js';
import { xdsDemoClient } from '../helpers/xds-client.js';

export const BEE = 'bee';

export interface ModelB {
  readonly b1: DemoBackendHandle;
  readonly b2: DemoBackendHandle;
  /** bee's policy routing all of version v1 to b1 or b2. */
  yaml(to: 'b1' | 'b2'): string;
  /** Calls bee through a grpc-js-xds client until one answers from `pod`. */
  waitForBackend(xdsAddress: string, pod: 'b1' | 'b2', timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startModelB(): Promise<ModelB> {
  const b1 = await startDemoBackend('v1', 'b1');
  const b2 = await startDemoBackend('v1', 'b2');
  const clients: Array<{ close(): void }> = [];
  return {
    b1,
    b2,
    yaml: (to) => modelRouteYaml(BEE, { v1: [100, (to === 'b1' ? b1 : b2).port] }),
    async waitForBackend(xdsAddress, pod, timeoutMs = 15_000) {
      const client = xdsDemoClient(xdsAddress, BEE, `bee-watch-${pod}-${process.pid}`);
      clients.push(client);
      const req = create(PredictRequestSchema, { model: BEE });
      const deadline = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < deadline) {
        try {
          const res = await predict(client, req, { timeoutMs: 2000 });
          if (res.pod === pod) return;
          last = `answered by ${res.pod}`;
        } catch (err) {
          last = (err as Error).message;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out after ${timeoutMs} ms waiting for bee to reach ${pod} (last: ${last})`);
    },
    async close() {
      for (const c of clients) c.close();
      await Promise.all([b1.close(), b2.close()]);
    },
  };
}
