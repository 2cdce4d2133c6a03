// The app-wide CPU budget as bookkeeping (no processes): who holds threads, who waits, in which
// order, and that leaving the line leaves nothing behind. Real stage processes under the budget:
// local-runner.budget.test.ts.

import { describe, expect, it } from 'vitest';
import { CpuBudget, LOCAL_CPU_BUDGET_THREADS, appCpuBudget, type BudgetWaiter } from './cpu-budget.js';
import { budgetFreeLine, cancelledWaitingLine, ordinal, waitingLine } from './wait-messages.js';
import { LOCAL_MODE_MAX_THREADS } from '../../shared/stages.js';

/** A waiter that records what it hears. */
function recorder(): BudgetWaiter & { granted: number; places: number[] } {
  const w = {
    granted: 0,
    places: [] as number[],
    onGrant: () => void w.granted++,
    onPlace: (p: number) => void w.places.push(p),
  };
  return w;
}

describe('CpuBudget', () => {
  it('defaults to one stage at the local cap: 2 threads for the whole app', () => {
    expect(LOCAL_CPU_BUDGET_THREADS).toBe(2);
    expect(LOCAL_CPU_BUDGET_THREADS).toBe(LOCAL_MODE_MAX_THREADS);
    expect(appCpuBudget.totalThreads).toBe(2);
    expect(new CpuBudget().totalThreads).toBe(2);
  });

  it('grants at once while it fits; the next run at the cap waits 1st in line', () => {
    const b = new CpuBudget(2);
    const a = b.request(2, recorder());
    expect(a.granted).toBe(true);
    expect(a.place()).toBeNull();
    const w = recorder();
    const second = b.request(2, w);
    expect(second.granted).toBe(false);
    expect(second.place()).toBe(1);
    expect(b.threadsInUse()).toBe(2);
    expect(b.waitingCount()).toBe(1);
    a.release();
    expect(w.granted).toBe(1);
    expect(second.granted).toBe(true);
    expect(b.threadsInUse()).toBe(2);
    second.release();
    expect(b.threadsInUse()).toBe(0);
  });

  it('keeps order, tells each waiter its new place, and a small run does not jump a large one', () => {
    const b = new CpuBudget(2);
    const running = b.request(1, recorder());
    const big = recorder();
    const small = recorder();
    const tBig = b.request(2, big);
    // One thread is free, but the run ahead needs two: the one-thread run waits behind it.
    const tSmall = b.request(1, small);
    expect([tBig.place(), tSmall.place()]).toEqual([1, 2]);
    running.release();
    expect(big.granted).toBe(1);
    expect(small.granted).toBe(0);
    expect(small.places).toEqual([1]);
    tBig.release();
    expect(small.granted).toBe(1);
  });

  it('leaving the line grants nothing to the leaver and moves the others up', () => {
    const b = new CpuBudget(2);
    const running = b.request(2, recorder());
    const first = recorder();
    const second = recorder();
    const t1 = b.request(2, first);
    const t2 = b.request(2, second);
    t1.release();
    t1.release(); // idempotent
    expect(first.granted).toBe(0);
    expect(t1.place()).toBeNull();
    expect(t2.place()).toBe(1);
    expect(second.places).toEqual([1]);
    expect(b.waitingCount()).toBe(1);
    running.release();
    expect(first.granted).toBe(0);
    expect(second.granted).toBe(1);
    t2.release();
    expect(b.usage()).toEqual({ stages: 0, cpuPercent: null, threads: null, threadsInUse: 0, budgetThreads: 2, waiting: 0 });
  });

  it('a request larger than the whole budget takes all of it instead of waiting forever', () => {
    const b = new CpuBudget(2);
    const t = b.request(8, recorder());
    expect(t.granted).toBe(true);
    expect(t.threads).toBe(2);
    expect(b.request(1, recorder()).granted).toBe(false);
  });

  it('a waiter that throws does not break the line', () => {
    const b = new CpuBudget(1);
    const a = b.request(1, recorder());
    b.request(1, { onGrant: () => { throw new Error('boom'); }, onPlace: () => { throw new Error('boom'); } });
    const after = recorder();
    b.request(1, after);
    expect(() => a.release()).not.toThrow();
    expect(after.places).toEqual([1]);
  });

  it('a grant callback that ends another waiter keeps the books right', () => {
    const b = new CpuBudget(2);
    const running = b.request(2, recorder());
    const later = recorder();
    let tLater: ReturnType<CpuBudget['request']> | null = null;
    b.request(1, { onGrant: () => tLater?.release() });
    tLater = b.request(1, later);
    running.release();
    expect(later.granted).toBe(0);
    expect(b.threadsInUse()).toBe(1);
    expect(b.waitingCount()).toBe(0);
  });

  it('sums the latest use of every holder for the app-wide readings', () => {
    const b = new CpuBudget(4);
    const x = b.request(2, recorder());
    const y = b.request(2, recorder());
    x.report({ cpuPercent: 120, threads: 14 });
    expect(b.usage()).toMatchObject({ stages: 2, cpuPercent: 120, threads: 14, threadsInUse: 4, budgetThreads: 4 });
    y.report({ cpuPercent: 60, threads: null });
    expect(b.usage()).toMatchObject({ cpuPercent: 180, threads: 14 });
    x.release();
    expect(b.usage()).toMatchObject({ stages: 1, cpuPercent: 60, threads: null, threadsInUse: 2 });
  });

  it('refuses a budget that is not a whole number of threads', () => {
    expect(() => new CpuBudget(0)).toThrow(/whole number/);
    expect(() => new CpuBudget(1.5)).toThrow(/whole number/);
  });
});

describe('waiting words', () => {
  it('places read as ordinals', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].map(ordinal)).toEqual(['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '101st', '111th']);
  });
  it('log lines say where the run stands and why', () => {
    expect(waitingLine('detect_track', { place: 1, cpuThreads: 2, threadsInUse: 2, budgetThreads: 2 })).toBe(
      '[LOCAL MODE] detect_track waits for the CPU budget, 1st in line: it needs 2 threads and running stages hold 2 of 2. It starts by itself when they end.',
    );
    expect(budgetFreeLine(12.34)).toBe('[LOCAL MODE] CPU budget free after waiting 12.3s');
    expect(cancelledWaitingLine('cluster', 'cancelled by the user', 3)).toBe(
      '[LOCAL MODE] cluster cancelled while waiting for the CPU budget (after 3.0s), never started: cancelled by the user',
    );
  });
});
