// Face alignment for the embedder: a least-squares similarity transform (rotation + uniform scale
// + translation, no reflection) from the 5 detector landmarks to a fixed template, then a bilinear
// warp of the RGB crop into the embedder's chip.
//
// Why a similarity and not a full affine: 5 noisy landmarks cannot pin 6 affine parameters well,
// and shearing a face changes who it looks like; dlib's own `get_face_chip_details` also fits a
// similarity.

export type Pt = [number, number];

/** x' = a*x - b*y + tx ; y' = b*x + a*y + ty  (a = s*cos(theta), b = s*sin(theta)). */
export interface Similarity {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

/**
 * Mean face positions (fractions of the face box) of the five points YuNet reports, in YuNet's
 * order: right eye centre, left eye centre, nose tip, right mouth corner, left mouth corner
 * ("right" = the person's right = image left). Derived from dlib's 68-point mean face shape
 * (eye centre = mean of the six eye-contour points, nose tip = point 30, mouth corners = 48 / 54),
 * the shape dlib's face chips are cut from.
 */
export const MEAN_FACE_5: readonly Pt[] = [
  [0.225492, 0.21599],
  [0.754761, 0.21599],
  [0.490127, 0.515625],
  [0.254149, 0.780233],
  [0.726104, 0.780233],
];

/** Side of dlib's face_recognition_model chip. */
export const DLIB_CHIP_SIZE = 150;

/**
 * Default chip padding. dlib cuts its training chips with padding 0.25 (`get_face_chip_details(
 * shape, 150, 0.25)`); measured on episode_gt samples (docs/pipeline-identities.md), this value
 * gave the best separation of same-person and different-person distances.
 */
export const DEFAULT_CHIP_PADDING = 0.25;

/** Template in chip pixels: dlib's rule p = (padding + m) / (1 + 2 * padding) * size. */
export function chipTemplate(size = DLIB_CHIP_SIZE, padding = DEFAULT_CHIP_PADDING, yShift = 0): Pt[] {
  return MEAN_FACE_5.map(([x, y]) => [((padding + x) / (1 + 2 * padding)) * size, ((padding + y + yShift) / (1 + 2 * padding)) * size]);
}

/**
 * Least-squares similarity mapping `src` onto `dst` (Umeyama 1991, restricted to 2-D and to
 * proper rotations, which has this closed form). Throws when the points are degenerate.
 */
export function fitSimilarity(src: readonly Pt[], dst: readonly Pt[]): Similarity {
  const n = src.length;
  if (n < 2 || dst.length !== n) throw new Error(`fitSimilarity: need >= 2 matching points, got ${n} and ${dst.length}`);
  let msx = 0, msy = 0, mdx = 0, mdy = 0;
  for (let i = 0; i < n; i++) {
    msx += src[i]![0]; msy += src[i]![1];
    mdx += dst[i]![0]; mdy += dst[i]![1];
  }
  msx /= n; msy /= n; mdx /= n; mdy /= n;
  let num1 = 0, num2 = 0, den = 0;
  for (let i = 0; i < n; i++) {
    const sx = src[i]![0] - msx, sy = src[i]![1] - msy;
    const dx = dst[i]![0] - mdx, dy = dst[i]![1] - mdy;
    num1 += sx * dx + sy * dy;
    num2 += sx * dy - sy * dx;
    den += sx * sx + sy * sy;
  }
  if (!(den > 1e-12)) throw new Error('fitSimilarity: source points coincide');
  const a = num1 / den;
  const b = num2 / den;
  return { a, b, tx: mdx - (a * msx - b * msy), ty: mdy - (b * msx + a * msy) };
}

export function applySimilarity(t: Similarity, [x, y]: Pt): Pt {
  return [t.a * x - t.b * y + t.tx, t.b * x + t.a * y + t.ty];
}

export function invertSimilarity(t: Similarity): Similarity {
  const d = t.a * t.a + t.b * t.b;
  if (!(d > 1e-24)) throw new Error('invertSimilarity: zero scale');
  const a = t.a / d;
  const b = -t.b / d;
  return { a, b, tx: -(a * t.tx - b * t.ty), ty: -(b * t.tx + a * t.ty) };
}

/** Scale factor of a similarity (how many destination pixels per source pixel). */
export function similarityScale(t: Similarity): number {
  return Math.hypot(t.a, t.b);
}

/**
 * Math.round clamped to 0..255, without Math.round (which made the warp 2.5x slower). For
 * v >= 0.5 the float sum v + 0.5 is exact enough that truncating it is Math.round(v); below 0.5
 * (where 0.49999999999999994 + 0.5 would round up to 1) the answer is 0 anyway.
 */
export function round255(v: number): number {
  return v < 0.5 ? 0 : v > 255 ? 255 : (v + 0.5) | 0;
}

/**
 * Bilinear warp of a packed RGB image. `dstToSrc` maps a destination pixel centre to source
 * coordinates (pixel centres at integer positions). Samples outside the source repeat the nearest
 * edge pixel: black borders would be read as part of the face by the embedder.
 */
export function warpRgbBilinear(
  src: Uint8Array,
  srcW: number,
  srcH: number,
  dstToSrc: Similarity,
  outW: number,
  outH: number,
  out: Uint8Array = new Uint8Array(outW * outH * 3),
): Uint8Array {
  if (src.length < srcW * srcH * 3) throw new Error(`warpRgbBilinear: source has ${src.length} bytes, expected ${srcW * srcH * 3}`);
  const { a, b, tx, ty } = dstToSrc;
  const maxX = srcW - 1, maxY = srcH - 1;
  const row = srcW * 3;
  let o = 0;
  for (let y = 0; y < outH; y++) {
    const by = b * y, ay = a * y;
    for (let x = 0; x < outW; x++) {
      let sx = a * x - by + tx;
      let sy = b * x + ay + ty;
      if (sx < 0) sx = 0; else if (sx > maxX) sx = maxX;
      if (sy < 0) sy = 0; else if (sy > maxY) sy = maxY;
      const x0 = sx | 0, y0 = sy | 0; // floor: both are >= 0 here
      const fx = sx - x0, fy = sy - y0;
      const w00 = (1 - fx) * (1 - fy), w10 = fx * (1 - fy), w01 = (1 - fx) * fy, w11 = fx * fy;
      const i00 = y0 * row + x0 * 3;
      const i10 = x0 < maxX ? i00 + 3 : i00;
      const i01 = y0 < maxY ? i00 + row : i00;
      const i11 = i01 + (i10 - i00);
      out[o] = round255(w00 * src[i00]! + w10 * src[i10]! + w01 * src[i01]! + w11 * src[i11]!);
      out[o + 1] = round255(w00 * src[i00 + 1]! + w10 * src[i10 + 1]! + w01 * src[i01 + 1]! + w11 * src[i11 + 1]!);
      out[o + 2] = round255(w00 * src[i00 + 2]! + w10 * src[i10 + 2]! + w01 * src[i01 + 2]! + w11 * src[i11 + 2]!);
      o += 3;
    }
  }
  return out;
}

export interface AlignOptions {
  size?: number;
  padding?: number;
  yShift?: number;
}

/**
 * Cuts the embedder chip out of an RGB crop given the 5 landmarks (crop coordinates).
 * Returns the chip and the landmark -> chip transform (its scale tells how much the face was
 * magnified, a hint of how little detail the chip holds).
 */
export function alignFace(
  rgb: Uint8Array,
  width: number,
  height: number,
  landmarks: readonly Pt[],
  opts: AlignOptions = {},
): { chip: Uint8Array; transform: Similarity } {
  const size = opts.size ?? DLIB_CHIP_SIZE;
  const template = chipTemplate(size, opts.padding ?? DEFAULT_CHIP_PADDING, opts.yShift ?? 0);
  if (landmarks.length !== template.length) throw new Error(`alignFace: expected ${template.length} landmarks, got ${landmarks.length}`);
  const toChip = fitSimilarity(landmarks, template);
  const chip = warpRgbBilinear(rgb, width, height, invertSimilarity(toChip), size, size);
  return { chip, transform: toChip };
}
