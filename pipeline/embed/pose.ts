// Head pose (yaw, pitch, roll) from the detector's five landmarks, and whether a face is cut off
// by the frame edge. Pure maths: faces_embed uses them to decide which faces may vote on who a
// track is (a face in profile or half outside the picture says little about who it is).
//
// The five points give no depth, so pose comes from a rigid model of an average head: eyes and
// mouth corners lie roughly in one plane, the nose tip stands NOSE_DEPTH eye distances in front of
// it. Turning the head (yaw) by t moves the nose tip sideways by depth * sin(t) while the eye
// distance shrinks to cos(t): the nose's offset from the face's midline, in eye distances, is
// (NOSE_DEPTH) * tan(t). Nodding (pitch) by p moves the nose tip along the eye-mouth axis:
// its position there, as a fraction of the eye-to-mouth distance, is the frontal one plus
// (NOSE_DEPTH / eye-mouth height) * tan(p). The frontal positions are those of the mean face the
// aligner uses (dlib's), so a face that aligns perfectly has pose 0.

import type { Box, Point } from '../../shared/artifacts.js';
import { MEAN_FACE_5 } from './align.js';

/**
 * Depth of the nose tip in front of the eye/mouth plane, in eye-centre distances. Generic 3-D
 * head models (e.g. the six-point model common in head-pose estimation: nose tip at the origin,
 * eye corners about 0.3 of the outer-corner distance behind it) put it at about 0.45-0.5.
 */
export const NOSE_DEPTH = 0.5;

const [RE, LE, NOSE, RM, LM] = MEAN_FACE_5 as [Point, Point, Point, Point, Point];
/** Frontal nose position along the eye-to-mouth axis (0 = eye line, 1 = mouth line). */
const FRONTAL_NOSE_DOWN = (NOSE[1] - (RE[1] + LE[1]) / 2) / ((RM[1] + LM[1]) / 2 - (RE[1] + LE[1]) / 2);
/** Frontal eye-to-mouth height in eye distances. */
const FRONTAL_HEIGHT = ((RM[1] + LM[1]) / 2 - (RE[1] + LE[1]) / 2) / (LE[0] - RE[0]);

export interface HeadPose {
  /** Degrees; 0 frontal, about +-90 in profile (sign: nose towards image right is positive). */
  yaw: number;
  /** Degrees; 0 level, positive looking down. */
  pitch: number;
  /** Degrees of in-plane tilt of the eye line. */
  roll: number;
}

const deg = (r: number) => (r * 180) / Math.PI;

/**
 * Pose from landmarks in YuNet's order (right eye, left eye, nose tip, right and left mouth
 * corner; "right" is the person's right = image left). Null when the points are degenerate
 * (coinciding eyes, or a mouth not below the eyes), which is itself a sign of a bad detection.
 */
export function headPose(lm: readonly Point[]): HeadPose | null {
  if (lm.length < 5) return null;
  const [re, le, nose, rm, lmo] = lm as [Point, Point, Point, Point, Point];
  const ex = le[0] - re[0], ey = le[1] - re[1];
  const eyeDist = Math.hypot(ex, ey);
  if (!(eyeDist > 1e-6)) return null;
  // a frame where the eye line is the x axis (roll removed) and y points from the eyes to the mouth
  const ux = ex / eyeDist, uy = ey / eyeDist;
  const mx = (re[0] + le[0]) / 2, my = (re[1] + le[1]) / 2;
  const local = ([x, y]: Point): Point => [(x - mx) * ux + (y - my) * uy, -(x - mx) * uy + (y - my) * ux];
  const n = local(nose);
  const mouth = local([(rm[0] + lmo[0]) / 2, (rm[1] + lmo[1]) / 2]);
  if (!(mouth[1] > 1e-6)) return null;
  // yaw: the nose's offset from the midline through the eye and mouth midpoints at the nose's height
  const midlineX = (mouth[0] * n[1]) / mouth[1];
  const yaw = deg(Math.atan((n[0] - midlineX) / eyeDist / NOSE_DEPTH));
  // pitch: where the nose sits between the eye line and the mouth line, against the frontal face
  // (the measured eye-mouth height shrinks as the head nods; the model's frontal height does not)
  const down = n[1] / mouth[1];
  const pitch = deg(Math.atan(((down - FRONTAL_NOSE_DOWN) * FRONTAL_HEIGHT) / NOSE_DEPTH));
  return { yaw, pitch, roll: deg(Math.atan2(ey, ex)) };
}

/**
 * A face cut off by the frame edge: its box reaches the border (the detector's boxes are clipped
 * to the frame, so a face that goes on beyond it ends exactly there). `margin` is a fraction of
 * the face's size, so a big face a few pixels from the edge counts too.
 */
export function cutByFrameEdge(box: Box, frameW: number, frameH: number, margin = 0.03): boolean {
  const size = Math.max(box[2] - box[0], box[3] - box[1]);
  const m = Math.max(1, margin * size);
  return box[0] <= m || box[1] <= m || box[2] >= frameW - m || box[3] >= frameH - m;
}
