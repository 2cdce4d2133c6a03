// A runner for bridge and library tests that start no stage: every method answers "nothing ran".
// A test overrides what it looks at (the requests it was given, the sessions it ended).

import type { RunnerPort } from '../host/bridge/types.js';

export function idleRunner(over: Partial<RunnerPort> = {}): RunnerPort {
  return {
    run: async () => {
      throw new Error('no stages in this test');
    },
    cancel: async () => false,
    endSession: () => undefined,
    shutdown: async () => undefined,
    active: () => [],
    onActivityChange: () => () => undefined,
    ...over,
  };
}
