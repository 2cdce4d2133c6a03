// Runtime schemas of every request the window may send to the main process (or the browser
// host). The main side validates each payload with these before anything else happens; the
// request TYPES in ipc.ts are inferred from them, so the two can never drift apart.

import { z } from 'zod';
import { PROFILES, STAGES } from './stages.js';

const episodeId = z.string().regex(/^[a-f0-9]{16}$/, 'episode id must be 16 hex characters');
const stage = z.enum(STAGES);

export const EditSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('rename'), identityId: z.number().int().nonnegative(), label: z.string().trim().min(1).max(120) }),
  z.object({ kind: z.literal('merge'), identityIds: z.array(z.number().int().nonnegative()).min(2).max(1000) }),
  z.object({ kind: z.literal('split'), trackId: z.number().int().nonnegative() }),
  z.object({ kind: z.literal('ignore'), identityId: z.number().int().nonnegative(), ignored: z.boolean() }),
  // an unsure track given to a person (identityId) or made a person of its own (null)
  z.object({ kind: z.literal('assign'), trackId: z.number().int().nonnegative(), identityId: z.number().int().nonnegative().nullable() }),
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
      stride: z.number().int().min(1).max(120).optional(),
      device: z.literal('cpu').optional(),
      threads: z.number().int().min(1).max(64).optional(),
      timeoutS: z.number().positive().max(7 * 24 * 3600).optional(),
    })
    .strict(),
  'stage:cancel': z.object({ episodeId, stage }).strict(),
  'results:get': z.object({ episodeId }).strict(),
  'results:edit': z.object({ episodeId, edit: EditSchema }).strict(),
  'results:export': z.object({ episodeId, format: z.enum(['csv', 'json']) }).strict(),
  'settings:get': z.void(),
  'settings:set': z
    .object({
      redisUrl: z.string().max(2048).nullable().optional(),
      thermalLimitC: z.number().min(40).max(110).nullable().optional(),
      theme: z.enum(['system', 'light', 'dark']).optional(),
    })
    .strict(),
  'queue:status': z.void(),
  'queue:submit': z
    .object({ episodeId, stages: z.array(stage).min(1).max(4), profile: z.enum(PROFILES), stride: z.number().int().min(1).max(120).optional() })
    .strict(),
  'queue:list': z.void(),
  'queue:cancel': z.object({ jobId: z.string().min(1).max(200) }).strict(),
  'queue:resubmit': z.object({ jobId: z.string().min(1).max(200) }).strict(),
  // several edits as one undo step (a bulk assign of unsure tracks)
  'results:edits': z.object({ episodeId, edits: z.array(EditSchema).min(1).max(500) }).strict(),
  'results:undo': z.object({ episodeId }).strict(),
  'results:redo': z.object({ episodeId }).strict(),
  'results:tracks': z.object({ episodeId, trackIds: trackIds(5000) }).strict(),
  'results:boxes': z.object({ episodeId, trackIds: trackIds(1000) }).strict(),
} as const;
