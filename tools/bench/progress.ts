import { performance } from 'node:perf_hooks';

/**
 * Progress goes to stderr so that stdout carries only the final table, which can be piped as is.
 * Each line carries the time since the bench started: a slow phase is visible without a profiler.
 */
const started = performance.now();

export function progress(text: string): void {
  const seconds = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${seconds}s] ${text}\n`);
}
