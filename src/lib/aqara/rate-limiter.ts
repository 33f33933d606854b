import { AqaraError } from './errors';
import { type Clock, systemClock } from '../clock';
import { callKind, type CallKind, PRIORITY, type QuotaUsage, UsageCounter } from './quota-usage';

export { callKind, type CallKind, type QuotaUsage } from './quota-usage';

/**
 * Aqara publishes no rate limit, but free accounts are reported to be cut off at about 300 calls per
 * 5 minutes, and an app that is cut off cannot refresh its token either. Calls beyond the limit wait
 * in a bounded queue instead of being sent; Aqara's own 429 pauses everything for a while.
 */
export interface RateLimitOptions {
  /** Calls allowed per window; 0 turns the guard off (default 300). */
  limit?: number;
  /** Window length (default 5 minutes). */
  windowMs?: number;
  /** Calls that may wait for a slot; the next one fails at once (default 100). */
  maxQueued?: number;
  /** A call that would wait longer than this fails instead (default 30 s). */
  maxWaitMs?: number;
  /** Pause after Aqara answers 429; doubles while 429s keep coming (default 10 s, at most 5 min). */
  backoffMs?: number;
  /**
   * Slots of each window only scene runs, writes and refreshes may use (default a tenth of the limit,
   * rounded down): reads and listings stop short of them, so a long listing cannot spend the quota a
   * scene run needs next and leave it waiting minutes for the window to slide.
   */
  reserved?: number;
  clock?: Clock;
}

export const DEFAULT_RATE_LIMIT = 300;
export const DEFAULT_RATE_WINDOW_MS = 5 * 60 * 1000;
const DEFAULT_RESERVED_SHARE = 0.1;
const MAX_BACKOFF_MS = 5 * 60 * 1000;

interface Waiter {
  priority: number;
  kind: CallKind;
  intent: string;
  deadline: number;
  resolve: () => void;
  reject: (error: AqaraError) => void;
}

