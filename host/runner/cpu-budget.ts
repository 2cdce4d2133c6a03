// The CPU budget of local mode, shared by every stage the app runs.
//
// The thread cap (LOCAL_MODE_MAX_THREADS) bounds one stage. It exists for thermal safety, and a
// laptop does not care which run its busy threads belong to: two episodes started at once at the
// cap of 2 kept 4 threads busy on 2 cores. This budget bounds all running stages together. A run
// that does not fit waits in one first-come, first-served line and starts by itself when running
// stages give their threads back. Plain bookkeeping: no processes, no timers.

import { LOCAL_MODE_MAX_THREADS } from '../../shared/stages.js';
import type { AppCpuUse } from '../../shared/ipc.js';

/**
 * Compute threads all local stages of this app may use together: one stage at a time at the
 * local cap. The one number to change to let more run at once.
 */
export const LOCAL_CPU_BUDGET_THREADS = LOCAL_MODE_MAX_THREADS;

/** What a run hears while it waits. Called synchronously; must not throw (errors are swallowed). */
export interface BudgetWaiter {
  /** The threads are now the run's: start it. */
  onGrant(): void;
  /** Its place in the line changed (1 = starts next). */
  onPlace?(place: number): void;
}

/** Latest measurement of a running stage's process tree (readings tick). */
export interface TreeUse {
  cpuPercent: number | null;
  threads: number | null;
}

export interface BudgetTicket {
  /** Threads this ticket holds or waits for (the request, clamped to 1..budget). */
  readonly threads: number;
  /** True once the threads are held (at request time, or later through onGrant). */
  readonly granted: boolean;
  /** 1-based place in the line while waiting; null once granted or released. */
  place(): number | null;
  /** Gives the threads back, or leaves the line. Idempotent. */
  release(): void;
  /** Records the holder's latest use, for the app-wide readings. */
  report(use: TreeUse): void;
}

type State = 'waiting' | 'granted' | 'released';

class Ticket implements BudgetTicket {
  state: State = 'waiting';
  lastPlace: number | null = null;
  use: TreeUse | null = null;

  constructor(
    private readonly budget: CpuBudget,
    readonly threads: number,
    readonly waiter: BudgetWaiter,
  ) {}

  get granted(): boolean {
    return this.state === 'granted';
  }

  place(): number | null {
    return this.budget.placeOf(this);
  }

  release(): void {
    this.budget.release(this);
  }

  report(use: TreeUse): void {
    if (this.state === 'granted') this.use = use;
  }
}

export class CpuBudget {
  private inUse = 0;
  private readonly line: Ticket[] = [];
  private readonly holders = new Set<Ticket>();

  constructor(readonly totalThreads: number = LOCAL_CPU_BUDGET_THREADS) {
    if (!Number.isInteger(totalThreads) || totalThreads < 1) throw new Error(`CPU budget must be a whole number of threads >= 1, got ${totalThreads}`);
  }

  /**
   * Asks for `threads`. When they are free and nobody waits, the ticket is granted at once and
   * no callback runs; otherwise it joins the end of the line and `waiter.onGrant` runs later.
   */
  request(threads: number, waiter: BudgetWaiter): BudgetTicket {
    // A run larger than the whole budget would wait forever; it gets the whole budget instead.
    const need = Math.max(1, Math.min(Math.floor(threads) || 1, this.totalThreads));
    const ticket = new Ticket(this, need, waiter);
    if (this.line.length === 0 && this.fits(need)) this.grant(ticket);
    else {
      this.line.push(ticket);
      ticket.lastPlace = this.line.length;
    }
    return ticket;
  }

  /** Threads held by running stages now. */
  threadsInUse(): number {
    return this.inUse;
  }

  /** Runs waiting in the line now. */
  waitingCount(): number {
    return this.line.length;
  }

  /** The whole app's use: every running stage's latest readings added up. */
  usage(): AppCpuUse {
    let cpu: number | null = null;
    let threads: number | null = null;
    for (const t of this.holders) {
      if (t.use?.cpuPercent != null) cpu = (cpu ?? 0) + t.use.cpuPercent;
      if (t.use?.threads != null) threads = (threads ?? 0) + t.use.threads;
    }
    return { stages: this.holders.size, cpuPercent: cpu, threads, threadsInUse: this.inUse, budgetThreads: this.totalThreads, waiting: this.line.length };
  }

  /** @internal */
  placeOf(ticket: Ticket): number | null {
    if (ticket.state !== 'waiting') return null;
    const i = this.line.indexOf(ticket);
    return i < 0 ? null : i + 1;
  }

  /** @internal */
  release(ticket: Ticket): void {
    if (ticket.state === 'released') return;
    if (ticket.state === 'granted') {
      this.inUse -= ticket.threads;
      this.holders.delete(ticket);
    } else {
      const i = this.line.indexOf(ticket);
      if (i >= 0) this.line.splice(i, 1);
    }
    ticket.state = 'released';
    ticket.use = null;
    this.pump();
  }

  private fits(need: number): boolean {
    return this.inUse + need <= this.totalThreads;
  }

  private grant(ticket: Ticket): void {
    ticket.state = 'granted';
    ticket.lastPlace = null;
    this.inUse += ticket.threads;
    this.holders.add(ticket);
  }

  /**
   * Starts waiters from the head of the line while they fit, then tells the rest their new
   * places. Strictly in order: a small request behind a large one does not jump ahead, so the
   * large one cannot be starved.
   */
  private pump(): void {
    const started: Ticket[] = [];
    while (this.line.length > 0 && this.fits(this.line[0]!.threads)) {
      const next = this.line.shift()!;
      this.grant(next);
      started.push(next);
    }
    // Places first, grants after: a grant may start a run whose first act is to end another.
    this.announcePlaces();
    // One grant's callback may release another granted in the same pass: that one hears nothing.
    for (const t of started) if (t.state === 'granted') call(() => t.waiter.onGrant());
  }

  private announcePlaces(): void {
    // A snapshot, and each place read afresh: a waiter's callback may leave the line.
    for (const t of [...this.line]) {
      const place = this.placeOf(t);
      if (place === null || t.lastPlace === place) continue;
      t.lastPlace = place;
      call(() => t.waiter.onPlace?.(place));
    }
  }
}

function call(f: () => void): void {
  try {
    f();
  } catch {
    /* a waiter's problem must not corrupt the line */
  }
}

/**
 * The budget every LocalRunner of this process shares unless given its own: the cap is for the
 * machine's sake, so a second runner (a second host in the same process) must not double it.
 */
export const appCpuBudget = new CpuBudget();
