// A timeout on active time: the thermal guard's pauses are the host's own doing and do not count,
// so the clock stops while the stage is paused and goes on from where it was.

export class ActiveTimeout {
  private remainingMs: number;
  private since = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    limitS: number,
    private readonly onTimeout: () => void,
  ) {
    this.remainingMs = limitS * 1000;
    this.resume();
  }

  /** Stops the clock (the stage is paused). */
  pause(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.remainingMs -= Date.now() - this.since;
  }

  /** Starts the clock again with the time that was left. */
  resume(): void {
    if (this.timer) return;
    this.since = Date.now();
    this.timer = setTimeout(this.onTimeout, Math.max(0, this.remainingMs));
  }

  /** The run has ended. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
