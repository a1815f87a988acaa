// Builds small ONNX graphs from onnx-proto's ModelProto schema (the protobuf types that the
// ONNX project publishes), so test models come from a script instead of binary blobs in git.
// Weights come from a seeded generator: the same script always writes the same bytes.
import onnxProto from 'onnx-proto';
import { seededRandom } from '../../kernel/runtime/seeded-random.js';

export { seededRandom };

const { onnx } = onnxProto;
type INodeProto = onnxProto.onnx.INodeProto;
type ITensorProto = onnxProto.onnx.ITensorProto;
type IValueInfoProto = onnxProto.onnx.IValueInfoProto;
type IAttributeProto = onnxProto.onnx.IAttributeProto;

/** ONNX opset the generated graphs target; ONNX Runtime 1.x supports it fully. */
export const OPSET = 13;
const IR_VERSION = 7;

/** He-style uniform init: keeps activations in range through ReLU layers. */
export function heWeights(rand: () => number, count: number, fanIn: number): Float32Array {
  const limit = Math.sqrt(6 / fanIn);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (rand() * 2 - 1) * limit;
  return out;
}

export type Dim = number | string;

export class GraphBuilder {
  private readonly nodes: INodeProto[] = [];
  private readonly initializers: ITensorProto[] = [];
  private readonly inputs: IValueInfoProto[] = [];
  private readonly outputs: IValueInfoProto[] = [];
  private counter = 0;

  constructor(private readonly name: string) {}

  /** `elemType`: an onnx.TensorProto.DataType (FLOAT unless given). */
  input(name: string, dims: readonly Dim[], elemType: number = onnx.TensorProto.DataType.FLOAT): string {
    this.inputs.push(valueInfo(name, dims, elemType));
    return name;
  }

  output(name: string, dims: readonly Dim[], elemType: number = onnx.TensorProto.DataType.FLOAT): void {
    this.outputs.push(valueInfo(name, dims, elemType));
  }

  /** A float32 constant, stored as raw little-endian bytes. */
  weight(prefix: string, dims: readonly number[], values: Float32Array): string {
    const name = `${prefix}_${this.counter++}`;
    this.initializers.push({
      name,
      dims: [...dims],
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
    });
    return name;
  }

  int64Const(prefix: string, values: readonly number[]): string {
    const name = `${prefix}_${this.counter++}`;
    const data = new BigInt64Array(values.map((v) => BigInt(v)));
    this.initializers.push({
      name,
      dims: [values.length],
      dataType: onnx.TensorProto.DataType.INT64,
      rawData: new Uint8Array(data.buffer),
    });
    return name;
  }

  /** Adds a node and returns its (single) output name, or `output` when given. */
  op(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    output?: string,
  ): string {
    const out = output ?? `${opType.toLowerCase()}_${this.counter++}`;
    this.nodes.push({
      opType,
      name: `${opType}_${this.counter++}`,
      input: [...inputs],
      output: [out],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  encode(docString: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'switchyard',
      producerVersion: '1',
      docString,
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

export type AttrValue = number | readonly number[] | { float: number };

function attribute(name: string, v: AttrValue): IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return { name, type: T.INT, i: v };
  if ('float' in v) return { name, type: T.FLOAT, f: v.float };
  return { name, type: T.INTS, ints: [...v] };
}

function valueInfo(name: string, dims: readonly Dim[], elemType: number): IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}
