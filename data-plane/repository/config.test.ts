import { describe, expect, it } from 'vitest';
import { BUILTIN_MODEL_DEFAULTS, parseModelConfig } from './config.js';

describe('parseModelConfig', () => {
  it('takes what the file gives and the defaults for the rest', () => {
    const { config, issues } = parseModelConfig(`
max_batch_size: 16
queue_limit: 10
execution_provider: CUDA
session: { intra_op_threads: 2, allow_spinning: true, prepack: false, optimized_cache: true }
inputs: [{ name: x, datatype: fp32, shape: [-1, 3, 48, 192] }]
`);
    expect(issues).toEqual([]);
    expect(config.maxBatchSize).toBe(16);
    expect(config.queueLimit).toBe(10);
    expect(config.executionProvider).toBe('cuda');
    expect(config.instanceCount).toBe(BUILTIN_MODEL_DEFAULTS.instanceCount);
    expect(config.session).toEqual({
      ...BUILTIN_MODEL_DEFAULTS.session,
      intraOpThreads: 2,
      allowSpinning: true,
      prepack: 'off',
      optimizedCache: true,
    });
    expect(config.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [-1, 3, 48, 192] }]);
  });

  it('packs weights at load or never when prepack says so, and in the background when unset', () => {
    const prepack = (yaml: string) => parseModelConfig(yaml).config.session.prepack;
    expect(prepack('session: { prepack: true }')).toBe('at-load');
    expect(prepack('session: { prepack: false }')).toBe('off');
    expect(prepack('session: { intra_op_threads: 1 }')).toBe('background');
    expect(prepack('')).toBe('background');
    const { issues } = parseModelConfig('session: { prepack: later }');
    expect(issues).toEqual([{ path: 'session.prepack', message: 'must be true or false' }]);
  });

  it('treats an empty file as all defaults', () => {
    expect(parseModelConfig('')).toEqual({ config: BUILTIN_MODEL_DEFAULTS, issues: [] });
  });

  it('lists every problem with its path', () => {
    const { issues } = parseModelConfig(`
max_batch_size: -1
instance_count: 1.5
execution_provider: tpu
session: { graph_optimization: max, bogus: 1 }
inputs: [{ name: x, datatype: FLOAT, shape: [1] }, { datatype: FP32 }]
colour: blue
`);
    expect(issues.map((i) => i.path).sort()).toEqual(
      [
        'max_batch_size',
        'instance_count',
        'execution_provider',
        'session.graph_optimization',
        'session.bogus',
        'inputs[0].datatype',
        'inputs[1].name',
        'colour',
      ].sort(),
    );
  });

  it('reports YAML syntax errors instead of throwing', () => {
    const { issues } = parseModelConfig('max_batch_size: [1, 2');
    expect(issues[0]!.message).toMatch(/not valid YAML/);
  });
});
