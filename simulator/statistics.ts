import { answer } from './codes';
import { type HistorySeries, timesDescending } from './history-series';
import { isRecord, readIdList, readOptionalTime, readScanId, readSize, readTime } from './params';
import { decodeScanId, encodeScanId } from './scan-id';
import type { AqaraAnswer } from './types';

/**
 * `fetch.resource.statistics`: Aqara's aggregates over a resource's history, per time bucket.
 *
 * What each aggrType code means is published nowhere we could read. The meanings below are THE
 * SIMULATOR'S GUESS (the likely ones), not Aqara's word: a client must keep the codes as numbers
 * and label their meaning unverified.
 */
export const AGGREGATIONS_GUESSED: ReadonlyMap<number, string> = new Map([
  [0, 'sum'],
  [1, 'average'],
  [2, 'max'],
  [3, 'min'],
  /** The newest value in the bucket minus the oldest (a meter's consumption over the bucket). */
  [4, 'increase'],
]);

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The dimensions the simulator knows; any other is a 302. Aqara's full list is not published. */
export const STATISTICS_DIMENSIONS: ReadonlyMap<string, number> = new Map([
  ['30m', 30 * MINUTE],
  ['1h', HOUR],
  ['2h', 2 * HOUR],
  ['4h', 4 * HOUR],
  ['12h', 12 * HOUR],
  ['1d', DAY],
]);

/**
 * Every simulated device says `timeZone: "GMT+08:00"` (device-intents.ts), so buckets start at
 * its local midnight (16:00 UTC), not at UTC midnight: a client must read the bucket's bounds from
 * the answer, not assume them. Also the simulator's choice.
 */
export const DEVICE_UTC_OFFSET_MS = 8 * HOUR;

export const STATISTICS_MAX_RESOURCES = 50;
export const STATISTICS_DEFAULT_SIZE = 100;
export const STATISTICS_MIN_SIZE = 10;
export const STATISTICS_MAX_SIZE = 300;

export interface StatisticsContext {
  now: number;
  hasDevice: (did: string) => boolean;
  series: (subjectId: string, resourceId: string) => HistorySeries | undefined;
}

/** Where a bucket of the given length that holds `time` starts, in the devices' time zone. */
export function bucketStart(time: number, dimensionMs: number): number {
  return Math.floor((time + DEVICE_UTC_OFFSET_MS) / dimensionMs) * dimensionMs - DEVICE_UTC_OFFSET_MS;
}

/**
 * The answer's shape (simulator's choices where unpublished): rows newest bucket first; within a
 * bucket the resources in the order asked, each with one row per aggrType in the order asked;
 * `value` a string rounded to two decimals; `timeStamp` the bucket's start (ms number);
 * `startTimeZone` / `endTimeZone` the bucket's start and end (end exclusive) as ms STRINGS; no
 * `subjectId`; `aggrType` only when more than one was asked. A bucket without a numeric value gives
 * no row. The first and the last bucket cover only the part inside [startTime, endTime].
 * `resources` must be ONE object: a list (what a client might naturally send) is a 302.
 */
