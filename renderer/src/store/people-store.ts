// The people library in the window: the People dialog's state and its requests (people:*), kept
// apart from the app store. Toasts and the bridge come from the app store.

import { create } from 'zustand';
import type { EnrolResult, PeopleView } from '../../../shared/ipc.js';
import { bytesToBase64, isImageFile } from '../lib/people.js';
import { useApp } from './app-store.js';
import { downloadText } from './platform.js';

/** An identity the user is adding to the library ("Add to people library"). */
export interface IdentityToAdd {
  episodeId: string;
  identityId: number;
  label: string | null;
}

export interface FaceChoice {
  personId: string;
  file: File;
  faces: Array<{ index: number; thumb: string }>;
}

export interface PeopleState {
  open: boolean;
  view: PeopleView | null;
  busy: boolean;
  /** A photo showed several faces: which one? */
  choice: FaceChoice | null;
  /** Set while the dialog was opened from an identity card. */
  adding: IdentityToAdd | null;
  setOpen(open: boolean, adding?: IdentityToAdd | null): void;
  refresh(): Promise<void>;
  add(name: string, learn: boolean): Promise<string | null>;
  update(personId: string, change: { locked?: boolean; learn?: boolean }): Promise<void>;
  remove(personId: string): Promise<void>;
  enrolFiles(personId: string, files: File[]): Promise<void>;
  chooseFace(index: number | null): Promise<void>;
  addIdentity(personId: string): Promise<void>;
  exportLibrary(): Promise<void>;
  importFile(file: File): Promise<void>;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

function bridge() {
  const b = useApp.getState().bridge;
  if (!b) throw new Error('Not connected to the Screentime host yet.');
  return b;
}

export const usePeople = create<PeopleState>()((set, get) => {
  /** Runs a request with the busy flag; errors become a toast. */
  const busy = async <T,>(title: string, fn: () => Promise<T>): Promise<T | null> => {
    set({ busy: true });
    try {
      return await fn();
    } catch (e) {
      useApp.getState().toast({ kind: 'error', title, detail: message(e) });
      return null;
    } finally {
      set({ busy: false });
    }
  };
  const enrolled = (r: EnrolResult | null, file: File | null, personId: string) => {
    if (!r) return;
    set({ view: r.view });
    if (r.choose && file) set({ choice: { personId, file, faces: r.choose.faces } });
    else if (r.added) useApp.getState().toast({ kind: 'success', title: `${r.added} face${r.added === 1 ? '' : 's'} added` });
  };
  const send = async (personId: string, file: File, face?: number) => {
    const data = bytesToBase64(new Uint8Array(await file.arrayBuffer()));
    return bridge().invoke('people:enrol', { personId, photo: { name: file.name, data }, ...(face ? { face } : {}) });
  };

  return {
    open: false,
    view: null,
    busy: false,
    choice: null,
    adding: null,
    setOpen(open, adding = null) {
      set({ open, adding: open ? adding : null, choice: null });
      if (open) void get().refresh();
    },
    async refresh() {
      const v = await busy('Could not read the people library', () => bridge().invoke('people:list', undefined));
      if (v) set({ view: v });
    },
    async add(name, learn) {
      const before = new Set(get().view?.people.map((p) => p.person_id));
      const v = await busy('Could not add the person', () => bridge().invoke('people:add', { name, learn }));
      if (!v) return null;
      set({ view: v });
      return v.people.find((p) => !before.has(p.person_id))?.person_id ?? null;
    },
    async update(personId, change) {
      const v = await busy('Could not change the person', () => bridge().invoke('people:update', { personId, ...change }));
      if (v) set({ view: v });
    },
    async remove(personId) {
      const v = await busy('Could not remove the person', () => bridge().invoke('people:remove', { personId }));
      if (v) set({ view: v });
    },
    async enrolFiles(personId, files) {
      const images = files.filter(isImageFile);
      if (images.length < files.length) useApp.getState().toast({ kind: 'error', title: 'Only photos can be enrolled', detail: files.filter((f) => !isImageFile(f)).map((f) => f.name).join(', ') });
      // one photo at a time: a group photo stops the queue to ask which face
      for (const file of images) {
        const r = await busy(`${file.name}: not enrolled`, () => send(personId, file));
        enrolled(r, file, personId);
        if (r?.choose) return;
      }
    },
    async chooseFace(index) {
      const c = get().choice;
      set({ choice: null });
      if (!c || index === null) return;
      enrolled(await busy(`${c.file.name}: not enrolled`, () => send(c.personId, c.file, index)), null, c.personId);
    },
    async addIdentity(personId) {
      const a = get().adding;
      if (!a) return;
      const r = await busy('Could not add the faces', () => bridge().invoke('people:enrolIdentity', { personId, episodeId: a.episodeId, identityId: a.identityId }));
      enrolled(r, null, personId);
      if (r) set({ adding: null });
    },
    async exportLibrary() {
      const r = await busy('Export failed', () => bridge().invoke('people:export', undefined));
      if (!r) return;
      if (r.content !== null) {
        downloadText(r.fileName, r.content, 'application/json');
        useApp.getState().toast({ kind: 'success', title: `Exported ${r.fileName}` });
      } else if (r.savedPath) useApp.getState().toast({ kind: 'success', title: 'Exported', detail: r.savedPath });
    },
    async importFile(file) {
      const content = await file.text();
      const r = await busy(`${file.name}: not imported`, () => bridge().invoke('people:import', { fileName: file.name, content }));
      if (!r) return;
      const { peopleAdded, facesAdded, ...view } = r;
      set({ view });
      useApp.getState().toast({ kind: 'success', title: `Imported ${peopleAdded} people, ${facesAdded} faces` });
    },
  };
});
