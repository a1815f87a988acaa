// A download's plaintext written to the cache while it arrives: model.onnx's bytes to its
// temporary file, and the large initializers, as the weights plan finds them, to the temporary
// weights file at the offsets the split will give them (kernel/artifacts/mapped-weights-plan.ts).
// Nothing here is verified: the cache renames the files to their real names only after the
// download's tag and digest are checked, and keeps the weights file only when the plan agrees
// with the split of the whole, verified model (ArtifactCache.store).
import { type FileHandle, open, rm } from 'node:fs/promises';
import type { MappedSplit } from '../../kernel/artifacts/mapped-weights.js';
import { WeightsPlan } from '../../kernel/artifacts/mapped-weights-plan.js';

/** Where a download hands its plaintext as it arrives (ArtifactFetcher). */
export interface PlainSink {
  /** `plain` holds the artifact's first `received` bytes; later calls pass the same buffer. */
  received(plain: Uint8Array, received: number): void;
}

export class IncomingArtifact implements PlainSink {
  private readonly plan: WeightsPlan;
  private readonly writes: Promise<unknown>[] = [];
  private failed: Error | undefined;
  private done = 0;

  private constructor(
    private readonly model: FileHandle,
    private readonly weights: FileHandle,
    readonly modelPath: string,
    readonly weightsPath: string,
    readonly size: number,
  ) {
    this.plan = new WeightsPlan(size);
  }

  /** Opens (and empties) both temporary files. */
  static async open(modelPath: string, weightsPath: string, size: number): Promise<IncomingArtifact> {
    const model = await open(modelPath, 'w');
    try {
      return new IncomingArtifact(model, await open(weightsPath, 'w'), modelPath, weightsPath, size);
    } catch (err) {
      await model.close();
      throw err;
    }
  }

  received(plain: Uint8Array, received: number): void {
    if (received > this.size || received < this.done) return;
    if (received > this.done) this.write(this.model, plain, this.done, received - this.done, this.done);
    this.done = received;
    for (const w of this.plan.advance(plain, received))
      this.write(this.weights, plain, w.from, w.length, w.offset);
  }

  /** Every byte of the artifact was handed over (else the cache writes model.onnx itself). */
  get complete(): boolean {
    return this.done === this.size;
  }

  /** The weights file already holds `split`'s weights, where it puts them. */
  holds(split: MappedSplit, plain: Uint8Array): boolean {
    return this.complete && !this.failed && this.plan.sameLayout(split, plain);
  }

  /** Waits for every write and closes both files; throws a write's error. */
  async finish(): Promise<void> {
    await Promise.all(this.writes);
    await this.close();
    if (this.failed) throw this.failed;
  }

  /** Closes and removes both files (a download that failed). */
  async discard(): Promise<void> {
    await Promise.all(this.writes);
    await this.close();
    await rm(this.modelPath, { force: true });
    await rm(this.weightsPath, { force: true });
  }

  private write(fh: FileHandle, b: Uint8Array, from: number, length: number, at: number): void {
    this.writes.push(
      fh.write(b, from, length, at).catch((err: Error) => {
        this.failed ??= err;
      }),
    );
  }

  private async close(): Promise<void> {
    await this.model.close().catch(() => undefined);
    await this.weights.close().catch(() => undefined);
  }
}
