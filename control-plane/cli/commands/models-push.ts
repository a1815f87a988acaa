// `switchyard models push NAME --version V -f model.onnx [...]`: streams the file to the registry
// with a progress bar on a terminal (plain progress lines otherwise, one per 10 %).
import { readFileSync } from 'node:fs';
import { OptionError } from '../../../kernel/errors/index.js';
import {
  encodePushMeta,
  PUSH_DIGEST_HEADER,
  PUSH_META_HEADER,
  type PushMeta,
} from '../../registry/upload.js';
import type { Connection } from '../connection.js';
import { adminUpload } from '../upload-client.js';

const MB = 1e6;

function pairs(values: readonly string[], flag: string): Array<[string, string]> {
  return values.map((v) => {
    const at = v.indexOf('=');
    if (at < 1) throw new OptionError(`--${flag} ${JSON.stringify(v)}: expected k=v`);
    return [v.slice(0, at), v.slice(at + 1)];
  });
}

export function metricsOf(values: readonly string[]): Record<string, number> {
  return Object.fromEntries(
    pairs(values, 'metric').map(([k, v]) => {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n))
        throw new OptionError(`--metric ${k}=${v}: the value must be a number`);
      return [k, n];
    }),
  );
}

/** A bar on a terminal, redrawn in place; elsewhere a line per 10 % so logs stay readable. */
export function progressPrinter(out: NodeJS.WriteStream, tty: boolean) {
  let lastTenth = -1;
  return (sent: number, total: number) => {
    const frac = total ? sent / total : 1;
    if (tty) {
      const width = 30;
      const full = Math.round(frac * width);
      out.write(
        `\r[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${(sent / MB).toFixed(1)}/${(total / MB).toFixed(1)} MB`,
      );
      if (sent >= total) out.write('\n');
      return;
    }
    const tenth = Math.floor(frac * 10);
    if (tenth === lastTenth) return;
    lastTenth = tenth;
    out.write(`uploaded ${tenth * 10}% (${(sent / MB).toFixed(1)} of ${(total / MB).toFixed(1)} MB)\n`);
  };
}

export interface PushFlags {
  readonly version?: string | undefined;
  readonly filename: string[];
  readonly config?: string | undefined;
  readonly label: string[];
  readonly metric: string[];
  readonly region: string[];
  readonly reason?: string | undefined;
}

export async function push(conn: Connection, name: string | undefined, f: PushFlags) {
  if (!name) throw new OptionError('models push: NAME is required');
  if (!f.version) throw new OptionError('models push: --version is required');
  if (f.filename.length !== 1) throw new OptionError('models push: -f names exactly one model file');
  const file = f.filename[0]!;
  const meta: PushMeta = {
    namespace: conn.namespace,
    labels: Object.fromEntries(pairs(f.label, 'label')),
    metrics: metricsOf(f.metric),
    regions: f.region,
    ...(f.reason ? { reason: f.reason } : {}),
    ...(f.config ? { configYaml: readFileSync(f.config, 'utf8') } : {}),
  };
  const { status, body } = await adminUpload<{
    status: string;
    version: { digest: string; sizeBytes: number };
  }>(
    conn,
    'PUT',
    `api/v1/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(f.version)}`,
    file,
    { [PUSH_META_HEADER]: encodePushMeta(meta) },
    progressPrinter(process.stderr, process.stderr.isTTY === true),
    // Hashed as it is sent: the digest follows the body instead of a read of the file before it.
    PUSH_DIGEST_HEADER,
  );
  process.stdout.write(
    `${name}:${f.version} ${status === 201 ? 'pushed' : 'unchanged (same digest)'}  ${body.version.digest}  ${body.version.sizeBytes} bytes\n`,
  );
}
