/**
 * Every failure a caller can see is an AqaraError with a kind, so callers decide what to do
 * (retry, refresh, ask the user for a new token) without parsing message text.
 * Messages name Aqara's code and text and never carry a secret.
 */
export type AqaraErrorKind =
  /** 106, 107, 2002: the app id, key id or app key is wrong. */
  | 'app_credentials'
  /** 108, 109, 804, 2004, 2005: the access token is dead; refresh once and retry once. */
  | 'access_token'
  /** 2006, 2007: the refresh token is dead; a person must paste a new one. */
  | 'refresh_token'
  /** No refresh token is stored for this config. */
  | 'not_configured'
  /** Network fault, timeout, HTTP 5xx, 100, 104, 429, 500, 501, 612 on a read: worth retrying later. */
  | 'transient'
  /** 302, unknown scene, bad input: retrying the same request will not help. */
  | 'caller'
  /**
   * Aqara refused for a reason the user must look at (device offline, permission denied), or a
   * write whose outcome is unknown (612 on a write: the device may have acted).
   */
  | 'rejected'
  /** The token database could not be read or written. */
  | 'storage';

export interface AqaraErrorDetails {
  kind: AqaraErrorKind;
  /** Aqara's numeric code, when Aqara answered. */
  code?: number;
  /** HTTP status, when the answer was not HTTP 200. */
  httpStatus?: number;
  requestId?: string;
  intent?: string;
  /**
   * True when the request may have reached Aqara but its answer was lost (timeout, dropped
   * connection). For a refresh this means Aqara may already have rotated the refresh token.
   */
  answerLost?: boolean;
  cause?: unknown;
}

export class AqaraError extends Error {
  readonly kind: AqaraErrorKind;
  readonly code?: number;
  readonly httpStatus?: number;
  readonly requestId?: string;
  readonly intent?: string;
  readonly answerLost: boolean;

  constructor(message: string, details: AqaraErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'AqaraError';
    this.kind = details.kind;
    this.code = details.code;
    this.httpStatus = details.httpStatus;
    this.requestId = details.requestId;
    this.intent = details.intent;
    this.answerLost = details.answerLost ?? false;
  }
}

const KIND_BY_CODE: ReadonlyMap<number, AqaraErrorKind> = new Map([
  [100, 'transient'],
  [104, 'transient'],
  [429, 'transient'],
  [500, 'transient'],
  [501, 'transient'],
  [106, 'app_credentials'],
  [107, 'app_credentials'],
  [2002, 'app_credentials'],
  [108, 'access_token'],
  [109, 'access_token'],
  // "token failed": Aqara's own SDK lists it among the token errors.
  [804, 'access_token'],
  [2004, 'access_token'],
  [2005, 'access_token'],
  [2006, 'refresh_token'],
  [2007, 'refresh_token'],
  [302, 'caller'],
  [716, 'caller'],
  [1202, 'caller'],
]);

/** Aqara's "gateway did not answer": the command may or may not have reached the device. */
const GATEWAY_NO_ANSWER = 612;

/**
 * Aqara answer codes this project has no specific rule for are reported, not retried. The intent
 * matters for 612 only: a read is safe to repeat, a write may already have switched the device, so
 * repeating it is the user's call, not ours.
 */
export function kindOfAqaraCode(code: number, intent?: string): AqaraErrorKind {
  if (code === GATEWAY_NO_ANSWER) return intent?.startsWith('query.') ? 'transient' : 'rejected';
  return KIND_BY_CODE.get(code) ?? 'rejected';
}

export function isAqaraError(error: unknown): error is AqaraError {
  return error instanceof AqaraError;
}
