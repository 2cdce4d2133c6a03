// Image-quality measures for picking which face samples are worth embedding.

/** Rec. 601 luma of a packed RGB image. */
export function toGray(rgb: Uint8Array, width: number, height: number): Float32Array {
  const g = new Float32Array(width * height);
  for (let i = 0, j = 0; i < g.length; i++, j += 3) g[i] = 0.299 * rgb[j]! + 0.587 * rgb[j + 1]! + 0.114 * rgb[j + 2]!;
  return g;
}

/**
 * Variance of the 4-neighbour Laplacian over a centred window covering `frac` of each side.
 * A blurred (motion, defocus, upscaled) face has little high-frequency energy, so a low value.
 * Measured on the aligned chip, so the number compares across face sizes.
 */
export function laplacianVariance(rgb: Uint8Array, width: number, height: number, frac = 0.6): number {
  const g = toGray(rgb, width, height);
  const x0 = Math.max(1, Math.floor((width * (1 - frac)) / 2)), x1 = Math.min(width - 1, width - x0);
  const y0 = Math.max(1, Math.floor((height * (1 - frac)) / 2)), y1 = Math.min(height - 1, height - y0);
  let n = 0, sum = 0, sum2 = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = y * width + x;
      const l = g[i - 1]! + g[i + 1]! + g[i - width]! + g[i + width]! - 4 * g[i]!;
      sum += l; sum2 += l * l; n++;
    }
  }
  if (n === 0) return 0;
  const m = sum / n;
  return Math.max(0, sum2 / n - m * m);
}

/** Standard deviation of luma in the same centred window: near 0 for a flat (dark, washed-out) crop. */
export function lumaContrast(rgb: Uint8Array, width: number, height: number, frac = 0.6): number {
  const g = toGray(rgb, width, height);
  const x0 = Math.floor((width * (1 - frac)) / 2), x1 = width - x0;
  const y0 = Math.floor((height * (1 - frac)) / 2), y1 = height - y0;
  let n = 0, sum = 0, sum2 = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) { const v = g[y * width + x]!; sum += v; sum2 += v * v; n++; }
  if (n === 0) return 0;
  const m = sum / n;
  return Math.sqrt(Math.max(0, sum2 / n - m * m));
}
