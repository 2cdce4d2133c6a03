// The log of one local run: every line kept for the result, and streamed to the window in
// batches (at most every LOG_FLUSH_MS, or at once when LOG_BATCH_MAX lines wait) so a chatty
// stage does not flood the IPC channel.
//
// The stage's own lines that arrive before its `start` event are held, so the header lines come
// first and state what the stage itself reported it runs with. A stage that never sends `start`
// (it failed early, or is an older CLI) must not hold its lines back for long: HEADER_WAIT_MS.

const LOG_FLUSH_MS = 200;
const LOG_BATCH_MAX = 200;
const HEADER_WAIT_MS = 2000;

export class RunLog {
  /** Every line of the run, in order (the result's `logs`). */
  readonly lines: string[];
  private pending: string[] = [];
  private held: string[] | null = [];
  private readonly flushTimer: NodeJS.Timeout;
  private readonly headerTimer: NodeJS.Timeout;

  /**
   * @param earlier lines already streamed (waiting for the CPU budget): kept, not sent again
   * @param send streams a batch of lines
   * @param header the header lines, asked for when the header is written
   */
  constructor(
    earlier: string[],
    private readonly send: (lines: string[]) => void,
    private readonly header: () => string[],
  ) {
    this.lines = [...earlier];
    this.flushTimer = setInterval(() => this.flush(), LOG_FLUSH_MS);
    this.headerTimer = setTimeout(() => this.writeHeader(), HEADER_WAIT_MS);
  }

  /** A line of our own: written at once. */
  add(line: string): void {
    this.lines.push(line);
    this.pending.push(line);
    if (this.pending.length >= LOG_BATCH_MAX) this.flush();
  }

  /** A line of the stage: held until the header is written. */
  addStage(line: string): void {
    if (this.held) this.held.push(line);
    else this.add(line);
  }

  /** Writes the header, then the stage lines held for it; only the first call does anything. */
  writeHeader(): void {
    const held = this.held;
    if (!held) return;
    this.held = null;
    clearTimeout(this.headerTimer);
    for (const l of this.header()) this.add(l);
    for (const l of held) this.add(l);
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    this.send(lines);
  }

  /** The run has ended: header written if it never was, timers stopped, everything sent. */
  close(): void {
    this.writeHeader();
    clearInterval(this.flushTimer);
    this.flush();
  }
}
