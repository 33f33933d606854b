/**
 * Aqara documents expiresIn as a string of seconds ("604800"); clients have also seen numbers,
 * a missing field and junk. Only a positive whole number of seconds is trusted: anything else means
 * "expiry unknown", and the token is then used until Aqara answers 108 for it.
 */
const TEN_YEARS_SECONDS = 10 * 365 * 24 * 3600;

export type ExpiresInReading =
  { kind: 'seconds'; seconds: number } | { kind: 'missing' } | { kind: 'unreadable'; shape: string };

export function readExpiresIn(raw: unknown): ExpiresInReading {
  if (raw === undefined || raw === null || raw === '') return { kind: 'missing' };
  const seconds =
    typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    return {
      kind: 'unreadable',
      shape: typeof raw === 'string' ? `string of ${raw.length} chars` : typeof raw,
    };
  }
  // Aqara allows up to 10 years; a larger figure is a corrupt answer, not a promise.
  return { kind: 'seconds', seconds: Math.min(seconds, TEN_YEARS_SECONDS) };
}
