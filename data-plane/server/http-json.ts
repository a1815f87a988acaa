// KServe v2 REST JSON bodies <-> InferRequest / InferResponse. Pure.
//   request:  { "id"?, "inputs": [{ "name", "shape", "datatype", "data" }], "outputs"?: [{ "name" }] }
//   response: { "model_name", "model_version", "id"?, "outputs": [{ "name", "shape", "datatype", "data" }] }
// `data` may be flat or nested row-major; responses are flat. The binary tensor extension
// (binary_data_size) is not supported and is refused by name.
import { InvalidInferenceError, type Issue } from '../errors.js';
import { elementCount, isDatatype } from '../tensors/datatypes.js';
import type { InferRequest, InferResponse, Tensor } from '../tensors/tensor.js';
import { bytesFromValues, flatten, valuesFromBytes } from '../tensors/values.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function decodeJsonInfer(body: unknown, model: string, version: string | undefined): InferRequest {
  const issues: Issue[] = [];
  if (!isObj(body)) throw new InvalidInferenceError([{ path: '', message: 'body must be a JSON object' }]);
  if (body.id !== undefined && typeof body.id !== 'string')
    issues.push({ path: 'id', message: 'must be a string' });
  if (!Array.isArray(body.inputs)) {
    issues.push({ path: 'inputs', message: 'must be a list of tensors' });
    throw new InvalidInferenceError(issues);
  }
  const inputs: Tensor[] = [];
  body.inputs.forEach((t: unknown, i: number) => {
    const at = `inputs[${i}]`;
    if (!isObj(t)) {
      issues.push({ path: at, message: 'must be an object' });
      return;
    }
    if (typeof t.name !== 'string' || !t.name) {
      issues.push({ path: `${at}.name`, message: 'is required' });
      return;
    }
    if (typeof t.datatype !== 'string' || !isDatatype(t.datatype)) {
      issues.push({
        path: `${at}.datatype`,
        message: `${JSON.stringify(t.datatype)} is not a KServe datatype`,
      });
      return;
    }
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      issues.push({ path: `${at}.shape`, message: 'must be a list of non-negative integers' });
      return;
    }
    if (isObj(t.parameters) && t.parameters.binary_data_size !== undefined) {
      issues.push({
        path: `${at}.parameters.binary_data_size`,
        message: 'binary tensor data is not supported',
      });
      return;
    }
    if (t.data === undefined) {
      issues.push({ path: `${at}.data`, message: 'is required' });
      return;
    }
    const values = flatten(t.data);
    const shape = t.shape as number[];
    const want = elementCount(shape);
    if (values.length !== want) {
      issues.push({
        path: `${at}.data`,
        message: `${t.name} of shape [${shape.join(', ')}] needs ${want} elements, got ${values.length}`,
      });
      return;
    }
    const r = bytesFromValues(t.datatype, values, `${at}.data`);
    if ('issue' in r) issues.push(r.issue);
    else inputs.push({ name: t.name, datatype: t.datatype, shape, data: r.bytes });
  });
  const outputs: string[] = [];
  if (body.outputs !== undefined) {
    if (!Array.isArray(body.outputs)) issues.push({ path: 'outputs', message: 'must be a list of { name }' });
    else
      body.outputs.forEach((o: unknown, i: number) => {
        if (isObj(o) && typeof o.name === 'string') outputs.push(o.name);
        else issues.push({ path: `outputs[${i}].name`, message: 'is required' });
      });
  }
  if (issues.length) throw new InvalidInferenceError(issues);
  return {
    model,
    ...(version ? { version } : {}),
    ...(typeof body.id === 'string' ? { id: body.id } : {}),
    inputs,
    outputs,
  };
}

export function encodeJsonInfer(res: InferResponse): Obj {
  return {
    model_name: res.model,
    model_version: res.version,
    ...(res.id ? { id: res.id } : {}),
    outputs: res.outputs.map((t) => ({
      name: t.name,
      datatype: t.datatype,
      shape: [...t.shape],
      data: valuesFromBytes(t.datatype, t.data).map((v) => (typeof v === 'bigint' ? Number(v) : v)),
    })),
  };
}
