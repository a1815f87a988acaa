// KServe v2 protobuf messages <-> the pod's InferRequest / InferResponse. Pure. Raw contents
// are used as they are (views into the received message, no copy); typed contents are
// converted. Responses use the form the request used: raw in, raw out.
import { create } from '@bufbuild/protobuf';
import {
  type InferTensorContents,
  InferTensorContentsSchema,
  type ModelInferRequest,
  type ModelInferResponse,
  ModelInferResponse_InferOutputTensorSchema,
  ModelInferResponseSchema,
} from '../../protos/gen/inference/grpc_predict_v2_pb.js';
import { InvalidInferenceError, type Issue } from '../errors.js';
import { type Datatype, elementCount, isDatatype } from '../tensors/datatypes.js';
import type { InferRequest, InferResponse, Tensor } from '../tensors/tensor.js';
import { bytesFromValues, valuesFromBytes } from '../tensors/values.js';

type ContentsField = Exclude<keyof InferTensorContents, '$typeName' | '$unknown' | 'bytesContents'>;

function contentsField(d: Datatype): ContentsField | undefined {
  switch (d) {
    case 'BOOL':
      return 'boolContents';
    case 'INT8':
    case 'INT16':
    case 'INT32':
      return 'intContents';
    case 'INT64':
      return 'int64Contents';
    case 'UINT8':
    case 'UINT16':
    case 'UINT32':
      return 'uintContents';
    case 'UINT64':
      return 'uint64Contents';
    case 'FP32':
      return 'fp32Contents';
    case 'FP64':
      return 'fp64Contents';
    default:
      return undefined;
  }
}

export interface DecodedRequest {
  readonly request: InferRequest;
  /** Answer with raw_output_contents (true) or typed contents. */
  readonly raw: boolean;
}

export function decodeInferRequest(msg: ModelInferRequest): DecodedRequest {
  const issues: Issue[] = [];
  const raw = msg.rawInputContents.length > 0;
  if (!msg.modelName) issues.push({ path: 'model_name', message: 'is required' });
  if (raw && msg.rawInputContents.length !== msg.inputs.length)
    issues.push({
      path: 'raw_input_contents',
      message: `has ${msg.rawInputContents.length} entries for ${msg.inputs.length} inputs`,
    });
  // Loops rather than closures, and a field's path spelled only for an issue: this runs for
  // every request.
  const inputs: Tensor[] = [];
  for (let i = 0; i < msg.inputs.length; i++) {
    const t = msg.inputs[i]!;
    if (!isDatatype(t.datatype)) {
      issues.push({
        path: `inputs[${i}].datatype`,
        message: `${JSON.stringify(t.datatype)} is not a KServe datatype`,
      });
      continue;
    }
    const shape = new Array<number>(t.shape.length);
    for (let k = 0; k < shape.length; k++) shape[k] = Number(t.shape[k]);
    if (raw) {
      if (t.contents)
        issues.push({
          path: `inputs[${i}].contents`,
          message: 'must be empty when raw_input_contents is used',
        });
      const data = msg.rawInputContents[i];
      if (data) inputs.push({ name: t.name, datatype: t.datatype, shape, data });
      continue;
    }
    const field = contentsField(t.datatype);
    if (!field) {
      issues.push({
        path: `inputs[${i}].contents`,
        message: `${t.datatype} must be sent in raw_input_contents`,
      });
      continue;
    }
    const values = (t.contents?.[field] ?? []) as ArrayLike<unknown>;
    const want = elementCount(shape);
    if (values.length !== want) {
      issues.push({
        path: `inputs[${i}].contents`,
        message: `${t.name} of shape [${shape.join(', ')}] needs ${want} elements, got ${values.length}`,
      });
      continue;
    }
    const r = bytesFromValues(t.datatype, values, `inputs[${i}].contents`);
    if ('issue' in r) issues.push(r.issue);
    else inputs.push({ name: t.name, datatype: t.datatype, shape, data: r.bytes });
  }
  if (issues.length) throw new InvalidInferenceError(issues);
  const outputs = new Array<string>(msg.outputs.length);
  for (let i = 0; i < outputs.length; i++) outputs[i] = msg.outputs[i]!.name;
  const model = msg.modelName;
  const version = msg.modelVersion;
  // Two literals rather than a spread of a temporary object; the fields in the same order.
  return {
    raw,
    request: msg.id ? { model, version, id: msg.id, inputs, outputs } : { model, version, inputs, outputs },
  };
}

export function encodeInferResponse(res: InferResponse, raw: boolean): ModelInferResponse {
  const outputs = res.outputs.map((t) => {
    const out = create(ModelInferResponse_InferOutputTensorSchema, {
      name: t.name,
      datatype: t.datatype,
      shape: t.shape.map((d) => BigInt(d)),
    });
    if (!raw) {
      const field = contentsField(t.datatype);
      if (field) {
        const contents = create(InferTensorContentsSchema);
        (contents[field] as unknown[]) = valuesFromBytes(t.datatype, t.data);
        out.contents = contents;
      }
    }
    return out;
  });
  // Datatypes without a typed field (FP16) always go raw, and raw is all-or-nothing.
  const allRaw = raw || res.outputs.some((t) => !contentsField(t.datatype));
  if (allRaw) for (const o of outputs) o.contents = undefined;
  return create(ModelInferResponseSchema, {
    modelName: res.model,
    modelVersion: res.version,
    id: res.id ?? '',
    outputs,
    rawOutputContents: allRaw ? res.outputs.map((t) => t.data) : [],
  });
}
