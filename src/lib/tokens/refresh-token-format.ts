/**
 * What a pasted refresh token must look like before it may replace the stored one. A stored token
 * may be the only live one (it rotates on every refresh), so a paste mistake must be refused, not
 * stored: Aqara would refuse it later, when the good token is already gone.
 */
export const MAX_REFRESH_TOKEN_LENGTH = 4096;

export type RefreshTokenCheck = { ok: true; token: string } | { ok: false; problem: string };

/**
 * Whether an access token Aqara sent can go into the Accesstoken header as it is. One that cannot
 * (a space, a control character, empty, absurdly long) would make every call fail until it expires,
 * up to 7 days: it is a failed refresh, never a cached token. Nothing is trimmed: what Aqara sent
 * is what would be sent back.
 */
export function accessTokenProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw === '') return 'it is empty';
  if (raw.length > MAX_REFRESH_TOKEN_LENGTH)
    return `it is longer than ${MAX_REFRESH_TOKEN_LENGTH} characters`;
  if (!/^[\x21-\x7e]+$/.test(raw)) return 'it contains whitespace or characters a header cannot carry';
  return undefined;
}

/** Surrounding whitespace (a pasted newline) is dropped; anything else unusual is a problem. */
export function checkRefreshToken(raw: unknown): RefreshTokenCheck {
  if (raw === undefined || raw === null) return { ok: false, problem: 'refresh_token is required' };
  if (typeof raw !== 'string') return { ok: false, problem: 'refresh_token must be a string' };
  const token = raw.trim();
  if (token === '') return { ok: false, problem: 'refresh_token must not be empty' };
  if (/\s/.test(token)) return { ok: false, problem: 'refresh_token must not contain whitespace' };
  if (token.length > MAX_REFRESH_TOKEN_LENGTH) {
    return {
      ok: false,
      problem: `refresh_token must not be longer than ${MAX_REFRESH_TOKEN_LENGTH} characters`,
    };
  }
  if (!/^[\x21-\x7e]+$/.test(token)) {
    return { ok: false, problem: 'refresh_token must contain only printable ASCII characters' };
  }
  return { ok: true, token };
}
