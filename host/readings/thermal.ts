// How hot the machine is, as one ThermalReading.
//
// Linux: sysfs thermal zones (/sys/class/thermal/thermal_zone*/temp, millidegrees C, with trip
// points) and hwmon sensors (/sys/class/hwmon/hwmon*/temp*_input, with _crit/_max). Many VMs have
// neither: that reads state 'unavailable' with maxTempC null, never a made-up 0.
// macOS / Windows: the Electron adapter feeds powerMonitor's thermal state and CPU speed limit
// into an ExternalThermalSource (this module never imports electron).

import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ThermalReading, ThermalSource, ThermalState } from './types.js';

export interface Thresholds {
  /** Degrees C at or above which the state is 'fair' / 'serious' / 'critical'. */
  fair: number;
  serious: number;
  critical: number;
}

/** Used when a sensor has no trip points of its own; typical laptop CPU throttling starts at 90-100 C. */
export const DEFAULT_THRESHOLDS: Thresholds = { fair: 70, serious: 85, critical: 95 };

/** Trip points of one sensor, degrees C; any may be missing. */
export interface Trips {
  critical?: number;
  hot?: number;
  passive?: number;
  max?: number;
}

export interface SensorReading {
  name: string;
  tempC: number;
  trips: Trips;
}

const ORDER: ThermalState[] = ['unavailable', 'nominal', 'fair', 'serious', 'critical'];

export function worseState(a: ThermalState, b: ThermalState): ThermalState {
  return ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b;
}

/**
 * Thresholds for one sensor: its own trip points where it has them (the firmware knows the part),
 * else the defaults. 'serious' is where the firmware starts to throttle (hot / passive / max).
 */
export function thresholdsFor(trips: Trips, defaults: Thresholds = DEFAULT_THRESHOLDS): Thresholds {
  const critical = trips.critical ?? defaults.critical;
  const throttle = [trips.hot, trips.passive, trips.max].filter((v): v is number => v !== undefined && v < critical);
  const serious = throttle.length ? Math.min(...throttle) : Math.min(defaults.serious, critical - 10);
  const fair = Math.min(defaults.fair, serious - 10);
  return { fair, serious, critical };
}

/** Maps one temperature to a state. Pure. */
export function classifyTemp(tempC: number, t: Thresholds): ThermalState {
  if (tempC >= t.critical) return 'critical';
  if (tempC >= t.serious) return 'serious';
  if (tempC >= t.fair) return 'fair';
  return 'nominal';
}

/** Plausible sensor value? Unpopulated zones read 0 or garbage; those are not readings. */
export function plausibleTempC(c: number): boolean {
  return Number.isFinite(c) && c > 0 && c < 150;
}

/** Combines sensor readings into one ThermalReading (worst state, hottest sensor). Pure. */
export function summarise(sensors: SensorReading[], source: string, defaults: Thresholds = DEFAULT_THRESHOLDS): ThermalReading {
  let state: ThermalState = 'unavailable';
  let maxTempC: number | null = null;
  for (const s of sensors) {
    if (!plausibleTempC(s.tempC)) continue;
    state = worseState(state, classifyTemp(s.tempC, thresholdsFor(s.trips, defaults)));
    if (maxTempC === null || s.tempC > maxTempC) maxTempC = s.tempC;
  }
  return { state, maxTempC: maxTempC === null ? null : Math.round(maxTempC * 10) / 10, speedLimit: null, source };
}

async function readText(p: string): Promise<string | null> {
  try {
    return (await readFile(p, 'utf8')).trim();
  } catch {
    return null;
  }
}

