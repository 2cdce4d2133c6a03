// The bridge as the Electron adapter and the browser host use it: sessions (one per window or
// WebSocket connection), dispatch, and the events that concern every window.

import { randomBytes } from 'node:crypto';
import type { EventChannel, EventOf, JobInfo, Wire } from '../../shared/ipc.js';
import { createDispatcher } from './dispatch.js';
import type { Handlers } from './handlers.js';
import type { BridgeContext, QueuePort, Session } from './types.js';

export type SendFn = <E extends EventChannel>(event: E, payload: EventOf<E>) => void;

export interface Bridge {
  /** Registers a window / connection; `send` must reach that window only. */
  openSession(send: SendFn, prefix?: string): Session;
  /** The window is gone (closed, reloaded, navigated, crashed): its stages die. Idempotent. */
  closeSession(session: Session): void;
  dispatch(session: Session, channel: unknown, rawRequest: unknown): Promise<Wire<unknown>>;
  sessions(): Session[];
  /** Stops forwarding queue events. */
  dispose(): void;
}

export function createBridge(base: Omit<BridgeContext, 'sessions'>, handlers?: Handlers): Bridge {
  const open = new Map<string, Session>();
  let queueSub: { port: QueuePort; off: () => void } | null = null;

  const forwardJob = (job: JobInfo) => {
    for (const s of open.values()) s.send('queue:job', job);
  };
  // The queue service can appear or change when settings change; follow the current one.
  const queue = base.queue
    ? () => {
        const port = base.queue!();
        if (port !== (queueSub?.port ?? null)) {
          queueSub?.off();
          queueSub = port?.onJob ? { port, off: port.onJob(forwardJob) } : null;
        }
        return port;
      }
    : undefined;

  const ctx: BridgeContext = { ...base, queue, sessions: () => open.values() };
  const dispatch = createDispatcher(ctx, handlers);

  return {
    openSession(send, prefix = 'session') {
      const id = `${prefix}-${randomBytes(8).toString('hex')}`;
      const session: Session = {
        id,
        send(event, payload) {
          // A window that is going away must not take the host down with a failed send.
          try {
            send(event, payload);
          } catch {
            /* ignored */
          }
        },
      };
      open.set(id, session);
      return session;
    },
    closeSession(session) {
      if (!open.delete(session.id)) return;
      try {
        void Promise.resolve(ctx.runner.endSession(session.id)).catch(() => undefined);
      } catch {
        /* the runner reports its own errors */
      }
    },
    dispatch,
    sessions: () => [...open.values()],
    dispose() {
      queueSub?.off();
      queueSub = null;
    },
  };
}
