// One function per request channel of shared/ipc.ts RequestMap. Requests arrive here already
// validated (dispatch.ts); episode ids are looked up in the library, so only episodes the user
// added can be read, run, edited or exported (the allowlist).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddEpisodesResult, JobInfo, QueueStatus, RequestChannel, RequestOf, ResponseOf, Results } from '../../shared/ipc.js';
import { applyEdit, applyEdits, redoEdit, undoEdit } from '../../pipeline/review/edits.js';
import { trackBoxes, trackInfos } from '../library/tracks.js';
import { episodeDetail, exportContent, listEpisodes, readResults, summarize } from '../library/episodes.js';
import { deliver, segmentExportContent, showReportContent, showReportOf } from '../library/exports.js';
import type { LibraryEntry } from '../library/store.js';
import { checkSetup } from '../library/setup-check.js';
import { addPersonTo, enrolIdentityFrom, enrolPhotoBytes, learnsFromEpisodes, peopleView, removePersonFrom, updatePersonIn } from '../library/people.js';
import { exportLibrary, importLibrary } from '../../pipeline/people/transfer.js';
import type { BridgeContext, QueuePort, Session } from './types.js';

export type Handler<C extends RequestChannel> = (ctx: BridgeContext, session: Session, request: RequestOf<C>) => Promise<ResponseOf<C>>;
export type Handlers = { [C in RequestChannel]: Handler<C> };

export const QUEUE_NOT_CONFIGURED = 'Queue mode is not configured: set a Redis URL in Settings';
export const PICK_UNAVAILABLE = 'Folder picking is only available in the desktop app: type or paste the folder path instead';

async function broadcastLibrary(ctx: BridgeContext): Promise<void> {
  const list = await listEpisodes(ctx.library, ctx.runner.active());
  for (const s of ctx.sessions()) s.send('library:changed', list);
}

async function addPaths(ctx: BridgeContext, paths: string[]): Promise<AddEpisodesResult> {
  const { added, rejected } = await ctx.library.add(paths);
  const active = ctx.runner.active();
  const summaries = [];
  for (const e of added) summaries.push(await summarize(ctx.library, e, active));
  if (added.length) await broadcastLibrary(ctx);
  return { added: summaries, rejected };
}

function queueOrThrow(ctx: BridgeContext): QueuePort {
  const q = ctx.queue?.() ?? null;
  if (!q) throw new Error(QUEUE_NOT_CONFIGURED);
  return q;
}

function entry(ctx: BridgeContext, episodeId: string): LibraryEntry {
  return ctx.library.get(episodeId);
}

/** The host's Save dialog for this window (Electron), or undefined: the window downloads. */
function saverFor(ctx: BridgeContext, session: Session): ((fileName: string, content: string) => Promise<string | null>) | undefined {
  const save = ctx.saveExport;
  return save && ((fileName, content) => save(session, fileName, content));
}

