// The single entry point for every request from a window: unknown channels are refused, every
// payload is validated with its zod schema, and every outcome (including a handler throwing) is
// a Wire<T>. Nothing here throws, so a hostile or buggy window cannot crash the host.

import { REQUEST_CHANNELS, type RequestChannel, type Wire } from '../../shared/ipc.js';
import { requestSchemas } from '../../shared/ipc-schemas.js';
import { handlers as defaultHandlers, type Handlers } from './handlers.js';
import type { BridgeContext, Session } from './types.js';
import { describeIssues } from './validate.js';

const CHANNELS = new Set<string>(REQUEST_CHANNELS);

export function isRequestChannel(v: unknown): v is RequestChannel {
  return typeof v === 'string' && CHANNELS.has(v);
}

/** A printable, bounded rendering of whatever a window sent as a channel name. */
function shown(v: unknown): string {
  const s = typeof v === 'string' ? v : typeof v;
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}...` : s);
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error && e.message) return e.message;
  if (typeof e === 'string' && e) return e;
  return 'Unexpected error';
}

export type Dispatch = (session: Session, channel: unknown, rawRequest: unknown) => Promise<Wire<unknown>>;

export function createDispatcher(ctx: BridgeContext, handlers: Handlers = defaultHandlers): Dispatch {
  return async (session, channel, rawRequest) => {
    try {
      if (!isRequestChannel(channel)) return { ok: false, error: `Unknown channel ${shown(channel)}` };
      const parsed = requestSchemas[channel].safeParse(rawRequest);
      if (!parsed.success) return { ok: false, error: `Invalid request for ${channel}: ${describeIssues(parsed.error.issues)}` };
      const handler = handlers[channel] as (c: BridgeContext, s: Session, r: unknown) => Promise<unknown>;
      return { ok: true, value: await handler(ctx, session, parsed.data) };
    } catch (e) {
      return { ok: false, error: errorMessage(e) };
    }
  };
}
