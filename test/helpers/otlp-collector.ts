// A small OTLP/HTTP traces collector for tests: it takes what an exporter POSTs to /v1/traces
// (ExportTraceServiceRequest, protobuf), answers 200 with an empty ExportTraceServiceResponse,
// and decodes the spans. The decoder reads only the fields the tests look at, by their numbers
// in opentelemetry-proto (collector/trace/v1/trace_service.proto, trace/v1/trace.proto,
// common/v1/common.proto); everything else is skipped.
// https://github.com/open-telemetry/opentelemetry-proto/tree/main/opentelemetry/proto
import { createServer, type Server } from 'node:http';
import { BinaryReader, type WireType } from '@bufbuild/protobuf/wire';

export type AttrValue = string | number | boolean | bigint;

export interface CollectedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a span without a parent. */
  readonly parentSpanId: string;
  readonly traceState: string;
  readonly name: string;
  /** SpanKind: 1 internal, 2 server, 3 client. */
  readonly kind: number;
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly attributes: Readonly<Record<string, AttrValue>>;
  /** Status code: 0 unset, 1 ok, 2 error. */
  readonly status: { readonly code: number; readonly message: string };
  readonly resource: Readonly<Record<string, AttrValue>>;
  readonly scope: string;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function each(bytes: Uint8Array, on: (field: number, r: BinaryReader, wire: WireType) => boolean): void {
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (!on(field, r, wire)) r.skip(wire);
  }
}

function anyValue(bytes: Uint8Array): AttrValue {
  let v: AttrValue = '';
  each(bytes, (f, r) => {
    if (f === 1) v = r.string();
    else if (f === 2) v = r.bool();
    else if (f === 3) v = Number(r.int64());
    else if (f === 4) v = r.double();
    else return false;
    return true;
  });
  return v;
}

function keyValue(bytes: Uint8Array, into: Record<string, AttrValue>): void {
  let key = '';
  let value: AttrValue = '';
  each(bytes, (f, r) => {
    if (f === 1) key = r.string();
    else if (f === 2) value = anyValue(r.bytes());
    else return false;
    return true;
  });
  into[key] = value;
}

function attributesOf(bytes: Uint8Array, field: number): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  each(bytes, (f, r) => {
    if (f !== field) return false;
    keyValue(r.bytes(), out);
    return true;
  });
  return out;
}

function span(bytes: Uint8Array, resource: Record<string, AttrValue>, scope: string): CollectedSpan {
  const s = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    traceState: '',
    name: '',
    kind: 0,
    startNs: 0n,
    endNs: 0n,
    attributes: {} as Record<string, AttrValue>,
    status: { code: 0, message: '' },
    resource,
    scope,
  };
  each(bytes, (f, r) => {
    if (f === 1) s.traceId = hex(r.bytes());
    else if (f === 2) s.spanId = hex(r.bytes());
    else if (f === 3) s.traceState = r.string();
    else if (f === 4) s.parentSpanId = hex(r.bytes());
    else if (f === 5) s.name = r.string();
    else if (f === 6) s.kind = r.int32();
    else if (f === 7) s.startNs = BigInt(r.fixed64());
    else if (f === 8) s.endNs = BigInt(r.fixed64());
    else if (f === 9) keyValue(r.bytes(), s.attributes);
    else if (f === 15)
      each(r.bytes(), (g, q) => {
        if (g === 2) s.status.message = q.string();
        else if (g === 3) s.status.code = q.int32();
        else return false;
        return true;
      });
    else return false;
    return true;
  });
  return s;
}

/** ExportTraceServiceRequest -> its spans, each with its resource's attributes. */
export function decodeTraceExport(body: Uint8Array): CollectedSpan[] {
  const spans: CollectedSpan[] = [];
  each(body, (f, r) => {
    if (f !== 1) return false;
    const rs = r.bytes();
    let resource: Record<string, AttrValue> = {};
    each(rs, (g, q) => {
      if (g !== 1) return false;
      resource = attributesOf(q.bytes(), 1);
      return true;
    });
    each(rs, (g, q) => {
      if (g !== 2) return false;
      const ss = q.bytes();
      let scope = '';
      each(ss, (h, p) => {
        if (h !== 1) return false;
        each(p.bytes(), (i, x) => {
          if (i !== 1) return false;
          scope = x.string();
          return true;
        });
        return true;
      });
      each(ss, (h, p) => {
        if (h !== 2) return false;
        spans.push(span(p.bytes(), resource, scope));
        return true;
      });
      return true;
    });
    return true;
  });
  return spans;
}

export class OtlpCollector {
  readonly spans: CollectedSpan[] = [];
  /** Each export as it came: path and content type. */
  readonly requests: Array<{ path: string; contentType: string }> = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<OtlpCollector> {
    let self: OtlpCollector | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        self?.requests.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '' });
        if (req.method !== 'POST' || req.url !== '/v1/traces') {
          res.writeHead(404).end();
          return;
        }
        try {
          self?.spans.push(...decodeTraceExport(Buffer.concat(chunks)));
        } catch {
          res.writeHead(400).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const a = server.address();
        resolve(typeof a === 'object' && a ? a.port : 0);
      });
    });
    self = new OtlpCollector(server, port);
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The spans of one trace. */
  trace(traceId: string): CollectedSpan[] {
    return this.spans.filter((s) => s.traceId === traceId);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
