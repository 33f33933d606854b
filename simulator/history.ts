import { answer } from './codes';
import type { Handler } from './intents';
import {
  type HistoryPoint,
  type HistorySeries,
  pointsDescending,
  timesDescending,
  validateSeries,
} from './history-series';
import { readIdList, readOptionalTime, readScanId, readSize, readTime } from './params';
import { decodeScanId, encodeScanId } from './scan-id';
import { statistics } from './statistics';
import type { AqaraAnswer } from './types';

/** `fetch.resource.history` takes at most this many resources; more is a 302. */
export const HISTORY_MAX_RESOURCES = 100;
export const HISTORY_DEFAULT_SIZE = 30;
/** A larger size is cut down to this, not refused. */
export const HISTORY_MAX_SIZE = 300;

export interface SimulatorHistoryOptions {
  now: () => number;
  /** Whether the account has this device: history of another did is a params error. */
  hasDevice: (did: string) => boolean;
  series?: readonly HistorySeries[];
}

interface Candidate {
  time: number;
  index: number;
}

/**
 * The account's resource history (`fetch.resource.history`) and the statistics over it
 * (`fetch.resource.statistics`, statistics.ts). Tests and benches add series of their own with
 * define(); the default ones are in history-defaults.ts.
 *
 * Behaviour (where Aqara documents nothing, the simulator's choice, marked):
 * - Points come newest first; between startTime and endTime, both inclusive; endTime defaults to now
 *   and nothing lies in the future. Times may be numbers or digit strings.
 * - Points of several resources are merged by time; at equal times in the order the resources were asked.
 * - size defaults to 30 and is cut to 300; resourceIds over 100, an unknown device, a bad time or
 *   a startTime after endTime are 302. A resource without history gives no points (not an error).
 * - scanId is '' once nothing is left, even when the last page is full (simulator's choice: the
 *   documented rule "until it is empty or a page is short" then costs no extra call); a scanId
 *   given with other parameters than the ones that made it is a 302.
 */
export class SimulatorHistory {
  private readonly series = new Map<string, HistorySeries>();

  constructor(private readonly options: SimulatorHistoryOptions) {
    for (const entry of options.series ?? []) this.define(entry);
  }

  /** Adds or replaces the history of one resource. */
  define(series: HistorySeries): void {
    validateSeries(series);
    this.series.set(key(series.subjectId, series.resourceId), { ...series });
  }

  remove(subjectId: string, resourceId: string): void {
    this.series.delete(key(subjectId, resourceId));
  }

  get(subjectId: string, resourceId: string): HistorySeries | undefined {
    return this.series.get(key(subjectId, resourceId));
  }

  list(): HistorySeries[] {
    return [...this.series.values()];
  }

  /**
   * Every point of one resource in [from, to] (to defaults to now), newest first: what a bench
   * counts, independent of paging. Builds the whole list, so keep the range to weeks.
   */
  points(subjectId: string, resourceId: string, from: number, to = this.options.now()): HistoryPoint[] {
    const series = this.get(subjectId, resourceId);
    return series ? pointsDescending(series, from, Math.min(to, this.options.now())) : [];
  }

  intentHandlers(): ReadonlyMap<string, Handler> {
    return new Map<string, Handler>([
      ['fetch.resource.history', (_request, data) => this.history(data)],
      [
        'fetch.resource.statistics',
        (_request, data) =>
          statistics(data, {
            now: this.options.now(),
            hasDevice: this.options.hasDevice,
            series: (subjectId, resourceId) => this.get(subjectId, resourceId),
          }),
      ],
    ]);
  }

  private history(data: Record<string, unknown>): AqaraAnswer {
    const fail = (message: string): AqaraAnswer => answer(302, `params error: ${message}`);
    const { subjectId } = data;
    if (typeof subjectId !== 'string' || subjectId === '') return fail('subjectId is required');
    if (Array.isArray(data.resourceIds) && data.resourceIds.length > HISTORY_MAX_RESOURCES)
      return fail(`at most ${HISTORY_MAX_RESOURCES} resourceIds`);
    const resourceIds = readIdList(data.resourceIds);
    if (!resourceIds) return fail('resourceIds must be a non-empty list of strings');
    if (data.startTime === undefined || data.startTime === null) return fail('startTime is required');
    const start = readTime(data.startTime, 'startTime', true);
    if (typeof start === 'string') return fail(start);
    const givenEnd = readOptionalTime(data.endTime, 'endTime', true);
    if (typeof givenEnd === 'string') return fail(givenEnd);
    const now = this.options.now();
    const end = givenEnd ?? now;
    if (start > end) return fail('startTime is after endTime');
    const size = readSize(data.size, { fallback: HISTORY_DEFAULT_SIZE, min: 1, max: HISTORY_MAX_SIZE });
    if (typeof size === 'string') return fail(size);
    const scanId = readScanId(data.scanId);
    if (scanId === false) return fail('scanId must be a string');
    if (!this.options.hasDevice(subjectId)) return fail(`unknown subjectId ${subjectId}`);

    const query = JSON.stringify([subjectId, resourceIds, start, givenEnd ?? null]);
    // The cursor: the last point given (its time and resource index); the first page starts above now.
    let cursor: [number, number] = [Math.min(end, now), -1];
    if (scanId !== undefined) {
      const decoded = decodeScanId('history', query, scanId, 2);
      if (!decoded) return fail('scanId is invalid');
      cursor = [decoded[0], decoded[1]];
    }
    const series = resourceIds.map((resourceId) => this.get(subjectId, resourceId));
    const candidates: Candidate[] = [];
    series.forEach((entry, index) => {
      if (!entry) return;
      // At the cursor's own time only resources after the cursor's are still to come.
      const upper = index > cursor[1] ? cursor[0] : cursor[0] - 1;
      let taken = 0;
      for (const time of timesDescending(entry, start, upper)) {
        candidates.push({ time, index });
        taken += 1;
        if (taken > size) break;
      }
    });
    candidates.sort((a, b) => b.time - a.time || a.index - b.index);
    const page = candidates.slice(0, size);
    const more = candidates.length > size;
    const last = page.at(-1);
    return answer(0, undefined, {
      data: page.map(({ time, index }) => ({
        subjectId,
        resourceId: resourceIds[index],
        // Every series in `page` exists: candidates come only from defined ones.
        value: (series[index] as HistorySeries).value(time),
        timeStamp: time,
      })),
      scanId: more && last ? encodeScanId('history', query, [last.time, last.index]) : '',
    });
  }
}

function key(subjectId: string, resourceId: string): string {
  return `${subjectId}\n${resourceId}`;
}
