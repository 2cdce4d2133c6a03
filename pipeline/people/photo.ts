// Faces of a still photo, found and embedded the way the pipeline does it for video: YuNet finds
// the faces and their five landmarks, the same aligner cuts dlib's 150x150 chip, the same dlib
// ResNet embeds it (unit length). Used to enrol people from photos and by `npm run eval:distances`.

import sharp from 'sharp';
import type { Box } from '../../shared/artifacts.js';
import { YunetDetector, scaleFaces, type Face } from '../detect/yunet.js';
import { alignFace, DLIB_CHIP_SIZE } from '../embed/align.js';
import { createDlibEmbedder } from '../embed/dlib-embedder.js';
import { l2normalize, type Embedder } from '../embed/embedder.js';
import { resolveModel } from '../models/registry.js';
import { DETECTOR_MODEL } from '../stages/detect-track.js';
import { THUMB_SIZE } from '../stages/faces-embed.js';
import { PeopleError } from './library.js';

/**
 * Photos are searched for faces at most this large (longest side): YuNet is trained on faces of
 * video-frame size and a 24-megapixel photo would cost seconds. The chip is still cut from the
 * full-resolution picture.
 */
export const PHOTO_DETECT_MAX_SIDE = 1280;

export interface PhotoFace {
  face: Face;
  /** Aligned 150x150 RGB chip. */
  chip: Uint8Array;
  /** Unit embedding. */
  embedding: Float32Array;
}

export interface PhotoFaceReader {
  /** Faces of one photo, largest first. Throws a PeopleError naming the file when it is not an image. */
  faces(file: string): Promise<PhotoFace[]>;
  close(): Promise<void>;
}

export function boxArea(b: Box): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

/** Faces of an RGB image with a detector and an embedder already loaded. */
export async function embedImageFaces(rgb: Uint8Array, w: number, h: number, det: YunetDetector, embedder: Embedder): Promise<PhotoFace[]> {
  const scale = Math.min(1, PHOTO_DETECT_MAX_SIDE / Math.max(w, h));
  let faces: Face[];
  if (scale < 1) {
    const dw = Math.round(w * scale), dh = Math.round(h * scale);
    const small = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).resize(dw, dh, { kernel: 'lanczos3' }).raw().toBuffer();
    faces = scaleFaces(await det.detect(small, dw, dh, true), w / dw, h / dh, w, h);
  } else {
    faces = await det.detect(rgb, w, h, true);
  }
  faces.sort((a, b) => boxArea(b.box) - boxArea(a.box));
  const chips = faces.map((f) => alignFace(rgb, w, h, f.landmarks).chip);
  const vs = chips.length ? await embedder.embed(chips) : [];
  return faces.map((face, i) => {
    const v = vs[i]!;
    l2normalize(v);
    return { face, chip: chips[i]!, embedding: v };
  });
}

/** Decodes a photo to packed RGB; a file that is no image is a PeopleError naming it. */
export async function readPhotoRgb(file: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  try {
    const { data, info } = await sharp(file).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  } catch (e) {
    throw new PeopleError(`${file}: not an image that can be read (${(e as Error).message.split('\n')[0]})`);
  }
}

/** Loads YuNet (from the model search folders, sha256-checked) and the dlib embedder. */
export async function openPhotoFaceReader(opts: { modelsDir?: string } = {}): Promise<PhotoFaceReader> {
  const model = await resolveModel(DETECTOR_MODEL, { modelsDir: opts.modelsDir });
  const det = await YunetDetector.create(model);
  const embedder = await createDlibEmbedder({ batch: 8 });
  return {
    async faces(file) {
      const img = await readPhotoRgb(file);
      return embedImageFaces(img.data, img.width, img.height, det, embedder);
    },
    async close() {
      await embedder.close();
      await det.close();
    },
  };
}

/** The 112x112 JPEG the library keeps for a reference face (same size as the pipeline's thumbnails). */
export function chipJpeg(chip: Uint8Array): Promise<Buffer> {
  return sharp(chip, { raw: { width: DLIB_CHIP_SIZE, height: DLIB_CHIP_SIZE, channels: 3 } })
    .resize(THUMB_SIZE, THUMB_SIZE, { kernel: 'lanczos3' })
    .jpeg({ quality: 85 })
    .toBuffer();
}
