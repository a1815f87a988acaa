// A KServe v2 REST request through the Envoy gateway, followed over the served resources the way
// Envoy resolves it (Envoy is not installable here): LDS listener -> its HttpConnectionManager's
// RDS name -> virtual host by authority -> first route whose path and headers match -> CDS
// cluster and its upstream protocol -> EDS assignment -> a HEALTHY endpoint, which must be a real
// pod's HTTP port answering the request with 200. The same walk for a gRPC request still ends on
// the pod's gRPC port over HTTP/2. Both walks are taken through the catch-all virtual host and
// through the model's own (by :authority), with the catch-all host served as a route list and as
// a matcher tree. Envoy's rules: route matching as test/helpers/envoy-route-match.ts follows it
// (virtual host by domain; routes in order, first match wins; or the matcher tree's maps) and
// the upstream protocol from the cluster's
// typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"].
// The pod registers over a real nats-server; the control plane serves over real ADS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../data-plane/pod.js';
import { f32Of, KServeClient } from '../dataplane/harness.js';
import {
  affineRepo,
  type ModelRepo,
  startDiscoveryPlane,
  startNats,
  startPod,
} from '../endpoints/harness.js';
import { affineRequest } from '../endpoints/load.js';
import { SotwClient } from '../helpers/ads-client.js';
import type { ControlPlaneFixture } from '../helpers/control-plane.js';
import type { HttpRequest } from '../helpers/envoy-route-match.js';
import type { NatsServer } from '../helpers/nats-server.js';
import { Follower } from './follower.js';
import { clustersFor, gatewayRoutes, upstream } from './gateway-walk.js';

describe.each(['list', 'tree'] as const)(
  'REST through the Envoy gateway (catch-all host as a %s) reaches the pods over their HTTP port',
  (gatewayRouteMatcher) => {
    let nats: NatsServer;
    let repo: ModelRepo;
    let fx: ControlPlaneFixture;
    let pod: Pod;
    let ads: SotwClient;
    let follow: Follower;

    beforeAll(async () => {
      nats = await startNats(['pod-a']);
      repo = await affineRepo();
      fx = await startDiscoveryPlane(nats, {}, undefined, { translate: { gatewayRouteMatcher } });
      pod = await startPod(nats, repo, 'pod-a');
      ads = new SotwClient(fx.xdsAddress, { id: 'rest-gateway', userAgentName: 'envoy' });
      follow = new Follower(ads);
    });

    afterAll(async () => {
      ads?.close();
      await pod?.close();
      await fx?.cp.stop();
      await fx?.close();
      await repo?.cleanup();
      await nats?.cleanup();
    });

    /** Follows `req` to its endpoint and asks the pod there over HTTP/1.1: a real KServe v2 answer. */
    async function inferOverRest(req: HttpRequest): Promise<void> {
      const clusters = await clustersFor(follow, req);
      expect(clusters).toEqual(['affine/1/http']);
      const up = await upstream(follow, clusters[0]!);
      expect(up.protocol).toBe('httpProtocolOptions');
      expect(up.addresses).toEqual([`127.0.0.1:${pod.ports.http}`]);

      const res = await fetch(`http://${up.addresses[0]}${req.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }],
        }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { model_name: string; outputs: { data: number[] }[] };
      expect(body.model_name).toBe('affine');
      // The same pod's gRPC answer for the same input: REST reached the real model.
      const grpc = new KServeClient(pod.ports.grpc);
      try {
        const viaGrpc = await grpc.infer(affineRequest());
        expect(body.outputs[0]!.data).toEqual([...f32Of(viaGrpc.rawOutputContents[0]!)]);
      } finally {
        grpc.close();
      }
    }

    it('routes /v2/models/<model>/infer to an HTTP/1.1 cluster on the pod HTTP port, answered 200', async () => {
      await inferOverRest({
        authority: 'gateway.example:8080',
        path: '/v2/models/affine/infer',
        headers: {},
      });
    });

    it('routes REST addressed to the model by host name (its own virtual host) the same way', async () => {
      await inferOverRest({ authority: 'affine', path: '/v2/models/affine/infer', headers: {} });
      await inferOverRest({ authority: 'affine:10000', path: '/v2/models/affine/infer', headers: {} });
    });

    it('sends gRPC addressed to the model by host name to the HTTP/2 cluster on the pod gRPC port', async () => {
      const req: HttpRequest = {
        authority: 'affine:10000',
        path: '/inference.GRPCInferenceService/ModelInfer',
        headers: { 'content-type': 'application/grpc' },
      };
      const clusters = await clustersFor(follow, req);
      expect(clusters).toEqual(['affine/1']);
      const up = await upstream(follow, clusters[0]!);
      expect(up.protocol).toBe('http2ProtocolOptions');
      expect(up.addresses).toEqual([`127.0.0.1:${pod.ports.grpc}`]);
    });

    it(`serves the catch-all virtual host as a ${gatewayRouteMatcher}`, async () => {
      const all = (await gatewayRoutes(follow)).virtualHosts.find((v) => v.name === 'all-models')!;
      expect(all.matcher !== undefined).toBe(gatewayRouteMatcher === 'tree');
      expect(all.routes.length === 0).toBe(gatewayRouteMatcher === 'tree');
    });

    it('still routes gRPC (x-model-name) to the HTTP/2 cluster on the pod gRPC port', async () => {
      const req: HttpRequest = {
        authority: 'gateway.example:8080',
        path: '/inference.GRPCInferenceService/ModelInfer',
        headers: { 'x-model-name': 'affine', 'content-type': 'application/grpc' },
      };
      const clusters = await clustersFor(follow, req);
      expect(clusters).toEqual(['affine/1']);
      const up = await upstream(follow, clusters[0]!);
      expect(up.protocol).toBe('http2ProtocolOptions');
      expect(up.addresses).toEqual([`127.0.0.1:${pod.ports.grpc}`]);
    });
  },
);
