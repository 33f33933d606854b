import { randomBytes } from 'node:crypto';

/**
 * A fresh random Nonce for every request. Aqara may reject a repeated nonce as a replay, and a
 * predictable one would make captured signatures easier to reuse, so it comes from the CSPRNG.
 */
export function createNonce(): string {
  return randomBytes(16).toString('hex');
}
