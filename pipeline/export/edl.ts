// CMX3600 edit decision lists: the writer for per-person segments, and a parser to read one back.
//
// One event per segment, a cut on V, source and record timecodes equal (the event sits where the
// person is seen in the episode), so the list doubles as a marker list. Each event carries the
// comments the editing tools read:
//   * FROM CLIP NAME: <video file>     Premiere Pro and Resolve relink the event to this clip
//   * LOC: <tc> <COLOUR> <person>      Avid Media Composer / Nucoda locators
//    |C:ResolveColor<C> |M:<person> |D:<frames>   Resolve "Import Timeline Markers from EDL"
// Reel: CMX3600 allows 8 characters; "AX" (auxiliary source) is what file-based tools write when
// the clip name comment names the media. Event numbers past 999 (beyond strict CMX3600) go on
// with four digits, as Premiere and Resolve write and read them.

import { framesToTimecode, hasDropFrame, timecodeToFrames, type FrameRate } from './timecode.js';

export interface EdlSegment {
  /** Who is seen (the marker's name). */
  name: string;
  /** First frame, from the first decoded frame. */
  startFrame: number;
  /** Frame after the last (exclusive), as a CMX3600 out point. */
  endFrame: number;
  /** Locator / marker colour index (e.g. the person's rank); cycles through MARKER_COLOURS. */
  colour?: number;
}

export interface EdlOptions {
  title: string;
  rate: FrameRate;
  /** Drop-frame timecode; default: yes at 29.97 / 59.94, no otherwise. */
  dropFrame?: boolean;
  /** Media file name for the FROM CLIP NAME comment. */
  clipName: string;
  reel?: string;
  /** Timecode (in frames) of the first decoded frame; 0 = 00:00:00:00. */
  startFrame?: number;
}

/** Colours both Avid locators and Resolve markers know (Resolve spells them ResolveColor<Name>). */
export const MARKER_COLOURS = ['Blue', 'Red', 'Green', 'Yellow', 'Cyan', 'Magenta'] as const;

