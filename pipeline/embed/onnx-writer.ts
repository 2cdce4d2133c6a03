// A minimal writer of ONNX models (the protobuf ModelProto of onnx/onnx.proto), enough to hand a
// float32 graph built in code to ONNX Runtime as bytes. Only the fields used here are written:
// a model with one opset import and a graph of nodes, float/int64 initializers (raw little-endian
// data), typed inputs and outputs, and int / float / ints attributes.
//
// Why not a protobuf library: the model is a few hundred bytes of structure around the weights;
// the wire format for it (varints, length-delimited fields, fixed32 floats) is a page of code and
// is tested here by ONNX Runtime itself loading and running what it writes.

/** ONNX TensorProto.DataType values used here. */
export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;

export interface OnnxTensor {
  name: string;
  dims: readonly number[];
  /** float32 values, or int64 values given as integers. */
  data: Float32Array | { int64: readonly number[] };
}

export type OnnxAttribute = number | readonly number[] | { float: number };

export interface OnnxNode {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  attributes?: Readonly<Record<string, OnnxAttribute>>;
}

export interface OnnxValue {
  name: string;
  /** Sizes; a string names a free dimension (e.g. the batch). */
  shape: ReadonlyArray<number | string>;
}

export interface OnnxGraph {
  name: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxTensor[];
  inputs: readonly OnnxValue[];
  outputs: readonly OnnxValue[];
  /** Default-domain opset version. */
  opset: number;
}

/**
 * The protobuf wire primitives. Small fields go into a scratch buffer; large payloads (weights)
 * are kept by reference and copied once, when the message is assembled.
 */
class Writer {
  private readonly parts: Uint8Array[] = [];
  private scratch = new Uint8Array(256);
  private used = 0;
  private total = 0;

  private flushScratch(): void {
    if (this.used === 0) return;
    this.parts.push(this.scratch.subarray(0, this.used));
    this.scratch = new Uint8Array(256);
    this.used = 0;
  }

  private room(n: number): void {
    if (this.used + n > this.scratch.length) this.flushScratch();
    if (n > this.scratch.length) this.scratch = new Uint8Array(n);
  }

  /** Unsigned or negative integer as a varint (negatives take ten bytes, two's complement). */
  varint(value: number): void {
    if (!Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}`);
    let v = BigInt.asUintN(64, BigInt(value));
    this.room(10);
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) byte |= 0x80;
      this.scratch[this.used++] = byte;
      this.total++;
    } while (v > 0n);
  }

  key(field: number, wire: 0 | 2 | 5): void {
    this.varint(field * 8 + wire);
  }

  bytes(field: number, data: Uint8Array): void {
    this.key(field, 2);
    this.varint(data.length);
    if (data.length > 64) {
      this.flushScratch();
      this.parts.push(data);
    } else {
      this.room(data.length);
      this.scratch.set(data, this.used);
      this.used += data.length;
    }
    this.total += data.length;
  }

  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }

  int(field: number, v: number): void {
    this.key(field, 0);
    this.varint(v);
  }

  float(field: number, v: number): void {
    this.key(field, 5);
    this.room(4);
    new DataView(this.scratch.buffer, this.used, 4).setFloat32(0, v, true);
    this.used += 4;
    this.total += 4;
  }

  message(field: number, fill: (w: Writer) => void): void {
    const inner = new Writer();
    fill(inner);
    this.bytes(field, inner.done());
  }

  done(): Uint8Array {
    this.flushScratch();
    if (this.parts.length === 1) return this.parts[0]!;
    const out = new Uint8Array(this.total);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Exposed for tests: the varint encoding of `value`. */
export function encodeVarint(value: number): Uint8Array {
  const w = new Writer();
  w.varint(value);
  return w.done().slice();
}

/** raw_data: the values little-endian (on a little-endian machine, the array's own bytes). */
function tensorBytes(t: OnnxTensor): Uint8Array {
  if (t.data instanceof Float32Array) {
    if (LITTLE_ENDIAN) return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const out = new Uint8Array(t.data.length * 4);
    const view = new DataView(out.buffer);
    t.data.forEach((v, i) => view.setFloat32(i * 4, v, true));
    return out;
  }
  const out = new Uint8Array(t.data.int64.length * 8);
  const view = new DataView(out.buffer);
  t.data.int64.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return out;
}

function writeTensor(w: Writer, t: OnnxTensor): void {
  const count = t.dims.reduce((a, b) => a * b, 1);
  const n = t.data instanceof Float32Array ? t.data.length : t.data.int64.length;
  if (n !== count) throw new Error(`tensor ${t.name}: ${n} values for dims [${t.dims.join(', ')}]`);
  for (const d of t.dims) w.int(1, d); // dims
  w.int(2, t.data instanceof Float32Array ? ONNX_FLOAT : ONNX_INT64); // data_type
  w.string(8, t.name); // name
  w.bytes(9, tensorBytes(t)); // raw_data
}

// AttributeProto.AttributeType
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

function writeAttribute(w: Writer, name: string, a: OnnxAttribute): void {
  w.string(1, name);
  if (typeof a === 'number') {
    w.int(3, a); // i
    w.int(20, ATTR_INT);
  } else if ('float' in a) {
    w.float(2, a.float); // f
    w.int(20, ATTR_FLOAT);
  } else {
    for (const v of a) w.int(8, v); // ints
    w.int(20, ATTR_INTS);
  }
}

function writeNode(w: Writer, n: OnnxNode): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.op);
  for (const [name, a] of Object.entries(n.attributes ?? {})) w.message(5, (x) => writeAttribute(x, name, a));
}

function writeValue(w: Writer, v: OnnxValue): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, ONNX_FLOAT); // elem_type
      tensor.message(2, (shape) => {
        for (const d of v.shape) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

/** The serialized ModelProto of `g` (IR version 7), ready for `InferenceSession.create(bytes)`. */
export function encodeOnnxModel(g: OnnxGraph): Uint8Array {
  const w = new Writer();
  w.int(1, 7); // ir_version
  w.string(2, 'screentime'); // producer_name
  w.message(7, (graph) => {
    for (const n of g.nodes) graph.message(1, (x) => writeNode(x, n));
    graph.string(2, g.name);
    for (const t of g.initializers) graph.message(5, (x) => writeTensor(x, t));
    for (const v of g.inputs) graph.message(11, (x) => writeValue(x, v));
    for (const v of g.outputs) graph.message(12, (x) => writeValue(x, v));
  });
  w.message(8, (op) => {
    op.string(1, ''); // default domain
    op.int(2, g.opset);
  });
  return w.done();
}
