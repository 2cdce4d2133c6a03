// Coalescing rate limit for the live events of one run (progress + readings together): at most one
// emission per `minGapMs`, and for each key only the newest value is kept while waiting. A window
// never needs 60 progress events a second; it needs the latest one, soon.

export class EventThrottle<K extends string = string> {
  private readonly pending = new Map<K, () => void>();
  private last = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** How many emissions happened (tests, diagnostics). */
  emitted = 0;

  constructor(
    private readonly minGapMs = 100,
    private readonly now: () => number = Date.now,
  ) {}

  /** Queues `emit` under `key`, replacing an older value of the same key that has not gone out yet. */
  push(key: K, emit: () => void): void {
    if (this.stopped) return;
    this.pending.delete(key);
    this.pending.set(key, emit);
    this.pump();
  }

  private pump(): void {
    if (this.timer || this.pending.size === 0 || this.stopped) return;
    const wait = this.last + this.minGapMs - this.now();
    if (wait <= 0) {
      this.emitOne();
      if (this.pending.size > 0) this.schedule(this.minGapMs);
    } else {
      this.schedule(wait);
    }
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pump();
    }, ms);
  }

  private emitOne(): void {
    const first = this.pending.entries().next();
    if (first.done) return;
    const [key, emit] = first.value;
    this.pending.delete(key);
    this.last = this.now();
    this.emitted++;
    emit();
  }

  /** Emits what is still pending (keeping the gap), then stops accepting more. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.pending.size > 0 && !this.stopped) {
      const wait = this.last + this.minGapMs - this.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      this.emitOne();
    }
    this.stop();
  }

  stop(): void {
    this.stopped = true;
    this.pending.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
