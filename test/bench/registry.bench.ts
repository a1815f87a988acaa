// Benchmark of the model registry (docs/REGISTRY.md) on a real nats-server with JetStream, one
// process, one run, side by side in alternating rounds:
//  - push of a ~100 MB ONNX model (an initializer-heavy MatMul built with onnx-builder.ts) through
//    ModelRegistry.push: digest, ONNX Runtime load check (worker thread), AES-256-GCM, chunked
//    Object Store put, KEK-sealed data key, catalog create, audit record;
//  - the floor under it: the same bytes as a plain Object Store put (no check, no encryption);
//  - fetch for a pod: artifactFor (residency check, Object Store get) plus decryption.
// Medians over ROUNDS; `npx tsx test/bench/run.ts registry`.
import { renderTable } from '../../control-plane/cli/table.js';
import { GraphBuilder, seededRandom } from '../../data-plane/models/onnx-builder.js';
import { artifactKeyLabel, decryptArtifact } from '../../kernel/artifacts/index.js';
import { openKey } from '../../kernel/crypto/index.js';
import { registryWorld } from '../registry/helpers.js';

const ROUNDS = Number(process.env.REGISTRY_BENCH_ROUNDS ?? 3);
const SIDE = Number(process.env.REGISTRY_BENCH_SIDE ?? 5000);

const log = (s: string) => process.stdout.write(`${s}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** x[1,SIDE] @ W[SIDE,SIDE]: SIDE^2 float32 weights (5000 -> 100 MB). */
function bigModel(): Uint8Array {
  const g = new GraphBuilder('big');
  const x = g.input('x', [1, SIDE]);
  const rand = seededRandom(7);
  const w = new Float32Array(SIDE * SIDE);
  for (let i = 0; i < w.length; i++) w[i] = rand() - 0.5;
  g.op('MatMul', [x, g.weight('w', [SIDE, SIDE], w)], {}, 'y');
  g.output('y', [1, SIDE]);
  return g.encode('registry benchmark model');
}

async function main(): Promise<void> {
  const bytes = bigModel();
  const mb = bytes.length / 1e6;
  log(`model: ${mb.toFixed(1)} MB (MatMul ${SIDE}x${SIDE} float32), ${ROUNDS} rounds`);
  const w = await registryWorld('bench', 2 * 1024 ** 3);
  const push: number[] = [];
  const raw: number[] = [];
  const fetchMs: number[] = [];
  try {
    const os = (
      w.artifacts as unknown as {
        os: {
          putBlob(m: { name: string }, d: Uint8Array): Promise<unknown>;
          delete(n: string): Promise<unknown>;
        };
      }
    ).os;
    for (let r = 0; r < ROUNDS; r++) {
      const version = String(r + 1);
      let t = performance.now();
      await os.putBlob({ name: `raw/${version}` }, bytes);
      raw.push(performance.now() - t);
      await os.delete(`raw/${version}`);

      t = performance.now();
      const res = await w.registry.push({ name: 'big', version, bytes }, { id: 'bench' });
      push.push(performance.now() - t);
      if (res.status !== 'created') throw new Error(`round ${r}: push answered ${res.status}`);

      t = performance.now();
      const { record, sealed } = await w.registry.artifactFor({ name: 'big', version }, undefined);
      const key = await openKey(record.sealedDataKey, w.kek, artifactKeyLabel('big', version));
      const plain = decryptArtifact(sealed, key);
      fetchMs.push(performance.now() - t);
      if (plain.length !== bytes.length) throw new Error('fetched artifact has the wrong size');
      await w.registry.delete({ name: 'big', version }, { id: 'bench' });
    }
  } finally {
    await w.close();
  }
  const row = (what: string, xs: number[]) => [
    what,
    `${median(xs).toFixed(0)} ms`,
    `${(mb / (median(xs) / 1000)).toFixed(1)} MB/s`,
    `${(median(xs) / median(raw)).toFixed(2)}x`,
  ];
  log(
    renderTable(
      ['operation', 'median', 'throughput', 'vs plain put'],
      [
        row('plain Object Store put', raw),
        row('registry push (check+encrypt+put+catalog)', push),
        row('fetch + decrypt for a pod', fetchMs),
      ],
    ),
  );
}

await main();
