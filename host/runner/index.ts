// Local mode: the public API the bridge (host/bridge) and the Electron adapter call.
//
//   const runner = new LocalRunner({ cliPath, node: { command, argsPrefix, env } });
//   const result = await runner.run(req, (e) => send(e.event, e.payload)); // resolves when the stage ended
//   runner.cancel(episodeId, stage); runner.endSession(sessionId); await runner.shutdown();
//   runner.active(); const off = runner.onActivityChange((runs) => ...);

export { DEFAULT_TIMEOUT_S, LocalRunner, capThreads } from './local-runner.js';
export { threadEnv } from '../../pipeline/runtime/thread-env.js';
export { ThermalGuard, type GuardAction } from './thermal-guard.js';
export { CpuBudget, LOCAL_CPU_BUDGET_THREADS, appCpuBudget, type BudgetTicket, type BudgetWaiter } from './cpu-budget.js';
export type {
  ActiveRun,
  ActivityListener,
  LocalRunnerOptions,
  NodeCommand,
  RunStageRequest,
  RunnerEvent,
  RunnerEventName,
  RunnerSink,
  RunStageResult,
  Readings,
} from './types.js';
export { killTree, listTree, pauseTree, resumeTree, spawnGroup } from '../../pipeline/runtime/process-tree.js';
export type { ThermalSource, ThermalReading, TreeSample } from '../readings/types.js';
export { ExternalThermalSource, SysfsThermalSource, defaultThermalSource } from '../readings/thermal.js';
export { TreeSampler } from '../readings/tree-sampler.js';
