/**
 * Decides which observed resource values become messages. Values arrive by push, by poll and by the
 * read at start, possibly out of order and twice (a push, then the poll that sees the same value):
 * an observation older than the last one known is dropped, and a value already known is not a
 * change. With `onlyChanges` off every new report is one message, still never the same one twice.
 */

export type ValueSource = 'push' | 'poll' | 'start';

export interface Observation {
  did: string;
  resourceId: string;
  raw: string;
  /** When Aqara saw the value (ms), or null when it did not say. */
  time: number | null;
  source: ValueSource;
}

export interface Change extends Observation {
  /** The raw value known before this one; undefined when there was none. */
  previous: string | undefined;
}

interface Known {
  raw: string;
  time: number | null;
}

export class ChangeTracker {
  private readonly known = new Map<string, Known>();

  constructor(private readonly onlyChanges: boolean) {}

  /** The change to emit, or undefined. `start` observations are returned as the baseline. */
  observe(observation: Observation): Change | undefined {
    const key = `${observation.did}\u0000${observation.resourceId}`;
    const last = this.known.get(key);
    if (last && observation.time !== null && last.time !== null && observation.time < last.time)
      return undefined;
    this.known.set(key, { raw: observation.raw, time: observation.time ?? last?.time ?? null });
    const change: Change = { ...observation, previous: last?.raw };
    if (observation.source === 'start') return change;
    // The first value a poll sees is the baseline, not a change: nothing is known to have changed.
    if (!last) return observation.source === 'push' ? change : undefined;
    const changed = last.raw !== observation.raw;
    if (this.onlyChanges || changed) return changed ? change : undefined;
    const newer = observation.time !== null && (last.time === null || observation.time > last.time);
    return newer ? change : undefined;
  }

  /** What is known of a resource (for outputOnStart after a redeploy, and for tests). */
  current(did: string, resourceId: string): string | undefined {
    return this.known.get(`${did}\u0000${resourceId}`)?.raw;
  }
}
