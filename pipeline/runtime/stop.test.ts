import { describe, expect, it } from 'vitest';
import { CANCEL_GRACE_MS, CLEANUP_BUDGET_MS, REPEAT_INTERRUPT_GAP_MS, STOP_GRACE_MS, createStopPolicy, type StopCause } from './stop.js';

/** Feeds causes at given times (ms) and returns what each one meant. */
function play(events: Array<[number, StopCause]>): string[] {
  let t = 0;
  const decide = createStopPolicy(() => t);
  return events.map(([at, cause]) => {
    t = at;
    return decide(cause);
  });
}

describe('stop policy: one stop is one request, whatever reaches the process', () => {
  it('the first cause of any kind cancels', () => {
    for (const cause of ['SIGTERM', 'SIGINT', 'SIGHUP', 'parent-gone'] as const) expect(play([[0, cause]])).toEqual(['cancel']);
  });

  it('killTree-style stop: SIGTERM to the group and to the leader is one request', () => {
    expect(play([[0, 'SIGTERM'], [1, 'SIGTERM']])).toEqual(['cancel', 'ignore']);
  });

  it('a parent that dies: stdin end, EPIPE on stdout and on stderr are one request, at any spacing', () => {
    expect(play([[0, 'parent-gone'], [2, 'parent-gone'], [900, 'parent-gone']])).toEqual(['cancel', 'ignore', 'ignore']);
  });

  it('repeated SIGTERM / SIGHUP never exits at once, however late', () => {
    expect(play([[0, 'SIGTERM'], [5_000, 'SIGTERM'], [10_000, 'SIGHUP'], [20_000, 'parent-gone']])).toEqual(['cancel', 'ignore', 'ignore', 'ignore']);
  });

  it('one Ctrl-C delivered twice (terminal + forwarding wrapper) is one request', () => {
    expect(play([[0, 'SIGINT'], [3, 'SIGINT'], [REPEAT_INTERRUPT_GAP_MS - 1, 'SIGINT']])).toEqual(['cancel', 'ignore', 'ignore']);
  });

  it('a user pressing Ctrl-C again, later, may exit at once', () => {
    expect(play([[0, 'SIGINT'], [REPEAT_INTERRUPT_GAP_MS, 'SIGINT']])).toEqual(['cancel', 'exit-now']);
    expect(play([[0, 'SIGINT'], [10, 'SIGINT'], [2_000, 'SIGINT']])).toEqual(['cancel', 'ignore', 'exit-now']);
  });

  it('a SIGINT after a stop that came from elsewhere is part of that stop; a later second one is not', () => {
    expect(play([[0, 'SIGTERM'], [1_000, 'SIGINT'], [2_000, 'SIGINT']])).toEqual(['cancel', 'ignore', 'exit-now']);
    expect(play([[0, 'parent-gone'], [1_000, 'SIGINT']])).toEqual(['cancel', 'ignore']);
  });
});

describe('stop budget', () => {
  it('the parent grace covers the stage backstop plus its clean-up', () => {
    expect(STOP_GRACE_MS).toBe(CANCEL_GRACE_MS + CLEANUP_BUDGET_MS);
    expect(CLEANUP_BUDGET_MS).toBeGreaterThan(0);
  });
});
