// Thermal guard: pauses a local stage (SIGSTOP to its process group) while the machine is too hot
// and lets it go on (SIGCONT) once it has cooled down. The decision is a small pure state machine
// so it can be tested on its own; the runner applies it to the real tree once per readings tick.
//
// Pause when the thermal state is 'serious' or 'critical', or when the user's limit (degrees C)
// is reached. Resume only when the state is back to nominal/fair AND the temperature (when known)
// is at least `hysteresisC` below the point that caused the pause, so a machine hovering at the
// threshold does not flap between stopped and running every second. A sensor that disappears
// ('unavailable') releases the pause: holding a stage stopped forever on no information would be
// worse than running it capped at 2 threads.

import type { ThermalReading } from '../../shared/ipc.js';

export type GuardAction = { kind: 'pause'; reason: string } | { kind: 'resume'; reason: string } | null;

export interface ThermalGuardOptions {
  /** User temperature limit in C, or null. Read on every decision (settings may change). */
  limitC?: () => number | null;
  /** Degrees C below the pause point the machine must reach before resuming (default 5). */
  hysteresisC?: number;
}

const HOT_STATES = new Set<ThermalReading['state']>(['serious', 'critical']);

export class ThermalGuard {
  private paused = false;
  /** Temperature that triggered the pause (the limit, or the reading when the state tripped). */
  private resumeBelowC: number | null = null;
  private readonly hysteresisC: number;

  constructor(private readonly opts: ThermalGuardOptions = {}) {
    this.hysteresisC = opts.hysteresisC ?? 5;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Feeds one reading; returns what to do now (null: nothing changes). */
  decide(r: ThermalReading): GuardAction {
    const limit = this.opts.limitC?.() ?? null;
    const temp = r.maxTempC;
    const overLimit = limit !== null && temp !== null && temp >= limit;
    const hotState = HOT_STATES.has(r.state);
    if (!this.paused) {
      if (!hotState && !overLimit) return null;
      this.paused = true;
      const point = overLimit ? limit : temp;
      this.resumeBelowC = point === null ? null : point - this.hysteresisC;
      const what = overLimit ? `${fmt(temp)} reached the limit of ${limit} C` : `thermal state is ${r.state}${temp !== null ? ` (${fmt(temp)})` : ''}`;
      return { kind: 'pause', reason: what };
    }
    if (r.state === 'unavailable') {
      this.release();
      return { kind: 'resume', reason: 'the temperature sensor stopped reporting' };
    }
    if (hotState || overLimit) return null;
    if (temp !== null && this.resumeBelowC !== null && temp > this.resumeBelowC) return null;
    const why = temp !== null ? `cooled to ${fmt(temp)}` : `thermal state is ${r.state}`;
    this.release();
    return { kind: 'resume', reason: why };
  }

  private release(): void {
    this.paused = false;
    this.resumeBelowC = null;
  }
}

function fmt(c: number | null): string {
  return c === null ? '?' : `${Math.round(c * 10) / 10} C`;
}
