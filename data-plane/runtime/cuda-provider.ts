// Why a CUDA session could not start, in words an operator can act on. ONNX Runtime's own error
// ("OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library") does not say
// which library; onnxruntime-node loads its provider libraries from beside its own, so a missing
// file there is the usual cause (an install with ONNXRUNTIME_NODE_INSTALL=skip or offline).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The files ONNX Runtime's CUDA provider needs beside `libonnxruntime.so.1` (Linux). */
export const CUDA_PROVIDER_FILES = [
  'libonnxruntime_providers_shared.so',
  'libonnxruntime_providers_cuda.so',
] as const;

/** Where onnxruntime-node keeps its native libraries for this platform; undefined if unknown. */
export function ortNativeDir(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
    return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return undefined;
  }
}

/** The provider files missing from `dir` (none when `dir` is unknown). */
export function missingCudaProviderFiles(
  dir: string | undefined,
  exists: (path: string) => boolean = existsSync,
): string[] {
  if (!dir) return [];
  return CUDA_PROVIDER_FILES.filter((f) => !exists(join(dir, f)));
}

/** The fallback reason: the missing files when there are any, else ONNX Runtime's first line. */
export function cudaFallbackReason(
  err: unknown,
  dir: string | undefined,
  missing: readonly string[],
): string {
  const first = String((err as Error)?.message ?? err).split('\n')[0];
  if (missing.length === 0) return `CUDA execution provider unavailable: ${first}`;
  return (
    `CUDA execution provider unavailable: ${missing.join(' and ')} not installed in ${dir} ` +
    `(onnxruntime-node was installed without its CUDA provider; docs/DATAPLANE.md, "GPU")`
  );
}
