import { createHash } from 'node:crypto';

/** Everything that goes into one request's signature. The body is not signed by Aqara. */
export interface SignInput {
  appId: string;
  keyId: string;
  appKey: string;
  nonce: string;
  time: string;
  /** Left out (or empty) on the auth intents, which are called before a token exists. */
  accessToken?: string;
}

/**
 * Aqara's Sign header: lowercase hex MD5 of
 * `Accesstoken=..&Appid=..&Keyid=..&Nonce=..&Time=..<appKey>`, the whole string lowercased first.
 * Fields stay in this fixed ASCII order; the Accesstoken part disappears entirely without a token,
 * because that is what Aqara's server rebuilds on its side for auth intents.
 */
export function signRequest(input: SignInput): string {
  const fields: string[] = [];
  // An empty token is treated like no token: the client never sends an empty Accesstoken header,
  // so signing one would produce a signature the server can never match.
  if (input.accessToken !== undefined && input.accessToken !== '') {
    fields.push(`Accesstoken=${input.accessToken}`);
  }
  fields.push(`Appid=${input.appId}`, `Keyid=${input.keyId}`, `Nonce=${input.nonce}`, `Time=${input.time}`);
  const plain = fields.join('&') + input.appKey;
  return createHash('md5').update(plain.toLowerCase(), 'utf8').digest('hex');
}
