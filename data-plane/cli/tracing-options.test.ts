import { describe, expect, it } from 'vitest';
import { parseFlags } from '../../kernel/cli/flags.js';
import { OptionError } from '../../kernel/errors/index.js';
import { POD_FLAGS } from './options.js';
import { otlpTracesUrl, tracingOptionsFrom } from './tracing-options.js';

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) =>
  tracingOptionsFrom(parseFlags(POD_FLAGS, ['--model-repo', '/m', ...argv], env));

describe('tracing options', () => {
  it('is off without --otlp-endpoint', () => {
    expect(parse([])).toBeUndefined();
    expect(parse(['--trace-sampling', '0.5'])).toBeUndefined();
  });

  it('takes the endpoint and the sampling share from flags or the environment', () => {
    expect(parse(['--otlp-endpoint', 'http://otel:4318/v1/traces'])).toEqual({
      endpoint: 'http://otel:4318/v1/traces',
      sampleRatio: 1,
    });
    expect(
      parse([], {
        SWITCHYARD_OTLP_ENDPOINT: 'https://otel.example/custom',
        SWITCHYARD_TRACE_SAMPLING: '0.25',
      }),
    ).toEqual({ endpoint: 'https://otel.example/custom', sampleRatio: 0.25 });
  });

  it('adds /v1/traces to a bare collector address', () => {
    expect(otlpTracesUrl('http://otel:4318')).toBe('http://otel:4318/v1/traces');
    expect(otlpTracesUrl('http://otel:4318/')).toBe('http://otel:4318/v1/traces');
  });

  it('refuses what it cannot use, naming the flag', () => {
    expect(() => parse(['--otlp-endpoint', 'otel:4318'])).toThrow(/--otlp-endpoint: .* must be http/);
    expect(() => parse(['--otlp-endpoint', 'not a url'])).toThrow(/--otlp-endpoint: .* is not a URL/);
    expect(() => parse(['--otlp-endpoint', 'http://o', '--trace-sampling', '1.5'])).toThrow(OptionError);
    expect(() => parse(['--trace-sampling', 'all'])).toThrow(
      /--trace-sampling: "all" is not a number in 0..1/,
    );
  });
});
