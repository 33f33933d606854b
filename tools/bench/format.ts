import type { Comparison } from './compare';

/** Display formatting only; the raw numbers stay in the JSON written next to the report. */

export function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : String(value);
}

export function count(value: number): string {
  return value.toLocaleString('en-US');
}

export function duration(ms: number): string {
  if (ms >= 10_000) return `${fixed(ms / 1000, 1)} s`;
  if (ms >= 1_000) return `${fixed(ms / 1000, 2)} s`;
  return `${fixed(ms, ms >= 100 ? 0 : 1)} ms`;
}

export function microseconds(ms: number): string {
  return `${fixed(ms * 1000, 0)} µs`;
}

export function mebibytes(bytes: number): string {
  return `${fixed(bytes / (1024 * 1024), 2)} MiB`;
}

/** "1.04 (1.01–1.08)": the median ratio with the smallest and largest of the rounds. */
export function ratioWithSpread(
  comparison: Pick<Comparison, 'medianRatio' | 'minRatio' | 'maxRatio'>,
): string {
  const { medianRatio, minRatio, maxRatio } = comparison;
  return `${fixed(medianRatio, 2)} (${fixed(minRatio, 2)}–${fixed(maxRatio, 2)})`;
}
