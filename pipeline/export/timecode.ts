// SMPTE timecode maths for the editing-tool exports: exact frame rates, frame <-> timecode in
// non-drop and drop-frame, seconds (artifact time) -> frame numbers.
//
// Artifact times are seconds from the FIRST DECODED FRAME (docs/artifacts.md), and detect_track
// writes a frame's time as frame / fps; so frame n starts at n / fps and a time snaps to the frame
// with round(t * fps). The container's offset of that first frame (`start_time_s` in the manifest)
// is NOT part of these times: it is added only when a timecode must follow the container clock.
//
// Drop-frame (29.97, 59.94): frame NUMBERS 0 and 1 (0-3 at 59.94) are skipped at the start of
// every minute except each tenth, so the label tracks wall-clock time; no frame is dropped.
// 23.976 has no drop-frame form: it counts 24 labels a second (non-drop at 24 nominal).

export interface FrameRate {
  num: number;
  den: number;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * The exact rational rate behind a frame rate as artifacts store it: "30000/1001", {num, den}, or
 * a float from ffprobe's avg_frame_rate (29.97002997...). Floats within 1e-3 of an NTSC rate
 * (k*1000/1001) or of a whole number snap to it, since those are what cameras record.
 */
export function frameRateOf(fps: number | string | FrameRate): FrameRate {
  if (typeof fps === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(\d+)\s*)?$/.exec(fps);
    if (!m) throw new Error(`not a frame rate: "${fps}"`);
    if (m[2] !== undefined) return reduce({ num: Number(m[1]), den: Number(m[2]) });
    return frameRateOf(Number(m[1]));
  }
  if (typeof fps === 'object') return reduce(fps);
  if (!(Number.isFinite(fps) && fps > 0 && fps <= 1000)) throw new Error(`not a frame rate: ${fps}`);
  const whole = Math.round(fps);
  if (Math.abs(fps - whole) < 1e-3) return { num: whole, den: 1 };
  const ntsc = Math.round((fps * 1001) / 1000);
  if (Math.abs(fps - (ntsc * 1000) / 1001) < 1e-3) return { num: ntsc * 1000, den: 1001 };
  // Anything else (12.5 from a halved PAL stream, 14.985, ...): the closest fraction with a
  // denominator up to 1001, by continued fractions.
  return reduce(closestFraction(fps, 1001));
}

function reduce(r: FrameRate): FrameRate {
  if (!(Number.isInteger(r.num) && Number.isInteger(r.den) && r.num > 0 && r.den > 0)) throw new Error(`not a frame rate: ${r.num}/${r.den}`);
  const g = gcd(r.num, r.den);
  return { num: r.num / g, den: r.den / g };
}

function closestFraction(x: number, maxDen: number): FrameRate {
  let [h0, h1, k0, k1] = [0, 1, 1, 0];
  let v = x;
  for (let i = 0; i < 32; i++) {
    const a = Math.floor(v);
    const [h2, k2] = [a * h1 + h0, a * k1 + k0];
    if (k2 > maxDen) break;
    [h0, h1, k0, k1] = [h1, h2, k1, k2];
    if (Math.abs(v - a) < 1e-12) break;
    v = 1 / (v - a);
  }
  return { num: h1, den: k1 };
}

export const rateValue = (r: FrameRate): number => r.num / r.den;

/**
 * Frames per second as a number or an exact rate. Times snap to frames with the rate the artifacts
 * were computed at (manifest video.fps: detect_track wrote ts = frame / fps), which may differ in
 * the 5th digit from the NTSC rate its timecode is labelled at (a 2997/100 file is 29.97 DF).
 */
export type Fps = number | FrameRate;
const fpsValue = (f: Fps): number => (typeof f === 'number' ? f : f.num / f.den);

/** Timecode labels per second: 30 for 29.97, 24 for 23.976, 25 for 25. */
export function nominalFps(r: FrameRate): number {
  return Math.round(r.num / r.den);
}

/** Rates that have a SMPTE drop-frame form: 29.97 and 59.94 (30000/1001, 60000/1001). */
export function hasDropFrame(r: FrameRate): boolean {
  return r.den === 1001 && (r.num === 30000 || r.num === 60000);
}

