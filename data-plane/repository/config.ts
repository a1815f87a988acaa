// config.yaml of one model version, parsed and checked (pure: text in, config or issues out).
// Every key is optional; what is missing comes from the pod's defaults (its flags).
//
//   max_batch_size: 64         # 0: no dynamic batching
//   max_queue_delay_ms: 0      # how long a request may wait for a fuller batch while a worker idles
//   queue_limit: 256           # waiting requests beyond which new ones are shed (429 / RESOURCE_EXHAUSTED)
//   instance_count: 1          # worker threads, one ONNX Runtime session each
//   execution_provider: cpu    # cpu | cuda (cuda falls back to cpu when it cannot start)
//   session: { intra_op_threads: 0, inter_op_threads: 0, graph_optimization: all,
//              execution_mode: sequential, allow_spinning: false, prepack: true | false,
//              optimized_cache: false }   # prepack unset: packed in the background (see below)
//   inputs:  [{ name: x, datatype: FP32, shape: [-1, 3, 48, 192] }]   # override what the session says
//   outputs: [{ name: y, datatype: FP32, shape: [-1, 2] }]
import { parse } from 'yaml';
import type { Issue } from '../errors.js';
import { type Datatype, isDatatype } from '../tensors/datatypes.js';
import type { TensorSpec } from '../tensors/tensor.js';

export type ExecutionProviderName = 'cpu' | 'cuda';
export type GraphOptimization = 'disabled' | 'basic' | 'extended' | 'all';
/**
 * When ONNX Runtime packs constant weights (MatMul, Conv) into its kernels' layout: `at-load`
 * (`prepack: true`), never (`prepack: false`), or, left unset, `background`: a version loaded
 * from a managed pod's mapped weights is READY with a session that packs nothing, and a packed
 * one replaces it between runs once built (docs/DATAPLANE.md, "Cold loads").
 */
export type Prepack = 'background' | 'at-load' | 'off';

export interface SessionConfig {
  /** 0: ONNX Runtime's default (one per core). */
  readonly intraOpThreads: number;
  readonly interOpThreads: number;
  readonly graphOptimization: GraphOptimization;
  readonly executionMode: 'sequential' | 'parallel';
  /**
   * Let idle intra-op threads spin for the next run. Off by default: on a pod, spinning
   * threads take the cores that the gRPC/HTTP thread needs between runs.
   */
  readonly allowSpinning: boolean;
  /**
   * ONNX Runtime packs constant weights (MatMul, Conv) into its kernels' layout when the session
   * is created: a copy of the weights at load, faster large batches after. Off, a session from
   * the pre-optimized ORT-format file uses the weights where they lie in the file's bytes, and
   * a cold load of a large model costs a fraction (docs/DATAPLANE.md, "Cold loads").
   */
  readonly prepack: Prepack;
  /**
   * Managed pods: keep a pre-optimized ORT-format file of the version in the cache and create
   * later sessions from it, in place. Faster cold loads, but the file's bytes stay held beside
   * the session (measured memory about doubles), so off by default (docs/DATAPLANE.md).
   */
  readonly optimizedCache: boolean;
}

export interface ModelConfig {
  readonly maxBatchSize: number;
  readonly maxQueueDelayMs: number;
  readonly queueLimit: number;
  readonly instanceCount: number;
  readonly executionProvider: ExecutionProviderName;
  readonly session: SessionConfig;
  readonly inputs?: readonly TensorSpec[];
  readonly outputs?: readonly TensorSpec[];
}

export const BUILTIN_MODEL_DEFAULTS: ModelConfig = {
  maxBatchSize: 64,
  maxQueueDelayMs: 0,
  queueLimit: 256,
  instanceCount: 1,
  executionProvider: 'cpu',
  session: {
    intraOpThreads: 0,
    interOpThreads: 0,
    graphOptimization: 'all',
    executionMode: 'sequential',
    allowSpinning: false,
    prepack: 'background',
    optimizedCache: false,
  },
};

