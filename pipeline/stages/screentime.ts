// screentime: identities + tracks + shots -> seconds on screen per identity (ignored identities
// excluded). Writes screentime.json and screentime.csv (docs/pipeline-identities.md).

import path from 'node:path';
import { ARTIFACT_FILES } from '../../shared/artifacts.js';
import { readIdentities, readShots, readTracks } from '../cluster/io.js';
import { writeFileAtomic, writeJsonAtomic } from '../runtime/atomic.js';
import type { StageContext, StageFn } from '../runtime/stage.js';
import { computeScreentime, screentimeCsv } from '../screentime/compute.js';
import { defaultGapTolerance, episodeScreentimeParams } from '../screentime/params.js';

export async function runScreentime(ctx: StageContext, gapToleranceS = defaultGapTolerance(ctx.manifest)): Promise<Record<string, number | string | boolean | null>> {
  const { identities } = readIdentities(ctx.outDir);
  const tracks = readTracks(ctx.outDir);
  const shots = readShots(ctx.outDir);
  ctx.progress(0, identities.length);
  const params = episodeScreentimeParams(ctx.manifest, gapToleranceS);
  const st = computeScreentime(identities, tracks, shots, params);
  if (ctx.signal.aborted) throw ctx.signal.reason;
  writeJsonAtomic(path.join(ctx.outDir, ARTIFACT_FILES.screentime), st);
  writeFileAtomic(path.join(ctx.outDir, ARTIFACT_FILES.screentimeCsv), screentimeCsv(st));
  ctx.progress(identities.length, identities.length);
  const total = st.identities.reduce((s, r) => s + r.visible_s, 0);
  const top = st.identities.slice(0, 5).map((r) => `${r.label ?? `#${r.identity_id}`} ${r.visible_s.toFixed(1)}s`).join(', ');
  ctx.log(`screentime: ${st.identities.length} identities (${identities.length - st.identities.length} ignored), ${total.toFixed(1)} person-seconds; ${top}`);
  return {
    identities: st.identities.length,
    ignored: identities.length - st.identities.length,
    person_seconds: Math.round(total * 1000) / 1000,
    half_step_s: Math.round(params.halfStepS * 10000) / 10000,
    gap_tolerance_s: gapToleranceS,
    shots: shots.length,
  };
}

export const screentimeStage: StageFn = (ctx) => runScreentime(ctx);
