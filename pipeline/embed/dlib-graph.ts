// dlib's face recognition ResNet as an ONNX graph, built in code from the pinned face-api weights
// (the same file the tfjs path loads, the same digests). Nothing is downloaded or stored: the
// graph is made in memory each time the embedder starts, so the recipe is this file.
//
// Layer for layer it is face-api 1.7.15's FaceRecognitionNet (src/faceRecognitionNet/*.ts), in
// NCHW instead of NHWC: conv -> + bias -> * scale -> + shift (-> relu), residual blocks, and the
// down-sampling blocks' zero padding of the pooled shortcut (channels) and of the conv output
// (one row and column, where the strided conv is one smaller than the pooled shortcut).

import { DLIB_CHIP_SIZE } from './align.js';
import type { OnnxGraph, OnnxNode, OnnxTensor } from './onnx-writer.js';

/** One entry of a tfjs weights manifest. */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale: number; min: number };
}

export interface Weight {
  shape: number[];
  data: Float32Array;
}

/**
 * The weights of a tfjs weights file, dequantized the way tfjs' `io.decodeWeights` does
 * (value = q * scale + min, rounded to float32), by name.
 */
export function decodeWeights(specs: readonly WeightSpec[], bytes: Uint8Array): Map<string, Weight> {
  const out = new Map<string, Weight>();
  let offset = 0;
  for (const s of specs) {
    if (s.dtype !== 'float32') throw new Error(`weight ${s.name}: dtype ${s.dtype} is not supported`);
    const n = s.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const q = s.quantization;
    if (q) {
      const size = q.dtype === 'uint8' ? 1 : q.dtype === 'uint16' ? 2 : 0;
      if (!size) throw new Error(`weight ${s.name}: quantization ${q.dtype} is not supported`);
      if (offset + n * size > bytes.length) throw new Error(`weight ${s.name}: the weights file is too short`);
      const view = new DataView(bytes.buffer, bytes.byteOffset + offset, n * size);
      for (let i = 0; i < n; i++) data[i] = (size === 1 ? view.getUint8(i) : view.getUint16(i * 2, true)) * q.scale + q.min;
      offset += n * size;
    } else {
      if (offset + n * 4 > bytes.length) throw new Error(`weight ${s.name}: the weights file is too short`);
      const view = new DataView(bytes.buffer, bytes.byteOffset + offset, n * 4);
      for (let i = 0; i < n; i++) data[i] = view.getFloat32(i * 4, true);
      offset += n * 4;
    }
    out.set(s.name, { shape: s.shape, data });
  }
  if (offset !== bytes.length) throw new Error(`weights file has ${bytes.length} bytes, the manifest describes ${offset}`);
  return out;
}

/** tfjs conv filters [h, w, in, out] to ONNX's [out, in, h, w]. */
export function hwioToOihw(w: Weight): Weight {
  const [h, wd, ci, co] = w.shape as [number, number, number, number];
  const data = new Float32Array(w.data.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < wd; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) data[((o * ci + i) * h + y) * wd + x] = w.data[((y * wd + x) * ci + i) * co + o]!;
  return { shape: [co, ci, h, wd], data };
}

/** Output side of a 'valid' window of `k` with stride `s` over `n`. */
function validOut(n: number, k: number, s: number): number {
  return Math.floor((n - k) / s) + 1;
}

/** The per-channel mean RGB face-api subtracts before dividing by 255. */
export const DLIB_MEAN_RGB = [122.782, 117.001, 104.298] as const;

interface Act {
  name: string;
  c: number;
  side: number;
}

