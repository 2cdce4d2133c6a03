// Runtime schemas of every request the window may send to the main process (or the browser
// host). The main side validates each payload with these before anything else happens; the
// request TYPES in ipc.ts are inferred from them, so the two can never drift apart.

import { z } from 'zod';
import { MAX_STRIDE, MAX_THREADS, PROFILES, STAGES } from './stages.js';

const episodeId = z.string().regex(/^[a-f0-9]{16}$/, 'episode id must be 16 hex characters');
const stage = z.enum(STAGES);
const personId = z.string().regex(/^p_[a-z0-9]{1,32}$/, 'person id must look like p_...');
const personName = z.string().trim().min(1).max(120);
/** A photo to enrol: 15 MB of image as base64 (the browser host takes messages up to 32 MB). */
const MAX_PHOTO_BASE64 = 20_000_000;
/** An export file to import in the window (chips inside); larger libraries: `screentime people import`. */
const MAX_IMPORT_CHARS = 30_000_000;

export const EditSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('rename'), identityId: z.number().int().nonnegative(), label: z.string().trim().min(1).max(120) }),
  z.object({ kind: z.literal('merge'), identityIds: z.array(z.number().int().nonnegative()).min(2).max(1000) }),
  z.object({ kind: z.literal('split'), trackId: z.number().int().nonnegative() }),
  z.object({ kind: z.literal('ignore'), identityId: z.number().int().nonnegative(), ignored: z.boolean() }),
  // an unsure track given to a person (identityId) or made a person of its own (null)
  z.object({ kind: z.literal('assign'), trackId: z.number().int().nonnegative(), identityId: z.number().int().nonnegative().nullable() }),
  // the people library's suggestion for an identity accepted (with the person's name) or rejected
  z.object({ kind: z.literal('person'), identityId: z.number().int().nonnegative(), personId: personId, decision: z.enum(['confirm', 'reject']), label: z.string().trim().min(1).max(120).optional() }),
  // a track of a person moved to another person (identityId) or made a person of its own (null)
  z.object({ kind: z.literal('move'), trackId: z.number().int().nonnegative(), identityId: z.number().int().nonnegative().nullable() }),
]);

const trackIds = (max: number) => z.array(z.number().int().nonnegative()).min(1).max(max);

export const requestSchemas = {
  'app:info': z.void(),
  'app:check': z.void(),
  'library:list': z.void(),
  'library:add': z.object({ paths: z.array(z.string().min(1).max(4096)).min(1).max(200) }).strict(),
  'library:pick': z.void(),
  'library:remove': z.object({ episodeId }).strict(),
  'episode:get': z.object({ episodeId }).strict(),
  'stage:run': z
    .object({
      episodeId,
      stage,
      profile: z.enum(PROFILES),
      stride: z.number().int().min(1).max(MAX_STRIDE).optional(),
      device: z.literal('cpu').optional(),
      threads: z.number().int().min(1).max(MAX_THREADS).optional(),
      timeoutS: z.number().positive().max(7 * 24 * 3600).optional(),
    })
    .strict(),
  'stage:cancel': z.object({ episodeId, stage }).strict(),
  'results:get': z.object({ episodeId }).strict(),
  'results:edit': z.object({ episodeId, edit: EditSchema }).strict(),
  'results:export': z.object({ episodeId, format: z.enum(['csv', 'json']) }).strict(),
  // per-person segments for editing tools; `person`: one person's shown name (default everyone)
  'results:export-segments': z.object({ episodeId, format: z.enum(['edl', 'markers-csv']), person: z.string().trim().min(1).max(120).optional() }).strict(),
  'report:show': z.object({ episodeIds: z.array(episodeId).min(1).max(500) }).strict(),
  'report:export': z.object({ episodeIds: z.array(episodeId).min(1).max(500), format: z.enum(['csv', 'json']) }).strict(),
  'settings:get': z.void(),
  'settings:set': z
    .object({
      redisUrl: z.string().max(2048).nullable().optional(),
      thermalLimitC: z.number().min(40).max(110).nullable().optional(),
      theme: z.enum(['system', 'light', 'dark']).optional(),
      peopleDir: z.string().trim().min(1).max(4096).nullable().optional(),
    })
    .strict(),
  'queue:status': z.void(),
  'queue:submit': z
    .object({ episodeId, stages: z.array(stage).min(1).max(4), profile: z.enum(PROFILES), stride: z.number().int().min(1).max(MAX_STRIDE).optional() })
    .strict(),
  'queue:list': z.void(),
  'queue:cancel': z.object({ jobId: z.string().min(1).max(200) }).strict(),
  'queue:resubmit': z.object({ jobId: z.string().min(1).max(200) }).strict(),
  'people:list': z.void(),
  'people:add': z.object({ name: personName, show: z.string().trim().max(120).nullable().optional(), learn: z.boolean().optional() }).strict(),
  'people:update': z.object({ personId, name: personName.optional(), locked: z.boolean().optional(), learn: z.boolean().optional() }).strict(),
  'people:remove': z.object({ personId }).strict(),
  'people:enrol': z
    .object({
      personId,
      // base64 of the photo's bytes (a drop or a file chooser in a browser gives no path); one
      // photo per request, so "which face?" concerns one photo and a message stays small
      photo: z.object({ name: z.string().min(1).max(255), data: z.string().min(1).max(MAX_PHOTO_BASE64) }).strict(),
      /** 1-based face of the photo, after the window asked which. */
      face: z.number().int().min(1).max(1000).optional(),
    })
    .strict(),
  'people:enrolIdentity': z.object({ personId, episodeId, identityId: z.number().int().nonnegative() }).strict(),
  'people:export': z.void(),
  'people:import': z.object({ fileName: z.string().min(1).max(255), content: z.string().min(2).max(MAX_IMPORT_CHARS) }).strict(),
  // several edits as one undo step (a bulk assign of unsure tracks)
  'results:edits': z.object({ episodeId, edits: z.array(EditSchema).min(1).max(500) }).strict(),
  'results:undo': z.object({ episodeId }).strict(),
  'results:redo': z.object({ episodeId }).strict(),
  'results:tracks': z.object({ episodeId, trackIds: trackIds(5000) }).strict(),
  'results:boxes': z.object({ episodeId, trackIds: trackIds(1000) }).strict(),
} as const;