async function readMilliC(p: string): Promise<number | null> {
  const t = await readText(p);
  if (t === null || !/^-?\d+$/.test(t)) return null;
  return Number(t) / 1000;
}

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/** Reads every thermal zone and hwmon temperature under `root` (normally /sys). */
export async function readSysfsSensors(root: string): Promise<SensorReading[]> {
  const out: SensorReading[] = [];
  const thermalDir = path.join(root, 'class', 'thermal');
  for (const zone of (await list(thermalDir)).filter((n) => /^thermal_zone\d+$/.test(n)).sort()) {
    const dir = path.join(thermalDir, zone);
    const tempC = await readMilliC(path.join(dir, 'temp'));
    if (tempC === null) continue;
    const type = (await readText(path.join(dir, 'type'))) ?? zone;
    const trips: Trips = {};
    const files = await list(dir);
    for (const f of files) {
      const m = /^trip_point_(\d+)_type$/.exec(f);
      if (!m) continue;
      const kind = await readText(path.join(dir, f));
      const t = await readMilliC(path.join(dir, `trip_point_${m[1]}_temp`));
      if (t === null || !plausibleTempC(t)) continue;
      if (kind === 'critical' || kind === 'hot' || kind === 'passive') {
        // Several trips of a kind: the lowest one is where that behaviour begins.
        trips[kind] = Math.min(trips[kind] ?? Infinity, t);
      }
    }
    out.push({ name: `${zone}:${type}`, tempC, trips });
  }
  const hwmonDir = path.join(root, 'class', 'hwmon');
  for (const hw of (await list(hwmonDir)).filter((n) => /^hwmon\d+$/.test(n)).sort()) {
    const dir = path.join(hwmonDir, hw);
    const name = (await readText(path.join(dir, 'name'))) ?? hw;
    for (const f of (await list(dir)).sort()) {
      const m = /^temp(\d+)_input$/.exec(f);
      if (!m) continue;
      const tempC = await readMilliC(path.join(dir, f));
      if (tempC === null) continue;
      const trips: Trips = {};
      const crit = await readMilliC(path.join(dir, `temp${m[1]}_crit`));
      const max = await readMilliC(path.join(dir, `temp${m[1]}_max`));
      if (crit !== null && plausibleTempC(crit)) trips.critical = crit;
      if (max !== null && plausibleTempC(max)) trips.max = max;
      out.push({ name: `${hw}:${name}:temp${m[1]}`, tempC, trips });
    }
  }
  return out;
}

/** Linux sysfs thermal reader; `root` is injectable so tests can point it at a fake tree. */
export class SysfsThermalSource implements ThermalSource {
  private readonly root: string;
  private readonly defaults: Thresholds;

  constructor(opts: { root?: string; thresholds?: Thresholds } = {}) {
    this.root = opts.root ?? '/sys';
    this.defaults = opts.thresholds ?? DEFAULT_THRESHOLDS;
  }

  async read(): Promise<ThermalReading> {
    try {
      return summarise(await readSysfsSensors(this.root), 'sysfs', this.defaults);
    } catch {
      return { state: 'unavailable', maxTempC: null, speedLimit: null, source: 'sysfs' };
    }
  }
}

/**
 * A source fed from outside: the Electron adapter calls `set` from powerMonitor's
 * 'thermal-state-change' (macOS) and 'speed-limit-change' (macOS, Windows); tests feed it too.
 * Until fed it reads 'unavailable'. With a `fallback` (e.g. sysfs on Linux) the fed state and
 * speed limit are combined with the fallback's temperature.
 */
export class ExternalThermalSource implements ThermalSource {
  private current: ThermalReading;

  constructor(
    private readonly source = 'external',
    private readonly fallback: ThermalSource | null = null,
  ) {
    this.current = { state: 'unavailable', maxTempC: null, speedLimit: null, source };
  }

  set(values: Partial<Omit<ThermalReading, 'source'>>): void {
    this.current = { ...this.current, ...values, source: this.source };
  }

  async read(): Promise<ThermalReading> {
    if (!this.fallback) return { ...this.current };
    const fb = await this.fallback.read();
    return {
      state: worseState(this.current.state, fb.state),
      maxTempC: this.current.maxTempC ?? fb.maxTempC,
      speedLimit: this.current.speedLimit ?? fb.speedLimit,
      source: fb.state === 'unavailable' ? this.source : `${this.source}+${fb.source}`,
    };
  }
}

/** The default source for this platform, for hosts that have nothing better (no Electron). */
export function defaultThermalSource(): ThermalSource {
  return process.platform === 'linux' ? new SysfsThermalSource() : new ExternalThermalSource('none');
}