export const handlers: Handlers = {
  'app:info': async (ctx) => ({ host: ctx.host, version: ctx.version, platform: ctx.platform, canPickFolder: !!ctx.pickPaths }),

  'app:check': async (ctx) => checkSetup({ env: { ...process.env, ...ctx.stageEnv } }),

  'library:list': async (ctx) => listEpisodes(ctx.library, ctx.runner.active()),

  'library:add': async (ctx, _s, req) => addPaths(ctx, req.paths),

  'library:pick': async (ctx, session) => {
    if (!ctx.pickPaths) throw new Error(PICK_UNAVAILABLE);
    const paths = await ctx.pickPaths(session);
    if (!paths || paths.length === 0) return { added: [], rejected: [] };
    return addPaths(ctx, paths);
  },

  'library:remove': async (ctx, _s, req) => {
    if (ctx.runner.active().some((r) => r.episodeId === req.episodeId)) {
      throw new Error(`${entry(ctx, req.episodeId).name} has a stage running: cancel it before removing the episode`);
    }
    await ctx.library.remove(req.episodeId);
    const list = await listEpisodes(ctx.library, ctx.runner.active());
    for (const s of ctx.sessions()) s.send('library:changed', list);
    return list;
  },

  'episode:get': async (ctx, _s, req) => episodeDetail(ctx.library, req.episodeId, ctx.runner.active()),

  'stage:run': async (ctx, session, req) => {
    const e = entry(ctx, req.episodeId);
    // The session id ties the run to this window: endSession() on close/reload kills it.
    const result = await ctx.runner.run(
      {
        episodeId: e.episodeId,
        episodeDir: e.dir,
        outDir: e.outDir,
        stage: req.stage,
        profile: req.profile,
        stride: req.stride,
        device: req.device,
        threads: req.threads,
        timeoutS: req.timeoutS,
        sessionId: session.id,
        episodeName: e.name,
        // cluster names identities from the people library chosen in Settings
        ...(req.stage === 'cluster' ? { peopleDir: ctx.settings.peopleDir() } : {}),
      },
      (ev) => session.send(ev.event, ev.payload),
    );
    await broadcastLibrary(ctx).catch(() => undefined);
    return result;
  },

  'stage:cancel': async (ctx, _s, req) => {
    entry(ctx, req.episodeId);
    return { cancelled: await ctx.runner.cancel(req.episodeId, req.stage) };
  },

  'results:get': async (ctx, _s, req) => readResults(ctx.library, req.episodeId),

  'results:edit': async (ctx, _s, req) =>
    reviewStep(ctx, req.episodeId, async (outDir) => {
      await applyEdit(outDir, req.edit);
      // an accepted name teaches the library, for the people whose faces the user lets it learn
      const edit = req.edit;
      if (edit.kind === 'person' && edit.decision === 'confirm' && learnsFromEpisodes(ctx.settings.peopleDir(), edit.personId)) {
        enrolIdentityFrom(ctx.settings.peopleDir(), edit.personId, outDir, edit.identityId, true);
      }
    }),

  'results:export': async (ctx, session, req) => {
    const e = entry(ctx, req.episodeId);
    const { fileName, content } = exportContent(e, readResults(ctx.library, req.episodeId), req.format);
    if (ctx.saveExport) {
      const savedPath = await ctx.saveExport(session, fileName, content);
      return { savedPath, fileName, content: null };
    }
    return { savedPath: null, fileName, content };
  },

  'results:export-segments': async (ctx, session, req) => {
    const file = segmentExportContent(entry(ctx, req.episodeId), req.format, req.person);
    return deliver(saverFor(ctx, session), file);
  },

  'report:show': async (ctx, _s, req) => showReportOf(req.episodeIds.map((id) => entry(ctx, id))),

  'report:export': async (ctx, session, req) => {
    const file = showReportContent(req.episodeIds.map((id) => entry(ctx, id)), req.format);
    return deliver(saverFor(ctx, session), file);
  },

  // get() masks the Redis password; only the queue binding reads it (SettingsStore.redisUrl).
  'settings:get': async (ctx) => ctx.settings.get(),

  'settings:set': async (ctx, _s, req) => ctx.settings.set(req),

  'queue:status': async (ctx): Promise<QueueStatus> => {
    const q = ctx.queue?.() ?? null;
    if (!q) return { available: false, configured: false, reachable: false, message: QUEUE_NOT_CONFIGURED };
    return q.status();
  },

  'queue:submit': async (ctx, _s, req): Promise<JobInfo[]> => {
    const q = queueOrThrow(ctx);
    const e = entry(ctx, req.episodeId);
    return q.submit({ episodeId: e.episodeId, episodeDir: e.dir, outDir: e.outDir, episodeName: e.name, stages: req.stages, profile: req.profile, stride: req.stride });
  },

  'queue:list': async (ctx) => queueOrThrow(ctx).list(),

  'queue:cancel': async (ctx, _s, req) => {
    const r = await queueOrThrow(ctx).cancel(req.jobId);
    return { cancelled: r.cancelled };
  },

  'queue:resubmit': async (ctx, _s, req) => queueOrThrow(ctx).resubmitLost(req.jobId),

  'people:list': async (ctx) => peopleView(ctx.settings.peopleDir()),

  'people:add': async (ctx, _s, req) => addPersonTo(ctx.settings.peopleDir(), req.name, req.show ?? null, req.learn ?? false),

  'people:update': async (ctx, _s, req) => updatePersonIn(ctx.settings.peopleDir(), req.personId, { name: req.name, locked: req.locked, learn: req.learn }),

  'people:remove': async (ctx, _s, req) => removePersonFrom(ctx.settings.peopleDir(), req.personId),

  'people:enrol': async (ctx, _s, req) => enrolPhotoBytes(ctx.settings.peopleDir(), req.personId, req.photo, req.face, ctx.stageEnv?.SCREENTIME_MODELS_DIR),

  'people:enrolIdentity': async (ctx, _s, req) => enrolIdentityFrom(ctx.settings.peopleDir(), req.personId, entry(ctx, req.episodeId).outDir, req.identityId),

  'people:export': async (ctx, session) => {
    const tmp = path.join(os.tmpdir(), `screentime-people-${process.pid}-${Date.now()}.json`);
    try {
      exportLibrary(ctx.settings.peopleDir(), tmp);
      const content = readFileSync(tmp, 'utf8');
      const fileName = 'people-library.json';
      if (ctx.saveExport) return { savedPath: await ctx.saveExport(session, fileName, content), fileName, content: null };
      return { savedPath: null, fileName, content };
    } finally {
      rmSync(tmp, { force: true });
    }
  },

  'people:import': async (ctx, _s, req) => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'screentime-import-'));
    try {
      const file = path.join(tmp, 'people.json');
      writeFileSync(file, req.content, { mode: 0o600 });
      let r;
      try {
        r = importLibrary(ctx.settings.peopleDir(), file);
      } catch (e) {
        throw new Error((e as Error).message.split(file).join(req.fileName), { cause: e });
      }
      return { ...peopleView(ctx.settings.peopleDir()), ...r };
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  },

  'results:edits': async (ctx, _s, req) => reviewStep(ctx, req.episodeId, (outDir) => applyEdits(outDir, req.edits)),

  'results:undo': async (ctx, _s, req) => reviewStep(ctx, req.episodeId, undoEdit),

  'results:redo': async (ctx, _s, req) => reviewStep(ctx, req.episodeId, redoEdit),

  'results:tracks': async (ctx, _s, req) => trackInfos(entry(ctx, req.episodeId).outDir, req.trackIds),

  'results:boxes': async (ctx, _s, req) => trackBoxes(entry(ctx, req.episodeId).outDir, req.trackIds),
};

/** An edit, undo or redo: refused while cluster or screentime runs on the episode, then the new results. */
async function reviewStep(ctx: BridgeContext, episodeId: string, step: (outDir: string) => Promise<unknown>): Promise<Results> {
  const e = entry(ctx, episodeId);
  if (ctx.runner.active().some((r) => r.episodeId === e.episodeId && (r.stage === 'cluster' || r.stage === 'screentime'))) {
    throw new Error(`${e.name}: wait until the running stage ends before editing`);
  }
  await step(e.outDir);
  return readResults(ctx.library, episodeId);
}
