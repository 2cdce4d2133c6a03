// The browser host's wire format (docs/web-protocol.md), as pure functions so every malformed
// message has a tested answer instead of an exception.

import type { Wire } from '../../shared/ipc.js';

export type ClientMessage =
  | { ok: true; id: number; channel: string; request: unknown }
  | { ok: false; id: number | null; error: string };

const MAX_ID = Number.MAX_SAFE_INTEGER;

/** Parses one text frame from the client. Channel and request are checked later by dispatch. */
export function parseClientMessage(text: string | null): ClientMessage {
  if (text === null) return { ok: false, id: null, error: 'Bad message: binary frames are not accepted' };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, id: null, error: 'Bad message: not JSON' };
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { ok: false, id: null, error: 'Bad message: expected an object {id, channel, request}' };
  const o = v as Record<string, unknown>;
  const id = typeof o.id === 'number' && Number.isInteger(o.id) && o.id >= 0 && o.id <= MAX_ID ? o.id : null;
  if (id === null) return { ok: false, id: null, error: 'Bad message: id must be a non-negative integer' };
  if (typeof o.channel !== 'string') return { ok: false, id, error: 'Bad message: channel must be a string' };
  // JSON has no undefined: null (or a missing field) stands for the void request.
  const request = o.request === null ? undefined : o.request;
  return { ok: true, id, channel: o.channel, request };
}

export function serverResponse(id: number | null, response: Wire<unknown>): string {
  return JSON.stringify({ id, response });
}

export function serverEvent(event: string, payload: unknown): string {
  return JSON.stringify({ event, payload });
}
