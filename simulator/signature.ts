import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The simulator's own implementation of Aqara's sign rule. It deliberately shares nothing with
 * the client's signer in src/: both are checked against the protocol's test vectors, so a
 * mistake copied into both sides cannot make the tests pass.
 */
export interface SignFields {
  appId: string;
  keyId: string;
  nonce: string;
  time: string;
  appKey: string;
  /** Absent or empty means the Accesstoken part is left out of the signed string entirely. */
  accessToken?: string;
}

export function signedString(fields: SignFields): string {
  const pairs: string[] = [];
  if (fields.accessToken) pairs.push(`Accesstoken=${fields.accessToken}`);
  pairs.push(
    `Appid=${fields.appId}`,
    `Keyid=${fields.keyId}`,
    `Nonce=${fields.nonce}`,
    `Time=${fields.time}`,
  );
  return (pairs.join('&') + fields.appKey).toLowerCase();
}

export function computeSign(fields: SignFields): string {
  return createHash('md5').update(signedString(fields), 'utf8').digest('hex');
}

/**
 * Exact comparison: Aqara documents lowercase hex, and a client that sends anything else should
 * find out here rather than against the real service.
 */
export function signMatches(given: string, fields: SignFields): boolean {
  const expected = Buffer.from(computeSign(fields), 'utf8');
  const actual = Buffer.from(given, 'utf8');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