const TOP_KEYS = new Set([
  'max_batch_size',
  'max_queue_delay_ms',
  'queue_limit',
  'instance_count',
  'execution_provider',
  'session',
  'inputs',
  'outputs',
  'platform',
]);
const SESSION_KEYS = new Set([
  'intra_op_threads',
  'inter_op_threads',
  'graph_optimization',
  'execution_mode',
  'allow_spinning',
  'prepack',
  'optimized_cache',
]);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class Reader {
  readonly issues: Issue[] = [];
  int(o: Obj, key: string, path: string, fallback: number, min: number, max: number): number {
    const v = o[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.issues.push({ path: `${path}${key}`, message: `must be an integer from ${min} to ${max}` });
      return fallback;
    }
    return v;
  }
  oneOf<T extends string>(o: Obj, key: string, path: string, fallback: T, allowed: readonly T[]): T {
    const v = o[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v.toLowerCase())) {
      this.issues.push({ path: `${path}${key}`, message: `must be one of ${allowed.join(', ')}` });
      return fallback;
    }
    return v.toLowerCase() as T;
  }
  bool(o: Obj, key: string, path: string, fallback: boolean): boolean {
    const v = o[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') {
      this.issues.push({ path: `${path}${key}`, message: 'must be true or false' });
      return fallback;
    }
    return v;
  }
  unknownKeys(o: Obj, known: Set<string>, path: string): void {
    for (const k of Object.keys(o))
      if (!known.has(k)) this.issues.push({ path: `${path}${k}`, message: 'unknown key' });
  }
  tensors(v: unknown, path: string): TensorSpec[] | undefined {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) {
      this.issues.push({ path, message: 'must be a list of { name, datatype, shape }' });
      return undefined;
    }
    const out: TensorSpec[] = [];
    v.forEach((t, i) => {
      const p = `${path}[${i}]`;
      if (!isObj(t) || typeof t.name !== 'string' || !t.name) {
        this.issues.push({ path: `${p}.name`, message: 'is required' });
        return;
      }
      const datatype = typeof t.datatype === 'string' ? t.datatype.toUpperCase() : '';
      if (!isDatatype(datatype)) {
        this.issues.push({ path: `${p}.datatype`, message: 'must be a KServe datatype such as FP32' });
        return;
      }
      const shape = t.shape;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= -1)) {
        this.issues.push({ path: `${p}.shape`, message: 'must be a list of sizes (-1 for any)' });
        return;
      }
      out.push({ name: t.name, datatype: datatype as Datatype, shape: shape as number[] });
    });
    return out;
  }
}

/** Parses one config.yaml; `defaults` are the pod's. Throws nothing: issues come back as data. */
/** `prepack: true | false` says when; left unset, the pod's default (Prepack) applies. */
function prepackOf(r: Reader, s: Obj, fallback: Prepack): Prepack {
  if (s.prepack === undefined || s.prepack === null) return fallback;
  return r.bool(s, 'prepack', 'session.', true) ? 'at-load' : 'off';
}

export function parseModelConfig(
  text: string,
  defaults: ModelConfig = BUILTIN_MODEL_DEFAULTS,
): { config: ModelConfig; issues: Issue[] } {
  const r = new Reader();
  let doc: unknown;
  try {
    doc = text.trim() ? parse(text) : {};
  } catch (err) {
    return { config: defaults, issues: [{ path: '', message: `not valid YAML: ${(err as Error).message}` }] };
  }
  if (doc === null || doc === undefined) doc = {};
  if (!isObj(doc)) return { config: defaults, issues: [{ path: '', message: 'must be a mapping' }] };
  r.unknownKeys(doc, TOP_KEYS, '');
  const s = isObj(doc.session) ? doc.session : {};
  if (doc.session !== undefined && !isObj(doc.session))
    r.issues.push({ path: 'session', message: 'must be a mapping' });
  r.unknownKeys(s, SESSION_KEYS, 'session.');
  const d = defaults.session;
  const config: ModelConfig = {
    maxBatchSize: r.int(doc, 'max_batch_size', '', defaults.maxBatchSize, 0, 4096),
    maxQueueDelayMs: r.int(doc, 'max_queue_delay_ms', '', defaults.maxQueueDelayMs, 0, 60_000),
    queueLimit: r.int(doc, 'queue_limit', '', defaults.queueLimit, 1, 1_000_000),
    instanceCount: r.int(doc, 'instance_count', '', defaults.instanceCount, 1, 64),
    executionProvider: r.oneOf(doc, 'execution_provider', '', defaults.executionProvider, ['cpu', 'cuda']),
    session: {
      intraOpThreads: r.int(s, 'intra_op_threads', 'session.', d.intraOpThreads, 0, 256),
      interOpThreads: r.int(s, 'inter_op_threads', 'session.', d.interOpThreads, 0, 256),
      graphOptimization: r.oneOf(s, 'graph_optimization', 'session.', d.graphOptimization, [
        'disabled',
        'basic',
        'extended',
        'all',
      ]),
      executionMode: r.oneOf(s, 'execution_mode', 'session.', d.executionMode, ['sequential', 'parallel']),
      allowSpinning: r.bool(s, 'allow_spinning', 'session.', d.allowSpinning),
      prepack: prepackOf(r, s, d.prepack),
      optimizedCache: r.bool(s, 'optimized_cache', 'session.', d.optimizedCache),
    },
  };
  const inputs = r.tensors(doc.inputs, 'inputs');
  const outputs = r.tensors(doc.outputs, 'outputs');
  if (typeof doc.platform === 'string' && doc.platform !== 'onnxruntime_onnx')
    r.issues.push({ path: 'platform', message: 'only onnxruntime_onnx is served' });
  return {
    config: { ...config, ...(inputs ? { inputs } : {}), ...(outputs ? { outputs } : {}) },
    issues: r.issues,
  };
}
