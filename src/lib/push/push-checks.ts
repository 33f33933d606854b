import { createHash, timingSafeEqual } from 'node:crypto';

export type SignatureCheck = 'unsigned' | 'valid' | 'invalid';

/**
 * Aqara documents the headers `token`, `time`, `nonce`, and, when signing is on in its console,
 * `appkey` and `sign`, with the signed fields in the order appkey, nonce, time, token joined as
 * `appkey=…&nonce=…&time=…&token=…`. The rest of the rule is not in the pages we could read:
 * here the app key is appended, the whole string lowercased and hashed with MD5 (lowercase hex),
 * exactly as Aqara's request signature. If that guess is wrong every signed push fails this check
 * and is refused (401), never accepted: the user then sees the warning and can turn signing off
 * in Aqara's console, keeping the secret URL as the gate.
 */
export function checkPushSignature(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  appKey: string,
): SignatureCheck {
  const sign = header(headers, 'sign');
  if (sign === undefined) return 'unsigned';
  const appkey = header(headers, 'appkey');
  const nonce = header(headers, 'nonce');
  const time = header(headers, 'time');
  const token = header(headers, 'token');
  if (
    appkey === undefined ||
    nonce === undefined ||
    time === undefined ||
    token === undefined ||
    appKey === ''
  )
    return 'invalid';
  const text = `appkey=${appkey}&nonce=${nonce}&time=${time}&token=${token}${appKey}`.toLowerCase();
  const expected = createHash('md5').update(text, 'utf8').digest('hex');
  return sameText(sign.toLowerCase(), expected) ? 'valid' : 'invalid';
}

export type TokenCheck = 'absent' | 'known' | 'unknown';

/**
 * Aqara's `token` header is "a valid accessToken for the authorized account": compared, in
 * constant time, with every token this config holds or held lately. `unknown` is not proof of
 * forgery (another program sharing the account may have refreshed), so callers decide.
 */
export function checkPushToken(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  knownTokens: Iterable<string>,
): TokenCheck {
  const token = header(headers, 'token');
  if (token === undefined) return 'absent';
  let known = false;
  // Every candidate is compared, so the time taken does not say which one matched.
  for (const candidate of knownTokens) if (sameText(token, candidate)) known = true;
  return known ? 'known' : 'unknown';
}

function header(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  name: string,
): string | undefined {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' || text.length > 512 ? undefined : text;
}

/** Constant-time equality of two strings of any length (hashing first evens out the lengths). */
export function sameText(a: string, b: string): boolean {
  const left = createHash('sha256').update(a, 'utf8').digest();
  const right = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(left, right);
}
