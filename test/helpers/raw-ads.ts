// ADS streams on a bare node:http2 session (gRPC's 5-byte framing, protobuf-es messages), for
// tests that need what a grpc-js client hides: many streams on one connection, and a client
// that stops reading (a paused http2 stream returns no flow-control window to the server).
import { type ClientHttp2Session, type ClientHttp2Stream, constants as h2 } from 'node:http2';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { NodeSchema } from '../../protos/gen/envoy/config/core/v3/base_pb.js';
import { AggregatedDiscoveryService } from '../../protos/gen/envoy/service/discovery/v3/ads_pb.js';
import {
  DiscoveryRequestSchema,
  type DiscoveryResponse,
  DiscoveryResponseSchema,
} from '../../protos/gen/envoy/service/discovery/v3/discovery_pb.js';

const ADS_PATH = `/${AggregatedDiscoveryService.typeName}/StreamAggregatedResources`;

export interface RawAdsStream {
  readonly stream: ClientHttp2Stream;
  readonly responses: DiscoveryResponse[];
  /** grpc-status from headers or trailers, or the RST_STREAM code as `rst <code>`. */
  readonly ended: Promise<{ status?: number; message?: string; rst?: number }>;
  subscribe(typeUrl: string, names?: string[]): void;
}

export function openRawAds(session: ClientHttp2Session, nodeId: string): RawAdsStream {
  const stream = session.request({
    [h2.HTTP2_HEADER_METHOD]: 'POST',
    [h2.HTTP2_HEADER_PATH]: ADS_PATH,
    [h2.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
    te: 'trailers',
  });
  const responses: DiscoveryResponse[] = [];
  let buf: Buffer = Buffer.alloc(0);
  stream.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 5) {
      const len = buf.readUInt32BE(1);
      if (buf.length < 5 + len) break;
      responses.push(fromBinary(DiscoveryResponseSchema, buf.subarray(5, 5 + len)));
      buf = buf.subarray(5 + len);
    }
  });
  const ended = new Promise<{ status?: number; message?: string; rst?: number }>((resolve) => {
    const fromHeaders = (headers: Record<string, unknown>) => {
      if (headers['grpc-status'] === undefined) return;
      resolve({
        status: Number(headers['grpc-status']),
        message: decodeURIComponent(String(headers['grpc-message'] ?? '')),
      });
    };
    stream.on('response', fromHeaders);
    stream.on('trailers', fromHeaders);
    stream.on('close', () => resolve({ rst: stream.rstCode }));
    stream.on('error', () => {});
  });
  let first = true;
  return {
    stream,
    responses,
    ended,
    subscribe(typeUrl, names = []) {
      const req = create(DiscoveryRequestSchema, {
        typeUrl,
        resourceNames: names,
        ...(first ? { node: create(NodeSchema, { id: nodeId, userAgentName: 'envoy' }) } : {}),
      });
      first = false;
      const body = toBinary(DiscoveryRequestSchema, req);
      const framed = Buffer.allocUnsafe(5 + body.length);
      framed[0] = 0;
      framed.writeUInt32BE(body.length, 1);
      framed.set(body, 5);
      stream.write(framed);
    },
  };
}
