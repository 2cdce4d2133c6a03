// Stage name -> stage function. Each module loads on demand (a literal import() per stage, so the
// compiler still checks it): `screentime stage cluster` does not pay for ONNX Runtime or tfjs.

import type { StageName } from '../../shared/stages.js';
import type { StageFn } from './stage.js';

export const STAGE_LOADERS: Record<StageName, () => Promise<StageFn>> = {
  detect_track: async () => (await import('../stages/detect-track.js')).detectTrack,
  faces_embed: async () => (await import('../stages/faces-embed.js')).facesEmbed,
  cluster: async () => (await import('../stages/cluster.js')).clusterStage,
  screentime: async () => (await import('../stages/screentime.js')).screentimeStage,
};

export function loadStage(stage: StageName): Promise<StageFn> {
  return STAGE_LOADERS[stage]();
}
