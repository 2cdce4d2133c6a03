// The Linux sysfs thermal reader against fake sysfs trees (this machine has no sensors at all),
// plus the pure classification and the externally fed source.

import { mkdirSync, mkdtempSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_THRESHOLDS,
  ExternalThermalSource,
  SysfsThermalSource,
  classifyTemp,
  readSysfsSensors,
  summarise,
  thresholdsFor,
} from './thermal.js';

function fakeSys(): string {
  return mkdtempSync(path.join(tmpdir(), 'fake-sys-'));
}
function put(root: string, rel: string, text: string): void {
  const p = path.join(root, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text + '\n');
}
function zone(root: string, i: number, type: string, milliC: number, trips: Array<[string, number]> = []): void {
  put(root, `class/thermal/thermal_zone${i}/type`, type);
  put(root, `class/thermal/thermal_zone${i}/temp`, String(milliC));
  trips.forEach(([kind, t], j) => {
    put(root, `class/thermal/thermal_zone${i}/trip_point_${j}_type`, kind);
    put(root, `class/thermal/thermal_zone${i}/trip_point_${j}_temp`, String(t));
  });
}

describe('classification (pure)', () => {
  it('maps temperatures to states with the default thresholds', () => {
    const t = DEFAULT_THRESHOLDS;
    expect(classifyTemp(45, t)).toBe('nominal');
    expect(classifyTemp(70, t)).toBe('fair');
    expect(classifyTemp(85, t)).toBe('serious');
    expect(classifyTemp(99, t)).toBe('critical');
  });

  it('uses a sensor\'s own trip points where it has them', () => {
    expect(thresholdsFor({ critical: 105, passive: 95 })).toEqual({ fair: 70, serious: 95, critical: 105 });
    expect(thresholdsFor({ critical: 80 })).toEqual({ fair: 60, serious: 70, critical: 80 });
    expect(thresholdsFor({ max: 75, critical: 90 })).toEqual({ fair: 65, serious: 75, critical: 90 });
    // A passive trip above critical makes no sense and is ignored.
    expect(thresholdsFor({ critical: 90, passive: 120 }).serious).toBe(80);
  });

  it('summarises to the worst state and the hottest sensor; no valid sensor -> unavailable/null', () => {
    expect(summarise([], 'x')).toEqual({ state: 'unavailable', maxTempC: null, speedLimit: null, source: 'x' });
    expect(summarise([{ name: 'a', tempC: 0, trips: {} }], 'x').maxTempC).toBeNull();
    const r = summarise(
      [
        { name: 'a', tempC: 60, trips: {} },
        { name: 'b', tempC: 72.25, trips: { critical: 75 } }, // serious for b: 65
      ],
      'x',
    );
    expect(r.state).toBe('serious');
    expect(r.maxTempC).toBe(72.3);
  });
});

