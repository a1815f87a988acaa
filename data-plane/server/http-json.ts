// KServe v2 REST JSON bodies <-> InferRequest / InferResponse. Pure.
//   request:  { "id"?, "inputs": [{ "name", "shape", "datatype", "data" }], "outputs"?: [{ "name" }] }
//   response: { "model_name", "model_version", "id"?, "outputs": [{ "name", "shape", "datatype", "data" }] }
// `data` may be flat or nested row-major; responses are flat. Inputs and outputs may instead be
// binary (the binary tensor data extension, http-binary.ts): an input with
// `parameters.binary_data_size` takes its bytes from the tail of the body.
import { InvalidInferenceError, type Issue } from '../errors.js';
import { elementCount, isDatatype } from '../tensors/datatypes.js';
import type { InferRequest, InferResponse, Tensor } from '../tensors/tensor.js';
import { bytesFromValues, flatten, valuesFromBytes } from '../tensors/values.js';
import {
  type BinaryTail,
  binaryShapeIssue,
  binarySizeOf,
  isBinaryOutput,
  JSON_OUTPUTS,
  type OutputForms,
  takeBinary,
} from './http-binary.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `tail`: the bytes after the JSON header (binary inputs); undefined when the body is all JSON. */
export function decodeJsonInfer(
  body: unknown,
  model: string,
  version: string | undefined,
  tail?: BinaryTail,
): InferRequest {
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
    // Taken before anything else is checked, so later inputs still find their own bytes.
    const size = binarySizeOf(t, at, issues);
    let binary: Uint8Array | undefined;
    if (size !== undefined) {
      if (Number.isNaN(size)) return;
      if (t.data !== undefined) {
        tail?.take(size);
        issues.push({
          path: `${at}.parameters.binary_data_size`,
          message: `${t.name} has both data and binary_data_size: send one or the other`,
        });
        return;
      }
      binary = takeBinary(tail, size, t.name, at, issues);
      if (!binary) return;
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
    const shape = t.shape as number[];
    if (binary) {
      const bad = binaryShapeIssue(binary, t.datatype, shape, t.name, at);
      if (bad) issues.push(bad);
      else inputs.push({ name: t.name, datatype: t.datatype, shape, data: binary });
      return;
    }
    if (t.data === undefined) {
      issues.push({ path: `${at}.data`, message: 'is required' });
      return;
    }
    const values = flatten(t.data);
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
  const leftover = issues.length || !tail ? undefined : tail.leftoverIssue();
  if (leftover) issues.push(leftover);
  if (issues.length) throw new InvalidInferenceError(issues);
  return {
    model,
    ...(version ? { version } : {}),
    ...(typeof body.id === 'string' ? { id: body.id } : {}),
    inputs,
    outputs,
  };
}

/** The JSON part of a response, and the binary outputs that follow it, in output order. */
export interface EncodedInfer {
  readonly json: Obj;
  readonly binary: readonly Uint8Array[];
}

export function encodeJsonInfer(res: InferResponse, forms: OutputForms = JSON_OUTPUTS): EncodedInfer {
  const binary: Uint8Array[] = [];
  const outputs = res.outputs.map((t) => {
    const head = { name: t.name, datatype: t.datatype, shape: [...t.shape] };
    if (isBinaryOutput(forms, t.name)) {
      binary.push(t.data);
      return { ...head, parameters: { binary_data_size: t.data.byteLength } };
    }
    const data = valuesFromBytes(t.datatype, t.data).map((v) => (typeof v === 'bigint' ? Number(v) : v));
    return { ...head, data };
  });
  const json = {
    model_name: res.model,
    model_version: res.version,
    ...(res.id ? { id: res.id } : {}),
    outputs,
  };
  return { json, binary };
}
