// Runs the real preload source the way a sandboxed renderer does: compiled to CommonJS, in a
// fresh context whose `require` knows only 'electron' (anything else would fail in the sandbox).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import type { ScreentimeBridge } from '../shared/ipc.js';

function loadPreload() {
  const src = readFileSync(path.join(import.meta.dirname, 'preload.cts'), 'utf8');
  const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const exposed: Record<string, unknown> = {};
  const invoked: Array<[string, unknown]> = [];
  const listeners = new Map<string, Set<(...a: unknown[]) => void>>();
  let answer: unknown = { ok: true, value: 42 };
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
    ipcRenderer: {
      invoke: async (channel: string, request: unknown) => {
        invoked.push([channel, request]);
        return answer;
      },
      on: (ch: string, fn: (...a: unknown[]) => void) => {
        if (!listeners.has(ch)) listeners.set(ch, new Set());
        listeners.get(ch)!.add(fn);
      },
      removeListener: (ch: string, fn: (...a: unknown[]) => void) => listeners.get(ch)?.delete(fn),
    },
    webUtils: { getPathForFile: (f: { fake: string }) => f.fake },
  };
  const required: string[] = [];
  const module = { exports: {} };
  vm.runInNewContext(js, {
    module,
    exports: module.exports,
    require: (name: string) => {
      required.push(name);
      if (name === 'electron') return electron;
      throw new Error(`a sandboxed preload cannot require ${name}`);
    },
    encodeURIComponent,
    Set,
    Error,
    Promise,
  });
  return { bridge: exposed.screentime as ScreentimeBridge, exposed, invoked, listeners, required, setAnswer: (a: unknown) => (answer = a) };
}

describe('preload', () => {
  it('requires only electron and exposes exactly window.screentime', () => {
    const p = loadPreload();
    expect(p.required).toEqual(['electron']);
    expect(Object.keys(p.exposed)).toEqual(['screentime']);
    expect(Object.keys(p.bridge).sort()).toEqual(['invoke', 'mediaUrl', 'on', 'pathForFile', 'videoUrl']);
  });

  it('unwraps Wire answers and turns errors into Error(message)', async () => {
    const p = loadPreload();
    expect(await p.bridge.invoke('library:list', undefined)).toBe(42);
    expect(p.invoked).toEqual([['library:list', undefined]]);
    p.setAnswer({ ok: false, error: 'Unknown episode 0123456789abcdef: it is not in the library (add its folder first)' });
    await expect(p.bridge.invoke('episode:get', { episodeId: '0123456789abcdef' })).rejects.toThrow(/^Unknown episode 0123456789abcdef/);
    await expect(p.bridge.invoke('shell:exec' as never, {} as never)).rejects.toThrow('Unknown channel shell:exec');
    expect(p.invoked).toHaveLength(2);
  });

  it('delivers event payloads only (never the IPC event) and unsubscribes', () => {
    const p = loadPreload();
    const got: unknown[] = [];
    const off = p.bridge.on('stage:log', (payload) => got.push(payload));
    const [fn] = [...p.listeners.get('stage:log')!];
    fn!({ sender: 'ipc internals' }, { lines: ['a'] });
    expect(got).toEqual([{ lines: ['a'] }]);
    off();
    expect(p.listeners.get('stage:log')!.size).toBe(0);
    expect(() => p.bridge.on('ipc:raw' as never, () => undefined)).toThrow('Unknown event ipc:raw');
  });

  it('builds media URLs and resolves dropped file paths', () => {
    const p = loadPreload();
    expect(p.bridge.mediaUrl('0123456789abcdef', 'thumbs/id 3.jpg')).toBe('screentime-media://media/0123456789abcdef/thumbs/id%203.jpg');
    expect(p.bridge.videoUrl('0123456789abcdef')).toBe('screentime-media://video/0123456789abcdef');
    expect(p.bridge.pathForFile({ fake: '/videos/ep1' } as unknown as File)).toBe('/videos/ep1');
    expect(p.bridge.pathForFile({ fake: '' } as unknown as File)).toBeNull();
  });
});
