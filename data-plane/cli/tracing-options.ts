// --otlp-endpoint and --trace-sampling -> the pod's TracingOptions (undefined: tracing off).
import type { ParsedFlags } from '../../kernel/cli/flags.js';
import { OptionError } from '../../kernel/errors/index.js';
import type { TracingOptions } from '../tracing/pod-tracer.js';
import type { POD_FLAGS } from './options.js';

/** The OTLP/HTTP traces URL: a bare collector address gets the standard path, /v1/traces. */
export function otlpTracesUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OptionError(`--otlp-endpoint: ${JSON.stringify(raw)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new OptionError(`--otlp-endpoint: ${JSON.stringify(raw)} must be http:// or https://`);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/traces';
  return url.toString();
}

export function tracingOptionsFrom(flags: ParsedFlags<typeof POD_FLAGS>): TracingOptions | undefined {
  const raw = flags['trace-sampling'];
  const ratio = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(ratio) || ratio < 0 || ratio > 1)
    throw new OptionError(`--trace-sampling: ${JSON.stringify(raw)} is not a number in 0..1`);
  if (!flags['otlp-endpoint']) return undefined;
  return { endpoint: otlpTracesUrl(flags['otlp-endpoint']), sampleRatio: ratio };
}
