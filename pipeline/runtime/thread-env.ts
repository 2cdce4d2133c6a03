// The environment variables that cap a thread count, named in this one place. The parent sets
// all of them for a stage it starts (stage-process.ts: local mode and the queue worker), so every
// threading runtime in the tree inherits the cap; a stage started by hand with --threads sets the
// pools its own libraries read (run-stage.ts applyThreadEnv), which ffmpeg inherits too.

/** Pools of the libraries a stage loads: libuv (ONNX Runtime's run(), zlib), OpenMP, BLAS. */
export const STAGE_POOL_VARS = ['UV_THREADPOOL_SIZE', 'OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'] as const;

/** Every variable a parent sets: the stage's pools, the other common runtimes, and our own. */
export const THREAD_ENV_VARS = [...STAGE_POOL_VARS, 'VECLIB_MAXIMUM_THREADS', 'NUMEXPR_NUM_THREADS', 'SCREENTIME_THREADS'] as const;

/** The given variables set to `threads` (whole, at least 1). Pure. */
export function threadEnv(threads: number, names: readonly string[] = THREAD_ENV_VARS): Record<string, string> {
  const n = String(Math.max(1, Math.floor(threads)));
  return Object.fromEntries(names.map((k) => [k, n]));
}
