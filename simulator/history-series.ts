/**
 * One resource's past reports, computed from time instead of stored: weeks of minute-by-minute
 * values cost no memory, and the same series gives the same points on every call and in every run
 * with the same clock. Report times are the nominal ones plus a small lateness fixed per report
 * (real reports never land on the minute), and some reports may be missing (the device was out of
 * range), also fixed per report.
 */
export interface HistorySeries {
  subjectId: string;
  resourceId: string;
  /** The first report's nominal time (ms since the epoch). */
  since: number;
  /** No report after this time (the device went quiet); default: reports up to the clock's now. */
  until?: number;
  /** Nominal time between two reports (ms). */
  everyMs: number;
  /** Each report is late by 0..jitterMs ms (less than everyMs, so reports stay in order). */
  jitterMs?: number;
  /** The share of reports that never happened, 0 (default) to below 1. */
  missing?: number;
  /** What the device reported at that time, as Aqara's string. */
  value: (time: number) => string;
}

export interface HistoryPoint {
  time: number;
  value: string;
}

export function validateSeries(series: HistorySeries): void {
  const { subjectId, resourceId, since, everyMs, jitterMs = 0, missing = 0, until } = series;
  if (subjectId === '' || resourceId === '')
    throw new Error('a history series needs a subjectId and resourceId');
  if (!Number.isInteger(since)) throw new RangeError('history series since must be an integer (ms)');
  if (until !== undefined && !Number.isInteger(until))
    throw new RangeError('history series until must be an integer (ms)');
  if (!(Number.isInteger(everyMs) && everyMs > 0))
    throw new RangeError('history series everyMs must be a positive integer');
  if (!(Number.isInteger(jitterMs) && jitterMs >= 0 && jitterMs < everyMs))
    throw new RangeError('history series jitterMs must be an integer in 0..everyMs-1');
  if (!(missing >= 0 && missing < 1)) throw new RangeError('history series missing must be in [0, 1)');
}

/**
 * Report times of the series in [from, to] (both inclusive), newest first, without their values:
 * a caller computes a value only for the points it keeps. Lazy, so a page of 300 costs 300 steps
 * whatever the range.
 */
export function* timesDescending(series: HistorySeries, from: number, to: number): Generator<number> {
  const upper = series.until === undefined ? to : Math.min(to, series.until);
  const lower = Math.max(from, series.since);
  if (upper < lower) return;
  const seed = seedOf(series);
  const jitterMs = series.jitterMs ?? 0;
  const missing = series.missing ?? 0;
  for (let index = Math.floor((upper - series.since) / series.everyMs); index >= 0; index -= 1) {
    const hash = mix(seed ^ Math.imul(index, 0x9e3779b1));
    const time = series.since + index * series.everyMs + (jitterMs === 0 ? 0 : hash % (jitterMs + 1));
    if (time > upper) continue;
    // Times grow with the index (jitter < everyMs), so the first one below the range ends it.
    if (time < lower) return;
    if (missing > 0 && mix(hash) / 0x1_0000_0000 < missing) continue;
    yield time;
  }
}

/** Every point of the series in [from, to], newest first: for tests and benches, not for pages. */
export function pointsDescending(series: HistorySeries, from: number, to: number): HistoryPoint[] {
  const points: HistoryPoint[] = [];
  for (const time of timesDescending(series, from, to)) points.push({ time, value: series.value(time) });
  return points;
}

/** FNV-1a of the series' name: two resources of one device jitter differently. */
function seedOf(series: HistorySeries): number {
  let hash = 0x811c9dc5;
  for (const char of `${series.subjectId}/${series.resourceId}`) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A 32-bit integer hash (the finaliser of MurmurHash3): a fixed, well-spread value per report. */
function mix(value: number): number {
  let hash = value >>> 0;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
