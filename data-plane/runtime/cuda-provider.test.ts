import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cudaFallbackReason, missingCudaProviderFiles, ortNativeDir } from './cuda-provider.js';

const dir = mkdtempSync(join(tmpdir(), 'sy-cuda-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the CUDA fallback reason', () => {
  const err = new Error('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library\nmore');

  it('names every provider file missing beside onnxruntime-node and where it looked', () => {
    expect(missingCudaProviderFiles(dir)).toEqual([
      'libonnxruntime_providers_shared.so',
      'libonnxruntime_providers_cuda.so',
    ]);
    writeFileSync(join(dir, 'libonnxruntime_providers_shared.so'), '');
    const missing = missingCudaProviderFiles(dir);
    expect(missing).toEqual(['libonnxruntime_providers_cuda.so']);
    expect(cudaFallbackReason(err, dir, missing)).toBe(
      `CUDA execution provider unavailable: libonnxruntime_providers_cuda.so not installed in ${dir} ` +
        '(onnxruntime-node was installed without its CUDA provider; docs/DATAPLANE.md, "GPU")',
    );
  });

  it("gives ONNX Runtime's first line when the files are there (no GPU, wrong CUDA libraries)", () => {
    expect(missingCudaProviderFiles(dir, () => true)).toEqual([]);
    expect(cudaFallbackReason(err, dir, [])).toBe(
      'CUDA execution provider unavailable: OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library',
    );
    expect(missingCudaProviderFiles(undefined)).toEqual([]);
  });

  it("finds onnxruntime-node's native directory for this platform", () => {
    expect(ortNativeDir()).toMatch(
      new RegExp(`onnxruntime-node/bin/napi-v6/${process.platform}/${process.arch}$`),
    );
  });
});
