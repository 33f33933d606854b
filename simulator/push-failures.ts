import { answer } from './codes';
import { readOptionalTime, readScanId, readSize } from './params';
import { decodeScanId, encodeScanId } from './scan-id';
import type { AqaraAnswer } from './types';

/**
 * Pushes Aqara could not deliver, served by `query.push.errorMsg`: the way a receiver that was
 * stopped or unreachable learns what it missed. Aqara keeps them 12 hours; so does the simulator,
 * on its own clock.
 *
 * A push fails when the connection is refused or breaks, when no answer comes in time, or when the
 * answer is not 2xx. Where Aqara's behaviour is unknown the simulator takes the rougher reading:
 * - A push is listed from its first failed attempt on, while its retries may still be pending, and
 *   stays listed after a retry got through: a receiver that had it must drop the copy by msgId.
 * - Every copy that failed is an entry of its own: one msgId sent twice (Aqara's redelivery) and
 *   failing twice is listed twice.
 * - Entries come newest first, 20 a page by default, at most 100 (a larger size is cut down).
 * - startTime and endTime (when the push failed) must be numbers of ms: a string is a 302. The
 *   window is clamped to the last 12 hours; `openId` or `msgType` that match nothing give an empty
 *   list, and an `appId` other than the calling app's is a 302.
 * - An entry (shape the simulator's guess; only `content` is confirmed):
 *   `{msgId, appId, openId, msgType, pushTime: "<ms of the first failure, a string>", failCount,
 *   errorMsg: "<why the last attempt failed>", content: "<the push body as sent, JSON text>"}`.
 *   A resource report's msgType is `resource_report`; an event's is its eventType.
 */

export const FAILED_PUSH_KEEP_MS = 12 * 3600 * 1000;
export const FAILED_PUSH_DEFAULT_SIZE = 20;
export const FAILED_PUSH_MAX_SIZE = 100;
/** Bounded so a long benchmark with the receiver down cannot grow the simulator without limit. */
const MAX_ENTRIES = 200_000;

export interface FailedPush {
  msgId: string;
  appId: string;
  openId: string;
  msgType: string;
  /** The body exactly as it was sent. */
  content: string;
  /** Simulator clock of the first failed attempt. */
  firstFailedAt: number;
  lastFailedAt: number;
  failCount: number;
  /** Why the last attempt failed: `connection refused`, `timeout`, `HTTP 503`, ... */
  reason: string;
  /** A later attempt of the same copy got a 2xx (it is listed all the same). */
  deliveredLater: boolean;
}

interface Entry extends FailedPush {
  sequence: number;
}

export interface PushFailureLogOptions {
  now: () => number;
  openIdFor: (appId: string) => string;
}

export class PushFailureLog {
  private entries: Entry[] = [];
  private sequence = 0;

  constructor(private readonly options: PushFailureLogOptions) {}

  /** A new failed copy; later attempts of it go through failedAgain() and delivered(). */
  record(
    push: { msgId: string; appId: string; content: string; msgType: string },
    reason: string,
  ): FailedPush {
    const now = this.options.now();
    this.prune(now);
    this.sequence += 1;
    const entry: Entry = {
      ...push,
      openId: this.options.openIdFor(push.appId),
      firstFailedAt: now,
      lastFailedAt: now,
      failCount: 1,
      reason,
      deliveredLater: false,
      sequence: this.sequence,
    };
    this.entries.push(entry);
    if (this.entries.length > MAX_ENTRIES) this.entries.splice(0, this.entries.length - MAX_ENTRIES);
    return entry;
  }

  failedAgain(failure: FailedPush, reason: string): void {
    failure.failCount += 1;
    failure.lastFailedAt = this.options.now();
    failure.reason = reason;
  }

  delivered(failure: FailedPush): void {
    failure.deliveredLater = true;
  }

  /** What Aqara holds as failed now (the last 12 hours), oldest first; copies, for tests to read. */
  list(appId?: string): FailedPush[] {
    const now = this.options.now();
    return this.entries
      .filter((entry) => live(entry, now) && (appId === undefined || entry.appId === appId))
      .map(({ sequence: _sequence, ...entry }) => entry);
  }

  /** Forget every failure, as if 12 hours had passed. */
  clear(): void {
    this.entries = [];
  }

  /** `query.push.errorMsg` for the calling app. */
  query(callerAppId: string, data: Record<string, unknown>): AqaraAnswer {
    const fail = (message: string): AqaraAnswer => answer(302, `params error: ${message}`);
    if (typeof data.appId !== 'string' || data.appId === '') return fail('appId is required');
    if (data.appId !== callerAppId) return fail('appId does not match the request');
    const openId = optionalString(data.openId);
    if (openId === false) return fail('openId must be a string');
    const msgType = optionalString(data.msgType);
    if (msgType === false) return fail('msgType must be a string');
    const start = readOptionalTime(data.startTime, 'startTime', false);
    if (typeof start === 'string') return fail(start);
    const end = readOptionalTime(data.endTime, 'endTime', false);
    if (typeof end === 'string') return fail(end);
    if (start !== undefined && end !== undefined && start > end) return fail('startTime is after endTime');
    const size = readSize(data.size, {
      fallback: FAILED_PUSH_DEFAULT_SIZE,
      min: 1,
      max: FAILED_PUSH_MAX_SIZE,
    });
    if (typeof size === 'string') return fail(size);
    const scanId = readScanId(data.scanId);
    if (scanId === false) return fail('scanId must be a string');

    const query = JSON.stringify([callerAppId, openId ?? null, msgType ?? null, start ?? null, end ?? null]);
    let before = Number.MAX_SAFE_INTEGER;
    if (scanId !== undefined) {
      const decoded = decodeScanId('errorMsg', query, scanId, 1);
      if (!decoded) return fail('scanId is invalid');
      before = decoded[0];
    }
    const now = this.options.now();
    this.prune(now);
    const matches = (entry: Entry): boolean =>
      entry.sequence < before &&
      live(entry, now) &&
      entry.appId === callerAppId &&
      (openId === undefined || entry.openId === openId) &&
      (msgType === undefined || entry.msgType === msgType) &&
      (start === undefined || entry.firstFailedAt >= start) &&
      (end === undefined || entry.firstFailedAt <= end);
    const page: Entry[] = [];
    let more = false;
    for (let index = this.entries.length - 1; index >= 0; index -= 1) {
      const entry = this.entries[index];
      if (!matches(entry)) continue;
      if (page.length === size) {
        more = true;
        break;
      }
      page.push(entry);
    }
    const last = page.at(-1);
    return answer(0, undefined, {
      msg: page.map((entry) => ({
        msgId: entry.msgId,
        appId: entry.appId,
        openId: entry.openId,
        msgType: entry.msgType,
        pushTime: String(entry.firstFailedAt),
        failCount: entry.failCount,
        errorMsg: entry.reason,
        content: entry.content,
      })),
      scanId: more && last ? encodeScanId('errorMsg', query, [last.sequence]) : '',
    });
  }

  /** Entries are in the order they failed, so the expired ones are at the front. */
  private prune(now: number): void {
    let expired = 0;
    while (expired < this.entries.length && !live(this.entries[expired], now)) expired += 1;
    if (expired > 0) this.entries.splice(0, expired);
  }
}

function live(entry: FailedPush, now: number): boolean {
  return entry.firstFailedAt > now - FAILED_PUSH_KEEP_MS;
}

function optionalString(value: unknown): string | undefined | false {
  if (value === undefined || value === null || value === '') return undefined;
  return typeof value === 'string' ? value : false;
}
