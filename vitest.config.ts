import { defineConfig } from 'vitest/config';

// Tests start real stage processes, ffmpeg, Redis and Chromium on a 2-core machine: run the files
// one after another so CPU measurements and timings are not disturbed by each other.
export default defineConfig({
  test: {
    include: ['shared/**/*.test.ts', 'pipeline/**/*.test.ts', 'host/**/*.test.ts', 'queue/**/*.test.ts', 'electron/**/*.test.ts', 'renderer/**/*.test.{ts,tsx}', 'e2e/**/*.test.ts', 'bench/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
