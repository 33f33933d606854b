import { AqaraError } from './errors';

export type AqaraRegion = 'cn' | 'usa' | 'ger' | 'kr' | 'ru' | 'sg';

/**
 * Aqara's regional API hosts. App keys are per region, so picking the wrong one fails with an
 * auth error rather than a network error. (Hosts such as open-rus / open-sgp / open-kor, seen in
 * some third-party code, do not exist.)
 */
export const AQARA_REGIONS: Readonly<Record<AqaraRegion, string>> = Object.freeze({
  cn: 'https://open-cn.aqara.com',
  usa: 'https://open-usa.aqara.com',
  ger: 'https://open-ger.aqara.com',
  kr: 'https://open-kr.aqara.com',
  ru: 'https://open-ru.aqara.com',
  sg: 'https://open-sg.aqara.com',
});

/** The value a config node stores to say "use baseUrl instead of a region". */
export const CUSTOM_REGION = 'custom';

const DEFAULT_REGION: AqaraRegion = 'cn';

export function isAqaraRegion(v: unknown): v is AqaraRegion {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(AQARA_REGIONS, v);
}

/**
 * Turns a config node's region (+ custom URL) into the base URL the client appends
 * `/v3.0/open/api` to. A missing region means China mainland, Aqara's own default.
 * A known region ignores customUrl: a leftover URL from an earlier "custom" choice must not win.
 */
export function resolveBaseUrl(region: string | undefined, customUrl?: string): string {
  // Editors and hand-written config files bring stray spaces and capitals; they carry no meaning.
  const wanted = (region ?? '').trim().toLowerCase();
  if (wanted === '') return AQARA_REGIONS[DEFAULT_REGION];
  if (isAqaraRegion(wanted)) return AQARA_REGIONS[wanted];
  if (wanted === CUSTOM_REGION) {
    if (customUrl === undefined || customUrl.trim() === '') {
      throw new AqaraError('Aqara region is "custom" but no base URL is set', { kind: 'caller' });
    }
    return normalizeBaseUrl(customUrl);
  }
  throw new AqaraError(
    `Aqara region ${JSON.stringify(truncate(region ?? ''))} is not known: use one of ` +
      `${Object.keys(AQARA_REGIONS).join(', ')} or ${CUSTOM_REGION}`,
    { kind: 'caller' },
  );
}

/**
 * Checks a base URL and returns it without trailing slashes, so `${base}/v3.0/open/api` is always
 * well formed. Query strings and fragments are refused because the path is appended after them.
 * URLs with user:password are refused and never echoed, since that part is a secret.
 */
export function normalizeBaseUrl(url: string): string {
  const text = url.trim();
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new AqaraError(`Aqara base URL ${describeUrl(text)} is not a valid URL`, { kind: 'caller' });
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new AqaraError('Aqara base URL must not contain a user name or password', { kind: 'caller' });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new AqaraError(`Aqara base URL ${describeUrl(text)} must start with http:// or https://`, {
      kind: 'caller',
    });
  }
  if (parsed.search !== '' || parsed.hash !== '' || text.includes('?') || text.includes('#')) {
    throw new AqaraError(`Aqara base URL ${describeUrl(text)} must not contain a query or fragment`, {
      kind: 'caller',
    });
  }
  return `${parsed.origin}${parsed.pathname}`.replace(/\/+$/, '');
}

/** Quotes a user-supplied URL for a message, short, and hidden entirely if it looks like it has credentials. */
function describeUrl(text: string): string {
  return text.includes('@') ? '(hidden: contains "@")' : JSON.stringify(truncate(text));
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
