// Queue mode: submitting stages to the queue, the job list and the queue's status.

import type { JobInfo, QueueStatus } from '../../../shared/ipc.js';
import type { StageName } from '../../../shared/stages.js';
import { sortJobs, upsertJob } from './reducers.js';
import { bridgeOf, message, type Slice } from './slice.js';

export interface QueueSlice {
  queueStatus: QueueStatus | null;
  jobs: JobInfo[];
  submitQueue(episodeId: string, stages: StageName[]): Promise<void>;
  refreshJobs(): Promise<void>;
  cancelJob(jobId: string): Promise<void>;
  resubmitJob(jobId: string): Promise<void>;
  refreshQueueStatus(): Promise<void>;
  /** A job update from the host (`queue:job`). */
  jobUpdated(job: JobInfo): void;
}

let lastStatusAt = 0;

export const createQueueSlice: Slice<QueueSlice> = (set, get) => ({
  queueStatus: null,
  jobs: [],

  async submitQueue(episodeId, stages) {
    const { options } = get();
    try {
      const jobs = await bridgeOf(get).invoke('queue:submit', {
        episodeId,
        stages,
        profile: options.profile,
        ...(options.stride ? { stride: options.stride } : {}),
      });
      set((s) => ({ jobs: jobs.reduce(upsertJob, s.jobs) }));
      get().toast({ kind: 'info', title: `Queued ${jobs.length} job${jobs.length === 1 ? '' : 's'}` });
      void get().refreshQueueStatus();
    } catch (e) {
      get().toast({ kind: 'error', title: 'Could not queue the run', detail: message(e) });
    }
  },

  async refreshJobs() {
    const qs = get().queueStatus;
    if (!qs?.available || !qs.configured) return;
    try {
      const jobs = await bridgeOf(get).invoke('queue:list', undefined);
      set({ jobs: sortJobs(jobs) });
    } catch {
      /* status shows whether the queue is reachable */
    }
  },

  async cancelJob(jobId) {
    try {
      await bridgeOf(get).invoke('queue:cancel', { jobId });
      await get().refreshJobs();
      void get().refreshQueueStatus();
    } catch (e) {
      get().toast({ kind: 'error', title: 'Could not cancel the job', detail: message(e) });
    }
  },

  async resubmitJob(jobId) {
    try {
      const jobs = await bridgeOf(get).invoke('queue:resubmit', { jobId });
      get().toast({ kind: 'success', title: `Submitted again: ${jobs.length} job${jobs.length === 1 ? '' : 's'}` });
      await get().refreshJobs();
    } catch (e) {
      get().toast({ kind: 'error', title: 'Could not submit the job again', detail: message(e) });
    }
  },

  async refreshQueueStatus() {
    try {
      const queueStatus = await bridgeOf(get).invoke('queue:status', undefined);
      set({ queueStatus });
      if (get().mode === 'queue' && !(queueStatus.available && queueStatus.configured && queueStatus.reachable)) set({ mode: 'local' });
    } catch (e) {
      set({ queueStatus: { available: false, configured: false, reachable: false, message: message(e) } });
    }
  },

  jobUpdated(j) {
    set((s) => ({ jobs: upsertJob(s.jobs, j) }));
    // The status line counts waiting and running jobs; refresh it, at most every 2 s.
    const now = Date.now();
    if (now - lastStatusAt > 2000) {
      lastStatusAt = now;
      void get().refreshQueueStatus();
    }
    // A finished queue job changes the episode's artifacts: show the new state.
    if (j.state === 'completed' || j.state === 'failed') void get().refreshEpisode(j.episodeId);
  },
});