describe('SysfsThermalSource on fake sysfs trees', () => {
  it('reads thermal zones with trip points', async () => {
    const root = fakeSys();
    zone(root, 0, 'acpitz', 41000, [['critical', 105000]]);
    zone(root, 1, 'x86_pkg_temp', 88500, [['passive', 95000], ['critical', 100000]]);
    const sensors = await readSysfsSensors(root);
    expect(sensors.map((s) => s.name)).toEqual(['thermal_zone0:acpitz', 'thermal_zone1:x86_pkg_temp']);
    expect(sensors[1]!.trips).toEqual({ passive: 95, critical: 100 });
    const r = await new SysfsThermalSource({ root }).read();
    // 88.5 C is below the package's own passive trip (95), so only 'fair', not 'serious'.
    expect(r).toEqual({ state: 'fair', maxTempC: 88.5, speedLimit: null, source: 'sysfs' });
    writeFileSync(path.join(root, 'class/thermal/thermal_zone1/temp'), '96000\n');
    expect((await new SysfsThermalSource({ root }).read()).state).toBe('serious');
    writeFileSync(path.join(root, 'class/thermal/thermal_zone1/temp'), '101000\n');
    expect((await new SysfsThermalSource({ root }).read()).state).toBe('critical');
  });

  it('reads hwmon temp*_input with _crit / _max, alongside zones', async () => {
    const root = fakeSys();
    put(root, 'class/hwmon/hwmon0/name', 'coretemp');
    put(root, 'class/hwmon/hwmon0/temp1_input', '52000');
    put(root, 'class/hwmon/hwmon0/temp1_max', '84000');
    put(root, 'class/hwmon/hwmon0/temp1_crit', '100000');
    put(root, 'class/hwmon/hwmon0/temp2_input', '86000');
    put(root, 'class/hwmon/hwmon0/temp2_max', '84000');
    put(root, 'class/hwmon/hwmon0/temp2_crit', '100000');
    put(root, 'class/hwmon/hwmon1/name', 'nvme');
    put(root, 'class/hwmon/hwmon1/temp1_input', '38850');
    const sensors = await readSysfsSensors(root);
    expect(sensors).toHaveLength(3);
    const r = await new SysfsThermalSource({ root }).read();
    expect(r.maxTempC).toBe(86);
    expect(r.state).toBe('serious'); // over its own max (84)
  });

  it('no sensor at all (this VM): unavailable with maxTempC null, never 0', async () => {
    const empty = fakeSys();
    mkdirSync(path.join(empty, 'class/thermal'), { recursive: true }); // present but empty, no hwmon
    expect(await new SysfsThermalSource({ root: empty }).read()).toEqual({ state: 'unavailable', maxTempC: null, speedLimit: null, source: 'sysfs' });
    expect((await new SysfsThermalSource({ root: path.join(empty, 'nope') }).read()).maxTempC).toBeNull();
    // Unpopulated or garbage sensors are not readings either.
    const junk = fakeSys();
    zone(junk, 0, 'unknown', 0);
    put(junk, 'class/thermal/thermal_zone1/temp', 'N/A');
    put(junk, 'class/hwmon/hwmon0/temp1_input', '-273000');
    expect((await new SysfsThermalSource({ root: junk }).read()).state).toBe('unavailable');
  });

  it('the real /sys of this machine reads without throwing, and unavailable when it has no sensor', async () => {
    const r = await new SysfsThermalSource().read();
    const hasZones = existsSync('/sys/class/thermal') && readdirSync('/sys/class/thermal').some((n) => n.startsWith('thermal_zone'));
    const hasHwmon = existsSync('/sys/class/hwmon') && readdirSync('/sys/class/hwmon').length > 0;
    if (!hasZones && !hasHwmon) expect(r).toEqual({ state: 'unavailable', maxTempC: null, speedLimit: null, source: 'sysfs' });
    else expect(['nominal', 'fair', 'serious', 'critical', 'unavailable']).toContain(r.state);
  });
});

describe('ExternalThermalSource', () => {
  it('reads unavailable until fed, then what it was fed (powerMonitor on macOS)', async () => {
    const s = new ExternalThermalSource('powerMonitor');
    expect(await s.read()).toEqual({ state: 'unavailable', maxTempC: null, speedLimit: null, source: 'powerMonitor' });
    s.set({ state: 'serious' });
    s.set({ speedLimit: 70 });
    expect(await s.read()).toEqual({ state: 'serious', maxTempC: null, speedLimit: 70, source: 'powerMonitor' });
  });

  it('combines a fed state with a fallback sensor\'s temperature (worst state wins)', async () => {
    const root = fakeSys();
    zone(root, 0, 'cpu', 90000, [['critical', 100000]]);
    const s = new ExternalThermalSource('powerMonitor', new SysfsThermalSource({ root }));
    s.set({ state: 'nominal', speedLimit: 100 });
    expect(await s.read()).toEqual({ state: 'serious', maxTempC: 90, speedLimit: 100, source: 'powerMonitor+sysfs' });
  });
});