export function statistics(data: Record<string, unknown>, context: StatisticsContext): AqaraAnswer {
  const fail = (message: string): AqaraAnswer => answer(302, `params error: ${message}`);
  const resources = data.resources;
  if (Array.isArray(resources)) return fail('resources must be one object, not a list');
  if (!isRecord(resources)) return fail('resources is required');
  const { subjectId } = resources;
  if (typeof subjectId !== 'string' || subjectId === '') return fail('subjectId is required');
  if (Array.isArray(resources.resourceIds) && resources.resourceIds.length > STATISTICS_MAX_RESOURCES)
    return fail(`at most ${STATISTICS_MAX_RESOURCES} resourceIds`);
  const resourceIds = readIdList(resources.resourceIds);
  if (!resourceIds) return fail('resourceIds must be a non-empty list of strings');
  const aggrTypes = readAggrTypes(resources.aggrTypes);
  if (!aggrTypes) return fail('aggrTypes must be a non-empty list of the integers 0 to 4');
  if (data.startTime === undefined || data.startTime === null) return fail('startTime is required');
  const start = readTime(data.startTime, 'startTime', true);
  if (typeof start === 'string') return fail(start);
  const givenEnd = readOptionalTime(data.endTime, 'endTime', true);
  if (typeof givenEnd === 'string') return fail(givenEnd);
  const end = givenEnd ?? context.now;
  if (start > end) return fail('startTime is after endTime');
  const dimension =
    typeof data.dimension === 'string' ? STATISTICS_DIMENSIONS.get(data.dimension) : undefined;
  if (dimension === undefined)
    return fail(`dimension must be one of ${[...STATISTICS_DIMENSIONS.keys()].join(', ')}`);
  const size = readSize(data.size, {
    fallback: STATISTICS_DEFAULT_SIZE,
    min: STATISTICS_MIN_SIZE,
    max: STATISTICS_MAX_SIZE,
  });
  if (typeof size === 'string') return fail(size);
  const scanId = readScanId(data.scanId);
  if (scanId === false) return fail('scanId must be a string');
  if (!context.hasDevice(subjectId)) return fail(`unknown subjectId ${subjectId}`);

  const query = JSON.stringify([subjectId, resourceIds, aggrTypes, start, givenEnd ?? null, data.dimension]);
  // The cursor: the bucket the next page starts in, the row within it, and the end the first page
  // used, so rows of a later page never count values that arrived while the client paged.
  const upper = Math.min(end, context.now);
  let cursor = [bucketStart(upper, dimension), 0, upper];
  if (scanId !== undefined) {
    const decoded = decodeScanId('statistics', query, scanId, 3);
    if (!decoded) return fail('scanId is invalid');
    cursor = decoded;
  }
  const [firstBucket, skip, last] = cursor;
  const series = resourceIds.map((resourceId) => context.series(subjectId, resourceId));
  const known = series.filter((entry): entry is HistorySeries => entry !== undefined);
  // Below the oldest report of every series there is nothing to scan.
  const lowest = Math.max(start, Math.min(...known.map((entry) => entry.since)));
  const rows: Record<string, unknown>[] = [];
  for (let bucket = firstBucket; known.length > 0 && bucket + dimension > lowest; bucket -= dimension) {
    const from = Math.max(bucket, start);
    const to = Math.min(bucket + dimension - 1, last);
    if (to < from) continue;
    const bucketRows = rowsOf(series, resourceIds, aggrTypes, { bucket, dimension, from, to });
    for (let index = bucket === firstBucket ? skip : 0; index < bucketRows.length; index += 1) {
      if (rows.length === size)
        return answer(0, undefined, {
          data: rows,
          scanId: encodeScanId('statistics', query, [bucket, index, last]),
        });
      rows.push(bucketRows[index]);
    }
  }
  return answer(0, undefined, { data: rows, scanId: '' });
}

function rowsOf(
  series: readonly (HistorySeries | undefined)[],
  resourceIds: readonly string[],
  aggrTypes: readonly number[],
  range: { bucket: number; dimension: number; from: number; to: number },
): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  series.forEach((entry, index) => {
    if (!entry) return;
    const summary = summarise(entry, range.from, range.to);
    if (!summary) return;
    for (const aggrType of aggrTypes) {
      const row: Record<string, unknown> = {
        resourceId: resourceIds[index],
        value: format(aggregate(summary, aggrType)),
        timeStamp: range.bucket,
        startTimeZone: String(range.bucket),
        endTimeZone: String(range.bucket + range.dimension),
      };
      if (aggrTypes.length > 1) row.aggrType = aggrType;
      rows.push(row);
    }
  });
  return rows;
}

interface Summary {
  sum: number;
  count: number;
  max: number;
  min: number;
  newest: number;
  oldest: number;
}

const NUMERIC = /^-?\d+(\.\d+)?$/;

/** Only plain decimal values count: a code like "flip90" has no average. */
function summarise(series: HistorySeries, from: number, to: number): Summary | undefined {
  let summary: Summary | undefined;
  for (const time of timesDescending(series, from, to)) {
    const text = series.value(time);
    if (!NUMERIC.test(text)) continue;
    const value = Number(text);
    if (!summary) summary = { sum: 0, count: 0, max: value, min: value, newest: value, oldest: value };
    summary.sum += value;
    summary.count += 1;
    summary.max = Math.max(summary.max, value);
    summary.min = Math.min(summary.min, value);
    summary.oldest = value;
  }
  return summary;
}

function aggregate(summary: Summary, aggrType: number): number {
  switch (aggrType) {
    case 0:
      return summary.sum;
    case 1:
      return summary.sum / summary.count;
    case 2:
      return summary.max;
    case 3:
      return summary.min;
    default:
      return summary.newest - summary.oldest;
  }
}

function format(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function readAggrTypes(value: unknown): number[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  if (
    !value.every((code): code is number => Number.isInteger(code) && AGGREGATIONS_GUESSED.has(code as number))
  )
    return undefined;
  return [...new Set(value)];
}
