// What a shot looks like as a whole, at a glance: the analysis frame averaged down to a 16 x 9 grid
// of colours. Edited footage returns to the same camera setups, and two shots from one setup show
// the same background, light and framing; the grid says so without any model (cluster uses it to
// place a face that cannot be told from its looks alone: pipeline/cluster/same-look.ts).
// Pure functions on typed arrays.

export const LOOK_W = 16;
export const LOOK_H = 9;
/** Bytes of a look: RGB per cell. */
export const LOOK_BYTES = LOOK_W * LOOK_H * 3;

/**
 * Every STEP-th pixel of every STEP-th row is read: a cell spans 40 x 40 pixels of a 640-wide
 * frame, so its mean barely moves, and the look costs a quarter (about 0.4 ms a frame).
 */
const STEP = 2;

/**
 * Mean colour of each cell of a LOOK_W x LOOK_H grid over a bgr24 frame (w x h), as RGB bytes.
 * Cells split the frame by integer bounds, so any frame size works.
 */
export function frameLook(bgr: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(LOOK_BYTES);
  const sums = new Float64Array(LOOK_BYTES);
  const counts = new Float64Array(LOOK_W * LOOK_H);
  // The x range of each cell (integer bounds, as cellOf(x) = floor(x * LOOK_W / w)), walked in
  // steps of STEP from the first sampled x in it: a cell's sums build up in local integers, the
  // same sums as pixel by pixel (they are exact either way), in two thirds of the time.
  const starts = new Int32Array(LOOK_W + 1);
  let cell = 0;
  for (let x = 0; x < w; x += STEP) {
    const c = Math.min(LOOK_W - 1, Math.floor((x * LOOK_W) / w));
    while (cell < c) starts[++cell] = x;
  }
  while (cell < LOOK_W) starts[++cell] = w; // cells no sampled x falls in, and the end
  for (let y = 0; y < h; y += STEP) {
    const row = Math.min(LOOK_H - 1, Math.floor((y * LOOK_H) / h)) * LOOK_W;
    const rowStart = y * w * 3;
    for (let cx = 0; cx < LOOK_W; cx++) {
      let r = 0, g = 0, b = 0, n = 0;
      for (let x = starts[cx]!, i = rowStart + x * 3; x < starts[cx + 1]!; x += STEP, i += 3 * STEP) {
        r += bgr[i + 2]!;
        g += bgr[i + 1]!;
        b += bgr[i]!;
        n++;
      }
      const c = row + cx;
      sums[c * 3] = sums[c * 3]! + r;
      sums[c * 3 + 1] = sums[c * 3 + 1]! + g;
      sums[c * 3 + 2] = sums[c * 3 + 2]! + b;
      counts[c] = counts[c]! + n;
    }
  }
  for (let c = 0; c < counts.length; c++) {
    const n = counts[c]! || 1;
    for (let k = 0; k < 3; k++) out[c * 3 + k] = Math.round(sums[c * 3 + k]! / n);
  }
  return out;
}

/** Running mean of looks (a track's frames): add each, read the mean at the end. */
export class LookMean {
  private readonly sums = new Float64Array(LOOK_BYTES);
  private n = 0;

  add(look: Uint8Array): void {
    for (let i = 0; i < LOOK_BYTES; i++) this.sums[i] = this.sums[i]! + look[i]!;
    this.n++;
  }

  mean(): Uint8Array | null {
    if (this.n === 0) return null;
    const out = new Uint8Array(LOOK_BYTES);
    for (let i = 0; i < LOOK_BYTES; i++) out[i] = Math.round(this.sums[i]! / this.n);
    return out;
  }
}

/** Mean absolute difference of two looks, 0..255 (0: the same picture at a glance). */
export function lookDistance(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < LOOK_BYTES; i++) s += Math.abs(a[i]! - b[i]!);
  return s / LOOK_BYTES;
}

/** A look as it is stored in tracks.jsonl (base64). */
export function encodeLook(look: Uint8Array): string {
  return Buffer.from(look.buffer, look.byteOffset, look.byteLength).toString('base64');
}

/** A stored look, or null when it is not one (absent, damaged, another size). */
export function decodeLook(text: string | undefined): Uint8Array | null {
  if (typeof text !== 'string') return null;
  const b = Buffer.from(text, 'base64');
  return b.length === LOOK_BYTES ? new Uint8Array(b) : null;
}
