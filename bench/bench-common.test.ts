import { describe, expect, it } from 'vitest';
import { cpuFloorSeconds } from './bench-common.js';

describe('cpuFloorSeconds', () => {
  it('is the busier side when one side outweighs the other', () => {
    expect(cpuFloorSeconds(12, 22, 2)).toEqual({ own_cpu_s: 12, rest_cpu_s: 10, floor_s: 12 });
    expect(cpuFloorSeconds(5, 20, 2)).toEqual({ own_cpu_s: 5, rest_cpu_s: 15, floor_s: 15 });
  });

  it('is the total over the cores when the sides are even', () => {
    expect(cpuFloorSeconds(10, 20, 2).floor_s).toBe(10);
    expect(cpuFloorSeconds(10, 20, 1).floor_s).toBe(20);
    // more cores than sides: a side still runs on one thread at a time
    expect(cpuFloorSeconds(5, 10, 4).floor_s).toBe(5);
  });

  it('never counts more for the process than for its whole tree', () => {
    expect(cpuFloorSeconds(21, 20, 2)).toEqual({ own_cpu_s: 20, rest_cpu_s: 0, floor_s: 20 });
    expect(cpuFloorSeconds(-1, 8, 2)).toEqual({ own_cpu_s: 0, rest_cpu_s: 8, floor_s: 8 });
  });
});
