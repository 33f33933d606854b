import type { Clock } from '../clock';

/**
 * What the app's quota is spent on, so users see what a flow costs. The one table below names each
 * intent's kind and the kind's priority when calls queue: scene runs, writes and refreshes are what a
 * person waits for, reads and listings can wait.
 */
export type CallKind = 'scene' | 'write' | 'refresh' | 'read' | 'listing';

export const CALL_KINDS: readonly CallKind[] = ['scene', 'write', 'refresh', 'read', 'listing'];

/** Intent (exact, or a prefix ending in '.') -> kind. Anything not named is a listing. */
const KIND_BY_INTENT: readonly (readonly [string, CallKind])[] = [
  ['config.scene.run', 'scene'],
  ['config.auth.refreshToken', 'refresh'],
  ['write.', 'write'],
  // Switching an automation on or off changes the account like a device write does.
  ['config.linkage.enable', 'write'],
  ['query.resource.value', 'read'],
  ['query.ir.acState', 'read'],
];

/** Lower runs first. */
export const PRIORITY: Readonly<Record<CallKind, number>> = {
  scene: 0,
  write: 0,
  refresh: 0,
  read: 1,
  listing: 1,
};

export function callKind(intent: string): CallKind {
  for (const [name, kind] of KIND_BY_INTENT) {
    if (name.endsWith('.') ? intent.startsWith(name) : intent === name) return kind;
  }
  return 'listing';
}

/**
 * The kind of an intent a user names (aqara-api), by its first word alone: `query.*` and `fetch.*`
 * read; `write.*`, `config.*`, `command.*` and anything else may change the account, so they count,
 * and queue, as writes.
 */
export function kindByIntentPrefix(intent: string): CallKind {
  const first = intent.slice(0, intent.indexOf('.'));
  return first === 'query' || first === 'fetch' ? 'read' : 'write';
}

export type KindCounts = Record<CallKind, number> & { total: number };

export interface QuotaUsage {
  lastFiveMinutes: KindCounts;
  today: KindCounts;
  /** The guard's limit per window (0 = off) and the window's length. */
  limit: number;
  windowSeconds: number;
  /** Calls waiting for a slot right now. */
  waiting: number;
}

const BUCKET_MS = 10_000;
const FIVE_MINUTES = 5 * 60 * 1000;

function zero(): KindCounts {
  return { scene: 0, write: 0, refresh: 0, read: 0, listing: 0, total: 0 };
}

/**
 * Counts in 10-second buckets (so a busy app costs 30 small records, not one per call) and a day
 * total reset at local midnight.
 */
export class UsageCounter {
  private readonly buckets: { start: number; counts: KindCounts }[] = [];
  private day = zero();
  private dayEnds = 0;

  constructor(private readonly clock: Clock) {}

  record(kind: CallKind, now: number): void {
    if (now >= this.dayEnds) {
      this.day = zero();
      const midnight = new Date(now);
      midnight.setHours(24, 0, 0, 0);
      this.dayEnds = midnight.getTime();
    }
    this.day[kind] += 1;
    this.day.total += 1;
    const start = now - (now % BUCKET_MS);
    let last = this.buckets[this.buckets.length - 1];
    if (!last || last.start !== start) {
      last = { start, counts: zero() };
      this.buckets.push(last);
      while (this.buckets.length > FIVE_MINUTES / BUCKET_MS + 1) this.buckets.shift();
    }
    last.counts[kind] += 1;
    last.counts.total += 1;
  }

  read(): { lastFiveMinutes: KindCounts; today: KindCounts } {
    const now = this.clock.now();
    const recent = zero();
    for (const bucket of this.buckets) {
      if (bucket.start + BUCKET_MS <= now - FIVE_MINUTES) continue;
      for (const kind of CALL_KINDS) recent[kind] += bucket.counts[kind];
      recent.total += bucket.counts.total;
    }
    return { lastFiveMinutes: recent, today: now >= this.dayEnds ? zero() : { ...this.day } };
  }
}