/** Labels skipped at each minute start in drop-frame: 2 at 29.97, 4 at 59.94. */
function dropCount(r: FrameRate): number {
  return nominalFps(r) / 15;
}

function checkDrop(r: FrameRate, dropFrame: boolean): void {
  if (dropFrame && !hasDropFrame(r)) throw new Error(`drop-frame timecode exists only at 29.97 and 59.94 fps, not ${rateLabel(r)}`);
}

/** "29.97", "25", "23.976": how editors name a rate. */
export function rateLabel(r: FrameRate): string {
  const v = rateValue(r);
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
}

const two = (n: number) => String(n).padStart(2, '0');

/** Frame number (0 = timecode 00:00:00:00) -> "HH:MM:SS:FF", or "HH:MM:SS;FF" in drop-frame. Wraps at 24 h. */
export function framesToTimecode(frame: number, r: FrameRate, dropFrame = false): string {
  if (!Number.isInteger(frame) || frame < 0) throw new Error(`frame must be a whole number >= 0, got ${frame}`);
  checkDrop(r, dropFrame);
  const fps = nominalFps(r);
  let n = frame;
  if (dropFrame) {
    const drop = dropCount(r);
    const per10 = fps * 600 - drop * 9;
    const perMin = fps * 60 - drop;
    const tens = Math.floor(n / per10);
    const rem = n % per10;
    // The first minute of each ten keeps every label; the nine after it each skip `drop`.
    n += drop * 9 * tens + (rem > drop ? drop * Math.floor((rem - drop) / perMin) : 0);
  }
  n %= fps * 86_400;
  const ff = n % fps;
  const totalS = Math.floor(n / fps);
  return `${two(Math.floor(totalS / 3600))}:${two(Math.floor(totalS / 60) % 60)}:${two(totalS % 60)}${dropFrame ? ';' : ':'}${two(ff)}`;
}

export interface ParsedTimecode {
  frame: number;
  /** A ';' (or '.') before the frames field: drop-frame. */
  dropFrame: boolean;
}

/** "HH:MM:SS:FF" / "HH:MM:SS;FF" -> frame number; throws on labels that do not exist (e.g. 00:01:00;00 in drop-frame). */
export function timecodeToFrames(tc: string, r: FrameRate, dropFrame?: boolean): ParsedTimecode {
  const m = /^(\d{2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$/.exec(tc.trim());
  if (!m) throw new Error(`not a timecode: "${tc}"`);
  const [hh, mm, ss, ff] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[5])];
  const df = dropFrame ?? (m[4] === ';' || m[4] === ',');
  checkDrop(r, df);
  const fps = nominalFps(r);
  if (mm > 59 || ss > 59 || ff >= fps) throw new Error(`timecode out of range at ${rateLabel(r)} fps: "${tc}"`);
  const minutes = hh * 60 + mm;
  let frame = (hh * 3600 + mm * 60 + ss) * fps + ff;
  if (df) {
    const drop = dropCount(r);
    if (ss === 0 && ff < drop && mm % 10 !== 0) throw new Error(`"${tc}" does not exist in drop-frame (skipped label)`);
    frame -= drop * (minutes - Math.floor(minutes / 10));
  }
  return { frame, dropFrame: df };
}

/**
 * The frame a time falls on: t is seconds from the first decoded frame (artifact time), and
 * `originS` is added first when the count must follow another clock (the container's, with the
 * manifest's start_time_s). Rounds to the nearest frame start, as detect_track wrote
 * ts = frame / fps; the epsilon keeps x.5 frames from flipping on float noise.
 */
export function secondsToFrame(t: number, fps: Fps, originS = 0): number {
  if (!Number.isFinite(t)) throw new Error(`not a time: ${t}`);
  const f = typeof fps === 'number' ? (t + originS) * fps : ((t + originS) * fps.num) / fps.den;
  return Math.max(0, Math.round(f + 1e-9));
}

/** Start time of a frame, seconds from frame 0. */
export function frameToSeconds(frame: number, fps: Fps): number {
  return typeof fps === 'number' ? frame / fpsValue(fps) : (frame * fps.den) / fps.num;
}
