import type { IncomingHttpHeaders } from 'node:http';
import { answer } from './codes';
import { signMatches } from './signature';
import type { AqaraAnswer, SimulatorApp } from './types';

/** Aqara rejects requests whose Time is further than this from its own clock. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

const REQUIRED_HEADERS = ['Appid', 'Keyid', 'Nonce', 'Time', 'Sign'] as const;

/** Sweeping on every request would make a benchmark quadratic; every so often is enough. */
const SWEEP_EVERY = 1024;

export type GateResult =
  | { ok: true; app: SimulatorApp; accessToken?: string }
  | { ok: false; answer: AqaraAnswer; accessToken?: string };

/**
 * Node joins repeated custom headers with ", " and lowercases names; a header sent twice is
 * read as that joined value, which then fails the sign check like it would at Aqara.
 */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const raw = headers[name.toLowerCase()];
  const value = Array.isArray(raw) ? raw.join(', ') : raw;
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Everything Aqara checks before it looks at the body: headers, app, sign, clock, replay.
 * The order matters to clients that map codes to causes, so it follows the protocol notes.
 */
export class RequestGate {
  /** app id + nonce -> clock time after which a replay would fail the Time check anyway. */
  private readonly nonces = new Map<string, number>();
  private insertsSinceSweep = 0;

  constructor(
    private readonly apps: readonly SimulatorApp[],
    private readonly now: () => number,
  ) {}

  check(headers: IncomingHttpHeaders): GateResult {
    const accessToken = headerValue(headers, 'Accesstoken');
    const fail = (code: number, message?: string): GateResult => ({
      ok: false,
      answer: answer(code, message),
      accessToken,
    });

    for (const name of REQUIRED_HEADERS) {
      if (headerValue(headers, name) === undefined) return fail(305, `Missing required header: ${name}`);
    }
    // The loop above proved these are present; the fallbacks only satisfy the type checker.
    const appId = headerValue(headers, 'Appid') ?? '';
    const keyId = headerValue(headers, 'Keyid') ?? '';
    const nonce = headerValue(headers, 'Nonce') ?? '';
    const time = headerValue(headers, 'Time') ?? '';
    const sign = headerValue(headers, 'Sign') ?? '';

    const app = this.apps.find((candidate) => candidate.appId === appId);
    if (!app) return fail(2002);
    if (app.keyId !== keyId) return fail(2002);
    if (!signMatches(sign, { appId, keyId, nonce, time, appKey: app.appKey, accessToken })) {
      return fail(106);
    }

    const now = this.now();
    const sentAt = /^\d{1,16}$/.test(time) ? Number(time) : Number.NaN;
    if (!Number.isFinite(sentAt) || Math.abs(sentAt - now) > MAX_CLOCK_SKEW_MS) {
      return fail(105, 'request time is invalid: more than 5 minutes away from server time');
    }

    const nonceKey = `${appId}\n${nonce}`;
    const forgetAt = this.nonces.get(nonceKey);
    if (forgetAt !== undefined && forgetAt >= now) return fail(105, 'nonce reused');
    this.rememberNonce(nonceKey, sentAt + MAX_CLOCK_SKEW_MS, now);

    return { ok: true, app, accessToken };
  }

  private rememberNonce(key: string, forgetAt: number, now: number): void {
    this.nonces.set(key, forgetAt);
    this.insertsSinceSweep += 1;
    if (this.insertsSinceSweep < SWEEP_EVERY) return;
    this.insertsSinceSweep = 0;
    for (const [nonceKey, until] of this.nonces) {
      if (until < now) this.nonces.delete(nonceKey);
    }
  }
}
