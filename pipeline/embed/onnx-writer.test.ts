import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { encodeOnnxModel, encodeVarint, type OnnxGraph } from './onnx-writer.js';

describe('encodeVarint', () => {
  it('writes protobuf varints: 7 bits a byte, low first, negatives as 64-bit two\'s complement', () => {
    expect([...encodeVarint(0)]).toEqual([0]);
    expect([...encodeVarint(1)]).toEqual([1]);
    expect([...encodeVarint(127)]).toEqual([0x7f]);
    expect([...encodeVarint(300)]).toEqual([0xac, 0x02]);
    expect([...encodeVarint(-1)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(() => encodeVarint(1.5)).toThrow(/not an integer/);
  });
});

describe('encodeOnnxModel, loaded and run by ONNX Runtime', () => {
  it('a graph with a padded strided conv, a channel Pad, Relu, a reshape and a MatMul gives the values computed by hand', async () => {
    // input x [1, 1, 3, 3] = 1..9; conv 2x2 of ones, stride 2, pads 1 all round: each output is
    // the sum of the window's in-range inputs
    const g: OnnxGraph = {
      name: 'probe',
      opset: 13,
      inputs: [{ name: 'x', shape: ['n', 1, 3, 3] }],
      outputs: [{ name: 'y', shape: ['n', 3] }],
      initializers: [
        { name: 'w', dims: [1, 1, 2, 2], data: new Float32Array([1, 1, 1, 1]) },
        { name: 'pads', dims: [8], data: { int64: [0, 0, 0, 0, 0, 1, 0, 0] } },
        { name: 'shape', dims: [2], data: { int64: [-1, 8] } },
        { name: 'fc', dims: [8, 3], data: new Float32Array(24).map((_, i) => (i % 3 === 0 ? 1 : i % 3 === 1 ? -1 : 0.5)) },
      ],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attributes: { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1] } },
        { op: 'Pad', inputs: ['c', 'pads'], outputs: ['p'] }, // a zero channel after the conv's one
        { op: 'Relu', inputs: ['p'], outputs: ['r'] },
        { op: 'Reshape', inputs: ['r', 'shape'], outputs: ['f'] },
        { op: 'MatMul', inputs: ['f', 'fc'], outputs: ['y'] },
      ],
    };
    const session = await ort.InferenceSession.create(encodeOnnxModel(g));
    try {
      const x = new ort.Tensor('float32', Float32Array.from({ length: 9 }, (_, i) => i + 1), [1, 1, 3, 3]);
      const y = (await session.run({ x }))['y']!;
      expect(y.dims).toEqual([1, 3]);
      // windows over the zero-padded 5x5: [1] [2+3] / [4+7] [5+6+8+9] = 1, 5, 11, 28; then 4 zeros
      const conv = [1, 5, 11, 28];
      const sum = conv.reduce((a, b) => a + b, 0);
      expect(Array.from(y.data as Float32Array)).toEqual([sum, -sum, 0.5 * sum]);
    } finally {
      await session.release();
    }
  });

  it('a tensor whose values do not fill its dims is refused', () => {
    const g: OnnxGraph = { name: 'bad', opset: 13, inputs: [], outputs: [], nodes: [], initializers: [{ name: 'w', dims: [2, 2], data: new Float32Array(3) }] };
    expect(() => encodeOnnxModel(g)).toThrow(/3 values for dims \[2, 2\]/);
  });
});
