// A client for KServe's binary tensor data extension over HTTP/REST, written from the protocol
// text (docs/DATAPLANE.md, "Binary tensor data") and not from the pod's code: a JSON inference
// header, `Inference-Header-Content-Length`, then each binary tensor's bytes in order.

/** The JSON header followed by the tensors' bytes; `headerLength` goes into the header. */
export function binaryBody(
  header: unknown,
  parts: readonly Uint8Array[],
): { body: Buffer; headerLength: number } {
  const json = Buffer.from(JSON.stringify(header));
  return { body: Buffer.concat([json, ...parts]), headerLength: json.length };
}

export interface BinaryAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly json: {
    error?: string;
    code?: string;
    issues?: Array<{ path: string; message: string }>;
    model_version?: string;
    outputs?: Array<{
      name: string;
      datatype: string;
      shape: number[];
      data?: number[];
      parameters?: { binary_data_size?: number };
    }>;
  };
  /** Binary outputs by name, each a copy in a buffer of its own (aligned for typed views). */
  readonly binary: Map<string, Uint8Array>;
  readonly bodyLength: number;
}

/** Splits an answer at its Inference-Header-Content-Length (all JSON when it has none). */
export function readAnswer(status: number, headers: Headers, body: Buffer): BinaryAnswer {
  const declared = headers.get('inference-header-content-length');
  const headerLength = declared === null ? body.length : Number(declared);
  const json = JSON.parse(body.subarray(0, headerLength).toString('utf8')) as BinaryAnswer['json'];
  const binary = new Map<string, Uint8Array>();
  let at = headerLength;
  for (const o of json.outputs ?? []) {
    const size = o.parameters?.binary_data_size;
    if (size === undefined) continue;
    binary.set(o.name, new Uint8Array(body.subarray(at, at + size)));
    at += size;
  }
  if (at !== body.length) throw new Error(`answer has ${body.length - at} bytes no output claims`);
  return { status, headers, json, binary, bodyLength: body.length };
}

/** POSTs a body; `headerLength` undefined sends no Inference-Header-Content-Length. */
export async function postInfer(
  url: string,
  body: Uint8Array | string,
  headerLength: number | string | undefined,
  headers: Record<string, string> = {},
): Promise<BinaryAnswer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': headerLength === undefined ? 'application/json' : 'application/octet-stream',
      ...(headerLength === undefined ? {} : { 'inference-header-content-length': String(headerLength) }),
      ...headers,
    },
    body,
  });
  return readAnswer(res.status, res.headers, Buffer.from(await res.arrayBuffer()));
}

/** A binary request in one call. */
export function postBinary(
  url: string,
  header: unknown,
  parts: readonly Uint8Array[],
  headers: Record<string, string> = {},
): Promise<BinaryAnswer> {
  const { body, headerLength } = binaryBody(header, parts);
  return postInfer(url, body, headerLength, headers);
}

export const f32 = (b: Uint8Array) => new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
export const u16 = (b: Uint8Array) => new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2);
export const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
