/**
 * What a pasted refresh token must look like before it may replace the stored one. A stored token
 * may be the only live one (it rotates on every refresh), so a paste mistake must be refused, not
 * stored: Aqara would refuse it later, when the good token is already gone.
 */
export const MAX_REFRESH_TOKEN_LENGTH = 4096;

export type RefreshTokenCheck = { ok: true; token: string } | { ok: false; problem: string };

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
