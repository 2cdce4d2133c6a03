// Sandboxed preload: exposes `window.screentime` (ScreentimeBridge) and nothing else. A sandboxed
// preload can require only 'electron', so it imports no runtime values from other files: the
// channel lists are repeated here and the type system proves they equal shared/ipc.ts.

import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type {
  EVENT_CHANNELS,
  EventChannel,
  EventOf,
  REQUEST_CHANNELS,
  RequestChannel,
  RequestOf,
  ResponseOf,
  ScreentimeBridge,
  Wire,
} from '../shared/ipc.js';

const REQUESTS = [
  'app:info', 'app:check', 'library:list', 'library:add', 'library:pick', 'library:remove', 'episode:get',
  'stage:run', 'stage:cancel', 'results:get', 'results:edit', 'results:export',
  'settings:get', 'settings:set', 'queue:status', 'queue:submit', 'queue:list', 'queue:cancel', 'queue:resubmit',
  'results:export-segments', 'report:show', 'report:export',
  'people:list', 'people:add', 'people:update', 'people:remove', 'people:enrol', 'people:enrolIdentity', 'people:export', 'people:import',
  'results:edits', 'results:undo', 'results:redo', 'results:tracks', 'results:boxes',
] as const;
const EVENTS = ['stage:started', 'stage:progress', 'stage:log', 'stage:readings', 'stage:ended', 'library:changed', 'queue:job', 'stage:waiting'] as const;

// Compile-time proof that the literal lists above equal the shared ones, both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const requestsMatch: Same<(typeof REQUESTS)[number], (typeof REQUEST_CHANNELS)[number]> & Same<(typeof REQUESTS)[number], RequestChannel> = true;
const eventsMatch: Same<(typeof EVENTS)[number], (typeof EVENT_CHANNELS)[number]> & Same<(typeof EVENTS)[number], EventChannel> = true;
const sameLength: [(typeof REQUESTS)['length'], (typeof EVENTS)['length']] extends [(typeof REQUEST_CHANNELS)['length'], (typeof EVENT_CHANNELS)['length']] ? true : false = true;
void requestsMatch;
void eventsMatch;
void sameLength;

const requestSet = new Set<string>(REQUESTS);
const eventSet = new Set<string>(EVENTS);

const bridge: ScreentimeBridge = {
  async invoke<C extends RequestChannel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
    if (!requestSet.has(channel)) throw new Error(`Unknown channel ${String(channel)}`);
    const wire = (await ipcRenderer.invoke(channel, request)) as Wire<ResponseOf<C>>;
    if (!wire || typeof wire !== 'object') throw new Error(`No answer for ${channel}`);
    if (!wire.ok) throw new Error(wire.error);
    return wire.value;
  },
  on<E extends EventChannel>(event: E, listener: (payload: EventOf<E>) => void): () => void {
    if (!eventSet.has(event)) throw new Error(`Unknown event ${String(event)}`);
    // The IpcRendererEvent (with its sender) never reaches the page: only the payload does.
    const wrapped = (_e: unknown, payload: EventOf<E>) => listener(payload);
    ipcRenderer.on(event, wrapped);
    return () => {
      ipcRenderer.removeListener(event, wrapped);
    };
  },
  pathForFile(file: File): string | null {
    try {
      const p = webUtils.getPathForFile(file);
      return p ? p : null;
    } catch {
      return null;
    }
  },
  mediaUrl(episodeId: string, relPath: string): string {
    const rel = relPath.split('/').map((s) => encodeURIComponent(s)).join('/');
    return `screentime-media://media/${encodeURIComponent(episodeId)}/${rel}`;
  },
  videoUrl(episodeId: string): string {
    return `screentime-media://video/${encodeURIComponent(episodeId)}`;
  },
};

contextBridge.exposeInMainWorld('screentime', bridge);