export class RateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  /** Slots per window kept for scene runs, writes and refreshes. */
  readonly reserved: number;
  private readonly maxQueued: number;
  private readonly maxWaitMs: number;
  private readonly baseBackoffMs: number;
  private readonly clock: Clock;
  /** Send times within the window, oldest first. */
  private readonly sent: number[] = [];
  /** Calls waiting for a slot, highest priority first, in arrival order within a priority. */
  private readonly waiters: Waiter[] = [];
  private pumping = false;
  private pausedUntil = 0;
  private nextBackoffMs: number;
  private readonly usageCounter: UsageCounter;

  constructor(options: RateLimitOptions = {}) {
    this.limit = Math.max(0, Math.floor(options.limit ?? DEFAULT_RATE_LIMIT));
    this.windowMs = options.windowMs ?? DEFAULT_RATE_WINDOW_MS;
    this.reserved = Math.min(
      Math.max(0, Math.floor(options.reserved ?? this.limit * DEFAULT_RESERVED_SHARE)),
      Math.max(0, this.limit - 1),
    );
    this.maxQueued = options.maxQueued ?? 100;
    this.maxWaitMs = options.maxWaitMs ?? 30_000;
    this.baseBackoffMs = options.backoffMs ?? 10_000;
    this.nextBackoffMs = this.baseBackoffMs;
    this.clock = options.clock ?? systemClock;
    this.usageCounter = new UsageCounter(this.clock);
  }

  /**
   * Resolves when a call may be sent, or rejects with a clear "Aqara rate limit" error. When calls
   * have to wait, scene runs, writes and refreshes get the free slots before reads and listings.
   * The kind is the intent's in the one table of quota-usage.ts unless the caller says otherwise.
   */
  acquire(intent: string, kind: CallKind = callKind(intent)): Promise<void> {
    const priority = PRIORITY[kind];
    const now = this.clock.now();
    // The common case settles at once, with no queue and no timer. Calls queued only behind the
    // reserve (reads, listings) do not hold back a scene run or write that may use it.
    const ahead = this.waiters.some((other) => other.priority <= priority);
    if (!ahead && this.waitTime(now, priority) === 0) {
      this.grant(now, kind);
      return Promise.resolve();
    }
    if (this.waitTime(now, priority) > this.maxWaitMs) {
      return Promise.reject(this.limitError(intent, 'waiting would take longer than allowed'));
    }
    if (this.waiters.length >= this.maxQueued) {
      return Promise.reject(this.limitError(intent, `${this.waiters.length} calls already waiting`));
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { priority, kind, intent, deadline: now + this.maxWaitMs, resolve, reject };
      const behind = this.waiters.findIndex((other) => other.priority > priority);
      this.waiters.splice(behind < 0 ? this.waiters.length : behind, 0, waiter);
      void this.pump();
    });
  }

  /** Aqara said 429: pause every call of this app, longer each time it happens again. */
  penalize(): void {
    // One burst of calls refused together is one 429, not a reason to double the pause per call.
    if (this.clock.now() < this.pausedUntil) return;
    this.pausedUntil = this.clock.now() + this.nextBackoffMs;
    this.nextBackoffMs = Math.min(this.nextBackoffMs * 2, MAX_BACKOFF_MS);
  }

  /** A call went through: the next 429 starts from the base pause again. */
  succeeded(): void {
    this.nextBackoffMs = this.baseBackoffMs;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Calls sent in the last 5 minutes and since local midnight, by kind, with the guard's limit. */
  usage(): QuotaUsage {
    return {
      ...this.usageCounter.read(),
      limit: this.limit,
      windowSeconds: Math.round(this.windowMs / 1000),
      waiting: this.waiters.length,
    };
  }

  private grant(now: number, kind: CallKind): void {
    if (this.limit > 0) this.sent.push(now);
    this.usageCounter.record(kind, now);
  }

  /** One loop hands out slots while anyone waits; each turn gives the next slot to the first waiter. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.waiters.length > 0) {
        const now = this.clock.now();
        for (const waiter of [...this.waiters]) {
          if (now <= waiter.deadline) continue;
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.reject(this.limitError(waiter.intent, 'waited longer than allowed'));
        }
        const next = this.waiters[0];
        if (!next) break;
        const wait = this.waitTime(now, next.priority);
        if (wait === 0) {
          this.waiters.shift();
          this.grant(now, next.kind);
          next.resolve();
          continue;
        }
        const firstDeadline = Math.min(...this.waiters.map((waiter) => waiter.deadline));
        await this.clock.sleep(Math.min(wait, Math.max(1, firstDeadline - now + 1)));
      }
    } finally {
      this.pumping = false;
    }
  }

  /** How long a call of this priority must wait for a slot: reads and listings stop short of the reserve. */
  private waitTime(now: number, priority: number): number {
    if (now < this.pausedUntil) return this.pausedUntil - now;
    if (this.limit === 0) return 0;
    while (this.sent.length > 0 && this.sent[0] <= now - this.windowMs) this.sent.shift();
    const allowed = priority === 0 ? this.limit : this.limit - this.reserved;
    if (this.sent.length < allowed) return 0;
    // The send that must leave the window before the count drops below what this call may use.
    return this.sent[this.sent.length - allowed] + this.windowMs - now;
  }

  private limitError(intent: string, why: string): AqaraError {
    const window = Math.round(this.windowMs / 1000);
    const paused = this.clock.now() < this.pausedUntil ? ', paused after Aqara answered 429' : '';
    return new AqaraError(
      `Aqara rate limit: ${intent} not sent (${why}; limit ${this.limit} calls per ${window} s${paused})`,
      { kind: 'transient', code: 429, intent },
    );
  }
}

/** One limiter per Aqara app in this process: the quota belongs to the app, not to a config node. */
const limiters = new Map<string, RateLimiter>();

export function rateLimiterForApp(appId: string, options: RateLimitOptions = {}): RateLimiter {
  const key = `${appId}\u0000${options.limit ?? DEFAULT_RATE_LIMIT}\u0000${options.windowMs ?? DEFAULT_RATE_WINDOW_MS}`;
  let limiter = limiters.get(key);
  if (!limiter) {
    limiter = new RateLimiter(options);
    limiters.set(key, limiter);
  }
  return limiter;
}

/** Which guard a token manager sends through, for the config dialog's quota view. */
const guards = new WeakMap<object, RateLimiter>();

export function bindQuotaGuard(owner: object, limiter: RateLimiter): void {
  guards.set(owner, limiter);
}

export function quotaGuardOf(owner: object): RateLimiter | undefined {
  return guards.get(owner);
}