/** Builds the graph; weights are looked up by face-api's names (conv32_down/conv/filters ...). */
class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly inits: OnnxTensor[] = [];
  private n = 0;

  constructor(private readonly weights: ReadonlyMap<string, Weight>) {}

  private w(name: string): Weight {
    const w = this.weights.get(name);
    if (!w) throw new Error(`weight ${name} is missing`);
    return w;
  }

  private tmp(): string {
    return `t${this.n++}`;
  }

  private init(name: string, dims: number[], data: Float32Array | { int64: number[] }): string {
    this.inits.push({ name, dims, data });
    return name;
  }

  op(op: string, inputs: string[], attributes?: OnnxNode['attributes']): string {
    const out = this.tmp();
    this.nodes.push({ op, inputs, outputs: [out], name: `${op}_${out}`, ...(attributes ? { attributes } : {}) });
    return out;
  }

  /** conv -> + bias -> * scale weights -> + scale biases (-> relu), as face-api's convLayer. */
  conv(x: Act, layer: string, stride: number, relu: boolean, same: boolean): Act {
    const f = hwioToOihw(this.w(`${layer}/conv/filters`));
    const [co, , k] = f.shape as [number, number, number, number];
    if (same && stride !== 1) throw new Error('same padding is only used with stride 1');
    const pad = same ? (k - 1) / 2 : 0;
    const filters = this.init(`${layer}/filters`, f.shape, f.data);
    const perChannel = (name: string) => this.init(`${layer}/${name}`, [co, 1, 1], this.w(`${layer}/${name}`).data);
    let y = this.op('Conv', [x.name, filters], { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad] });
    y = this.op('Add', [y, perChannel('conv/bias')]);
    y = this.op('Mul', [y, perChannel('scale/weights')]);
    y = this.op('Add', [y, perChannel('scale/biases')]);
    if (relu) y = this.op('Relu', [y]);
    return { name: y, c: co, side: same ? x.side : validOut(x.side, k, stride) };
  }

  residual(x: Act, block: string): Act {
    const a = this.conv(x, `${block}/conv1`, 1, true, true);
    const b = this.conv(a, `${block}/conv2`, 1, false, true);
    return { name: this.op('Relu', [this.op('Add', [b.name, x.name])]), c: b.c, side: b.side };
  }

  /** Zero padding at the end of channels (dc) and of both spatial axes (ds). */
  private padEnd(x: string, dc: number, ds: number): string {
    const pads = this.init(this.tmp(), [8], { int64: [0, 0, 0, 0, 0, dc, ds, ds] });
    return this.op('Pad', [x, pads]);
  }

  residualDown(x: Act, block: string): Act {
    const a = this.conv(x, `${block}/conv1`, 2, true, false);
    let b = this.conv(a, `${block}/conv2`, 1, false, true);
    let pooled = this.op('AveragePool', [x.name], { kernel_shape: [2, 2], strides: [2, 2] });
    const pooledSide = validOut(x.side, 2, 2);
    const ds = pooledSide - b.side;
    if (ds !== 0 && ds !== 1) throw new Error(`${block}: conv side ${b.side} against pooled ${pooledSide}`);
    if (ds) b = { ...b, name: this.padEnd(b.name, 0, 1), side: pooledSide };
    if (b.c !== x.c) pooled = this.padEnd(pooled, b.c - x.c, 0);
    return { name: this.op('Relu', [this.op('Add', [pooled, b.name])]), c: b.c, side: b.side };
  }

  maxPool(x: Act, k: number, s: number): Act {
    return { name: this.op('MaxPool', [x.name], { kernel_shape: [k, k], strides: [s, s] }), c: x.c, side: validOut(x.side, k, s) };
  }

  /** Mean over the spatial axes, then the fully connected layer [c, 128]. */
  head(x: Act): string {
    const mean = this.op('GlobalAveragePool', [x.name]);
    const shape = this.init(this.tmp(), [2], { int64: [-1, x.c] });
    const flat = this.op('Reshape', [mean, shape]);
    const fc = this.w('fc');
    return this.op('MatMul', [flat, this.init('fc', fc.shape, fc.data)]);
  }
}

/**
 * The graph: input `chips` [n, 3, 150, 150] float32, RGB already centred and scaled
 * ((value - DLIB_MEAN_RGB) / 255, see `dlibInput`), output `descriptor` [n, 128].
 */
export function dlibGraph(weights: ReadonlyMap<string, Weight>): OnnxGraph {
  const g = new GraphBuilder(weights);
  let x: Act = { name: 'chips', c: 3, side: DLIB_CHIP_SIZE };
  x = g.conv(x, 'conv32_down', 2, true, false);
  x = g.maxPool(x, 3, 2);
  for (const b of ['conv32_1', 'conv32_2', 'conv32_3']) x = g.residual(x, b);
  x = g.residualDown(x, 'conv64_down');
  for (const b of ['conv64_1', 'conv64_2', 'conv64_3']) x = g.residual(x, b);
  x = g.residualDown(x, 'conv128_down');
  for (const b of ['conv128_1', 'conv128_2']) x = g.residual(x, b);
  x = g.residualDown(x, 'conv256_down');
  for (const b of ['conv256_1', 'conv256_2']) x = g.residual(x, b);
  x = g.residualDown(x, 'conv256_down_out');
  const out = g.head(x);
  g.nodes.push({ op: 'Identity', inputs: [out], outputs: ['descriptor'], name: 'descriptor' });
  return {
    name: 'dlib_resnet_v1',
    nodes: g.nodes,
    initializers: g.inits,
    inputs: [{ name: 'chips', shape: ['n', 3, DLIB_CHIP_SIZE, DLIB_CHIP_SIZE] }],
    outputs: [{ name: 'descriptor', shape: ['n', 128] }],
    opset: 13,
  };
}

/**
 * Packed RGB chips (chipSize^2 * 3 bytes each) into the graph's input, NCHW, each value
 * (v - mean) / 255 in float32 as face-api computes it, written into `out` from face `at` on.
 */
export function dlibInput(chip: Uint8Array, out: Float32Array, at: number): void {
  const S = DLIB_CHIP_SIZE;
  const plane = S * S;
  if (chip.length !== plane * 3) throw new Error(`chip has ${chip.length} bytes, expected ${plane * 3}`);
  const base = at * plane * 3;
  for (let c = 0; c < 3; c++) {
    const mean = Math.fround(DLIB_MEAN_RGB[c]!);
    const dst = base + c * plane;
    for (let p = 0; p < plane; p++) out[dst + p] = Math.fround(Math.fround(chip[p * 3 + c]! - mean) / 255);
  }
}
