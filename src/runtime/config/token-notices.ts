import type { AqaraError } from '../../lib/aqara/errors';
import { NO_REFRESH_TOKEN_MESSAGE } from '../../lib/tokens/messages';
import type { TokenState, TokenStatus } from '../../lib/tokens/status';

/** `msg.topic` of the messages aqara-token-status sends by itself when the token situation changes. */
export type NoticeTopic =
  'refreshed' | 'refresh_failed' | 'reauthorization_needed' | 'refresh_token_expiring';

/** A condition that lasts is announced again after this long, not on every check or failed call. */
export const REPEAT_NOTICE_MS = 24 * 3600 * 1000;

/**
 * A refused refresh token, refused app credentials or no refresh token at all do not heal by retrying:
 * a person has to paste a token or fix the config. Anything else (network, Aqara down, rate limit,
 * storage) may pass.
 */
export function failureTopic(error: AqaraError): 'refresh_failed' | 'reauthorization_needed' {
  return error.kind === 'refresh_token' || error.kind === 'app_credentials' || error.kind === 'not_configured'
    ? 'reauthorization_needed'
    : 'refresh_failed';
}

/** The token states the failures above leave behind: they last until a person acts. */
const NEEDS_A_PERSON: ReadonlySet<TokenState> = new Set<TokenState>(['no_token', 'expired', 'auth_error']);

/**
 * Why a person must act now, in words, or undefined when nothing is stuck. For a node that starts
 * while the condition already holds: the failure that led there may have come while no notifying node
 * was listening (during a deploy), or with no refresh at all (nobody ever pasted a token).
 */
export function reauthorizationReason(status: TokenStatus): string | undefined {
  if (!NEEDS_A_PERSON.has(status.state)) return undefined;
  // Without a refresh attempt there is no last error; the text is the one a refresh would give.
  return status.last_error ?? (status.state === 'no_token' ? NO_REFRESH_TOKEN_MESSAGE : undefined);
}

/** Whether the estimated death of the stored refresh token is at most `warnMs` away (or past). */
export function expiresWithin(status: TokenStatus, now: number, warnMs: number): boolean {
  if (!status.configured || typeof status.refresh_token_expires_at !== 'string') return false;
  const expiresAt = Date.parse(status.refresh_token_expires_at);
  return Number.isFinite(expiresAt) && expiresAt - now <= warnMs;
}

/**
 * When each lasting condition was last announced by one aqara-token-status node. Kept by the
 * config's runtime, keyed by node id, because Node-RED rebuilds the node on every deploy: a
 * notification channel (e-mail, phone) must not hear "expiring" again each time someone deploys a
 * flow. Dropped when the node is removed from the flows.
 */
export class NoticeMemory {
  private readonly sentAt = new Map<NoticeTopic, number>();

  /** True (and recorded) when the condition was not announced within the last day. */
  claim(topic: NoticeTopic, now: number): boolean {
    const last = this.sentAt.get(topic);
    // A clock that went back says nothing about how long ago it was: announce rather than stay quiet.
    if (last !== undefined && now >= last && now - last < REPEAT_NOTICE_MS) return false;
    this.sentAt.set(topic, now);
    return true;
  }

  /** The condition is over: when it comes back it is announced at once. */
  clear(...topics: NoticeTopic[]): void {
    for (const topic of topics) this.sentAt.delete(topic);
  }
}
