import { AqaraError } from './errors';
import { type Clock, systemClock } from '../clock';

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
  clock?: Clock;
}

export const DEFAULT_RATE_LIMIT = 300;
export const DEFAULT_RATE_WINDOW_MS = 5 * 60 * 1000;
const MAX_BACKOFF_MS = 5 * 60 * 1000;

export class RateLimiter {
  readonly limit: number;
  private readonly windowMs: number;
  private readonly maxQueued: number;
  private readonly maxWaitMs: number;
  private readonly baseBackoffMs: number;
  private readonly clock: Clock;
  /** Send times within the window, oldest first. */
  private readonly sent: number[] = [];
  private queued = 0;
  private pausedUntil = 0;
  private nextBackoffMs: number;

  constructor(options: RateLimitOptions = {}) {
    this.limit = Math.max(0, Math.floor(options.limit ?? DEFAULT_RATE_LIMIT));
    this.windowMs = options.windowMs ?? DEFAULT_RATE_WINDOW_MS;
    this.maxQueued = options.maxQueued ?? 100;
    this.maxWaitMs = options.maxWaitMs ?? 30_000;
    this.baseBackoffMs = options.backoffMs ?? 10_000;
    this.nextBackoffMs = this.baseBackoffMs;
    this.clock = options.clock ?? systemClock;
  }

  /** Resolves when a call may be sent, or rejects with a clear "Aqara rate limit" error. */
  async acquire(intent: string): Promise<void> {
    if (this.limit === 0 && this.clock.now() >= this.pausedUntil) return;
    const deadline = this.clock.now() + this.maxWaitMs;
    let waiting = false;
    try {
      for (;;) {
        const now = this.clock.now();
        const wait = this.waitTime(now);
        if (wait === 0) {
          if (this.limit > 0) this.sent.push(now);
          return;
        }
        if (now + wait > deadline) throw this.limitError(intent, 'waiting would take longer than allowed');
        if (!waiting) {
          if (this.queued >= this.maxQueued)
            throw this.limitError(intent, `${this.queued} calls already waiting`);
          this.queued++;
          waiting = true;
        }
        await this.clock.sleep(wait);
      }
    } finally {
      if (waiting) this.queued--;
    }
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
    return this.queued;
  }

  private waitTime(now: number): number {
    if (now < this.pausedUntil) return this.pausedUntil - now;
    if (this.limit === 0) return 0;
    while (this.sent.length > 0 && this.sent[0] <= now - this.windowMs) this.sent.shift();
    if (this.sent.length < this.limit) return 0;
    return this.sent[0] + this.windowMs - now;
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
