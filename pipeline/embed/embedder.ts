// What the faces_embed stage needs from a face embedder. The default is dlib's ResNet
// (dlib-embedder.ts); a user-supplied ONNX model can implement the same interface.

export interface Embedder {
  /** Length of each embedding vector. */
  readonly dim: number;
  /** Side of the square RGB chip `embed` expects (packed RGB, chipSize * chipSize * 3 bytes). */
  readonly chipSize: number;
  /** Short name recorded in the manifest stats. */
  readonly name: string;
  /** One raw (not yet normalised) embedding per chip, in order. */
  embed(chips: Uint8Array[]): Promise<Float32Array[]>;
  /** Frees the model and its backend memory. */
  close(): Promise<void>;
}

/** In-place L2 normalisation; returns the vector's original norm (0 leaves it untouched). */
export function l2normalize(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const n = Math.sqrt(s);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] = v[i]! / n;
  return n;
}

export function euclidean(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) { const d = a[i]! - b[i]!; s += d * d; }
  return Math.sqrt(s);
}
