// A pushed model arrives as the raw body of one streamed request: its size is bounded while it
// streams (a client cannot make the server buffer more than the bound) and its SHA-256 is
// computed on the way, so a digest the client announced is checked before anything else runs.
// The client announces it in a header, or in a trailer of the same name after the body: then it
// hashes while it sends instead of reading the whole file once more before sending it.
// The metadata travels in one header, base64url JSON (PushMeta), so the body stays the file.
import { createHash } from 'node:crypto';
import { ArtifactIntegrityError } from '../../kernel/artifacts/index.js';
import { OptionError } from '../../kernel/errors/index.js';
import { ArtifactInvalidError } from './errors.js';

export const PUSH_META_HEADER = 'switchyard-push-meta';
export const PUSH_DIGEST_HEADER = 'switchyard-digest';
/** Default bound of one model file; `--max-model-bytes` changes it. */
export const DEFAULT_MAX_MODEL_BYTES = 2 * 1024 ** 3 - 1;

export interface PushMeta {
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
  readonly metrics?: Record<string, number>;
  readonly regions?: string[];
  readonly reason?: string;
  readonly configYaml?: string;
}

export function encodePushMeta(meta: PushMeta): string {
  return Buffer.from(JSON.stringify(meta), 'utf8').toString('base64url');
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === 'string')
  );
}

export function decodePushMeta(header: string | string[] | undefined): PushMeta {
  if (header === undefined) return {};
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(Buffer.from(String(header), 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new OptionError(`${PUSH_META_HEADER}: not base64url JSON`);
  }
  const problems: string[] = [];
  if (m.namespace !== undefined && typeof m.namespace !== 'string')
    problems.push('namespace must be a string');
  if (m.labels !== undefined && !isStringRecord(m.labels)) problems.push('labels must map names to strings');
  const metrics = m.metrics as Record<string, unknown> | undefined;
  if (
    metrics !== undefined &&
    (typeof metrics !== 'object' ||
      metrics === null ||
      Object.values(metrics).some((x) => typeof x !== 'number' || !Number.isFinite(x)))
  )
    problems.push('metrics must map names to finite numbers');
  if (m.regions !== undefined && !(Array.isArray(m.regions) && m.regions.every((r) => typeof r === 'string')))
    problems.push('regions must be a list of strings');
  if (m.reason !== undefined && typeof m.reason !== 'string') problems.push('reason must be a string');
  if (m.configYaml !== undefined && typeof m.configYaml !== 'string')
    problems.push('configYaml must be a string');
  if (problems.length) throw new OptionError(`${PUSH_META_HEADER}: ${problems.join('; ')}`);
  return m as PushMeta;
}

/**
 * Reads the body up to `limit` bytes; checks the announced digest ("sha256:<hex>") when there is
 * one. A function is asked once the body has ended: a trailer is known only then.
 */
export async function readUpload(
  stream: AsyncIterable<Buffer>,
  limit: number,
  announced: string | undefined | (() => string | undefined),
): Promise<{ bytes: Uint8Array; digest: string }> {
  const hash = createHash('sha256');
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > limit) throw new ArtifactInvalidError('upload', `over the bound of ${limit} bytes`);
    hash.update(chunk);
    parts.push(chunk);
  }
  if (size === 0) throw new ArtifactInvalidError('upload', 'the body is empty (send the ONNX file)');
  const digest = `sha256:${hash.digest('hex')}`;
  const expectedDigest = typeof announced === 'function' ? announced() : announced;
  if (expectedDigest !== undefined && expectedDigest !== digest)
    throw new ArtifactIntegrityError(`the upload has ${digest}, the client announced ${expectedDigest}`);
  const all = Buffer.concat(parts, size);
  return { bytes: new Uint8Array(all.buffer, all.byteOffset, all.byteLength), digest };
}