const EVENT_RE = /^(\d{3,})\s+(\S+)\s+(\S+)\s+(C|D|W\d{3}|K)\s+(?:(\d{3})\s+)?(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$/;

/** One line of free text: no line breaks, no '|' (Resolve's field separator), at most 80 characters. */
function oneLine(s: string): string {
  return s.replace(/[\r\n|]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 80);
}

/** A reel name CMX3600 tools accept: up to 8 of A-Z 0-9 _. */
export function reelName(s: string): string {
  const r = s.toUpperCase().replace(/[^A-Z0-9_]/g, '').slice(0, 8);
  return r || 'AX';
}

export function writeEdl(segments: readonly EdlSegment[], opts: EdlOptions): string {
  const df = opts.dropFrame ?? hasDropFrame(opts.rate);
  const base = opts.startFrame ?? 0;
  const tc = (f: number) => framesToTimecode(base + f, opts.rate, df);
  const reel = reelName(opts.reel ?? 'AX');
  const clip = oneLine(opts.clipName);
  const lines = [`TITLE: ${oneLine(opts.title).slice(0, 70)}`, `FCM: ${df ? 'DROP FRAME' : 'NON-DROP FRAME'}`, ''];
  // Sorted by record in: importers place events in order, and a list is read top to bottom.
  const sorted = segments.filter((s) => s.endFrame > s.startFrame).sort((a, b) => a.startFrame - b.startFrame || a.endFrame - b.endFrame);
  sorted.forEach((s, i) => {
    const num = String(i + 1).padStart(3, '0');
    const [inTc, outTc] = [tc(s.startFrame), tc(s.endFrame)];
    const name = oneLine(s.name);
    const colour = MARKER_COLOURS[(s.colour ?? 0) % MARKER_COLOURS.length]!;
    lines.push(`${num}  ${reel.padEnd(8)} V     C        ${inTc} ${outTc} ${inTc} ${outTc}`);
    lines.push(`* FROM CLIP NAME: ${clip}`);
    lines.push(`* LOC: ${inTc} ${colour.toUpperCase().padEnd(7)} ${name}`);
    lines.push(` |C:ResolveColor${colour} |M:${name} |D:${s.endFrame - s.startFrame}`);
    lines.push('');
  });
  return lines.join('\r\n');
}

export interface ParsedEdlEvent {
  number: number;
  reel: string;
  track: string;
  transition: string;
  /** Frames (timecode labels counted from 00:00:00:00), out points exclusive. */
  sourceIn: number;
  sourceOut: number;
  recordIn: number;
  recordOut: number;
  clipName: string | null;
  locator: { frame: number; colour: string; text: string } | null;
  marker: { colour: string; name: string; durationFrames: number } | null;
  comments: string[];
}

export interface ParsedEdl {
  title: string | null;
  dropFrame: boolean;
  events: ParsedEdlEvent[];
}

/**
 * Reads a CMX3600 list: TITLE, FCM, events and the comments under each. Strict about what it
 * understands (a malformed event line or timecode throws with its line number), so a test that
 * reads our file back fails on any formatting slip.
 */
export function parseEdl(text: string, rate: FrameRate): ParsedEdl {
  let title: string | null = null;
  let dropFrame = false;
  const events: ParsedEdlEvent[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trimEnd();
    const where = `line ${i + 1}`;
    if (!line.trim()) return;
    if (line.startsWith('TITLE:')) {
      title = line.slice(6).trim();
      return;
    }
    if (line.startsWith('FCM:')) {
      const mode = line.slice(4).trim();
      if (mode !== 'DROP FRAME' && mode !== 'NON-DROP FRAME') throw new Error(`${where}: unknown FCM "${mode}"`);
      dropFrame = mode === 'DROP FRAME';
      return;
    }
    const ev = EVENT_RE.exec(line);
    if (ev) {
      const tc = (s: string) => {
        try {
          return timecodeToFrames(s, rate, dropFrame).frame;
        } catch (e) {
          throw new Error(`${where}: ${(e as Error).message}`, { cause: e });
        }
      };
      const [sourceIn, sourceOut, recordIn, recordOut] = [tc(ev[6]!), tc(ev[7]!), tc(ev[8]!), tc(ev[9]!)];
      if (sourceOut < sourceIn || recordOut < recordIn) throw new Error(`${where}: out point before in point`);
      events.push({ number: Number(ev[1]), reel: ev[2]!, track: ev[3]!, transition: ev[4]!, sourceIn, sourceOut, recordIn, recordOut, clipName: null, locator: null, marker: null, comments: [] });
      return;
    }
    const current = events[events.length - 1];
    if (!current) throw new Error(`${where}: "${line}" before the first event`);
    const trimmed = line.trim();
    if (trimmed.startsWith('*')) {
      const body = trimmed.slice(1).trim();
      current.comments.push(body);
      const clip = /^FROM CLIP NAME:\s*(.*)$/.exec(body);
      if (clip) current.clipName = clip[1]!;
      const loc = /^LOC:\s*(\S+)\s+(\S+)\s+(.*)$/.exec(body);
      if (loc) current.locator = { frame: timecodeToFrames(loc[1]!, rate).frame, colour: loc[2]!, text: loc[3]!.trim() };
      return;
    }
    if (trimmed.startsWith('|')) {
      // Resolve marker: |C:<colour> |M:<name> |D:<frames>
      const fields = new Map(trimmed.split('|').map((f) => f.trim()).filter(Boolean).map((f) => [f.slice(0, 1), f.slice(2).trim()] as const));
      const d = Number(fields.get('D'));
      if (!fields.has('M') || !Number.isInteger(d)) throw new Error(`${where}: marker line without |M: or |D:`);
      current.marker = { colour: fields.get('C') ?? '', name: fields.get('M')!, durationFrames: d };
      return;
    }
    throw new Error(`${where}: not an event, comment or marker: "${line}"`);
  });
  return { title, dropFrame, events };
}
