// Constant-velocity Kalman filter on a box's centre and size (cx, cy, w, h), as in SORT/ByteTrack.
// The motion model, process noise and measurement noise are diagonal per coordinate, so the 8-d
// filter splits exactly into four independent 2-d (position, velocity) filters: same result,
// no matrix library, no allocation per step. Noise scales with the box height (a big face moves
// more pixels per step than a small one), with ByteTrack's weights.

import type { Box } from '../../shared/artifacts.js';

const W_POS = 1 / 20;
const W_VEL = 1 / 160;

/** One coordinate: state (x, v) and its 2x2 covariance [p00, p01, p11]. */
class Axis {
  x: number;
  v = 0;
  p00: number;
  p01 = 0;
  p11: number;

  constructor(x: number, stdPos: number, stdVel: number) {
    this.x = x;
    this.p00 = stdPos * stdPos;
    this.p11 = stdVel * stdVel;
  }

  predict(dt: number, qPos: number, qVel: number) {
    this.x += this.v * dt;
    // P = F P F^T + Q with F = [[1, dt], [0, 1]]
    const p00 = this.p00 + 2 * dt * this.p01 + dt * dt * this.p11 + qPos;
    const p01 = this.p01 + dt * this.p11;
    const p11 = this.p11 + qVel;
    this.p00 = p00;
    this.p01 = p01;
    this.p11 = p11;
  }

  update(z: number, r: number) {
    const s = this.p00 + r;
    const k0 = this.p00 / s;
    const k1 = this.p01 / s;
    const y = z - this.x;
    this.x += k0 * y;
    this.v += k1 * y;
    const p00 = (1 - k0) * this.p00;
    const p01 = (1 - k0) * this.p01;
    const p11 = this.p11 - k1 * this.p01;
    this.p00 = p00;
    this.p01 = p01;
    this.p11 = p11;
  }
}

export class BoxKalman {
  private readonly axes: [Axis, Axis, Axis, Axis];

  constructor(box: Box) {
    const [cx, cy, w, h] = toCxcywh(box);
    const sp = 2 * W_POS * h;
    const sv = 10 * W_VEL * h;
    this.axes = [new Axis(cx, sp, sv), new Axis(cy, sp, sv), new Axis(w, sp, sv), new Axis(h, sp, sv)];
  }

  /** Advances `dt` steps (analysed frames; a gap after a miss is more than 1). */
  predict(dt = 1) {
    const h = Math.max(1, this.axes[3].x);
    const qp = (W_POS * h) ** 2;
    const qv = (W_VEL * h) ** 2;
    for (const a of this.axes) a.predict(dt, qp * dt, qv * dt);
    // Sizes must stay positive even when a zoom-out's velocity runs on through a gap.
    if (this.axes[2].x < 1) this.axes[2].x = 1;
    if (this.axes[3].x < 1) this.axes[3].x = 1;
  }

  update(box: Box) {
    const z = toCxcywh(box);
    const r = (W_POS * Math.max(1, this.axes[3].x)) ** 2;
    for (let i = 0; i < 4; i++) this.axes[i]!.update(z[i]!, r);
  }

  box(): Box {
    const [cx, cy, w, h] = this.axes.map((a) => a.x) as [number, number, number, number];
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
  }

  velocity(): [number, number] {
    return [this.axes[0].v, this.axes[1].v];
  }
}

export function toCxcywh(b: Box): [number, number, number, number] {
  return [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2, b[2] - b[0], b[3] - b[1]];
}
