/** Nearest-rank percentiles: with few samples they report a value that was really seen, not an interpolation. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

export function mean(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Milliseconds with a precision that suits the figure: sub-millisecond windows keep two decimals. */
export function formatMs(value: number | undefined): string {
  if (value === undefined) return 'n/a';
  if (value < 10) return `${value.toFixed(2)} ms`;
  return `${Math.round(value)} ms`;
}
