// What the batcher's test files share: a one-column FP32 input, the options they start from,
// and a request context without a deadline.
import type { Tensor } from '../../tensors/tensor.js';
import type { BatcherOptions } from '../batcher.js';

export const x = (rows = 1): Tensor[] => [
  { name: 'x', datatype: 'FP32', shape: [rows, 1], data: new Uint8Array(rows * 4) },
];
export const base: BatcherOptions = {
  model: 'm',
  version: '1',
  maxBatchSize: 8,
  maxQueueDelayMs: 0,
  queueLimit: 100,
  instances: 1,
};
export const forever = { deadline: Number.POSITIVE_INFINITY };
