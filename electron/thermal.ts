// Feeds Electron's power monitor into the runner's thermal source: thermal state (macOS) and
// CPU speed limit (macOS, Windows). Linux has neither; the runner reads sysfs there.

import type { PowerMonitor } from 'electron';
import type { ExternalThermalSource } from '../host/readings/thermal.js';
import type { ThermalState } from '../host/readings/types.js';

export function toThermalState(s: string): ThermalState {
  return s === 'nominal' || s === 'fair' || s === 'serious' || s === 'critical' ? s : 'unavailable';
}

export function feedThermal(pm: PowerMonitor, source: ExternalThermalSource, platform: NodeJS.Platform): () => void {
  const offs: Array<() => void> = [];
  if (platform === 'darwin') {
    try {
      source.set({ state: toThermalState(pm.getCurrentThermalState()) });
    } catch {
      /* older macOS: stays 'unavailable' until an event arrives */
    }
    const onState = (details: { state: string }) => source.set({ state: toThermalState(details.state) });
    pm.on('thermal-state-change', onState);
    offs.push(() => pm.off('thermal-state-change', onState));
  }
  if (platform === 'darwin' || platform === 'win32') {
    const onLimit = (details: { limit: number }) => source.set({ speedLimit: Number.isFinite(details.limit) ? details.limit : null });
    pm.on('speed-limit-change', onLimit);
    offs.push(() => pm.off('speed-limit-change', onLimit));
  }
  return () => offs.forEach((f) => f());
}
