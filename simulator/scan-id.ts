/**
 * The `scanId` of Aqara's scanning intents (history, statistics, failed pushes): an opaque string
 * that carries where the next page starts. The simulator keeps no state for it: the cursor travels
 * inside, bound to a fingerprint of the query, so a scanId sent with other parameters (another
 * resource, another range) is refused like a forged one instead of silently paging something else.
 */

/** A scanId for the page after `cursor`; `kind` keeps one intent's scanId out of another's. */
export function encodeScanId(kind: string, query: string, cursor: readonly number[]): string {
  return Buffer.from(JSON.stringify([kind, fingerprint(query), ...cursor]), 'utf8').toString('base64url');
}

/** The cursor inside, or undefined when the scanId is not one this query was given. */
export function decodeScanId(
  kind: string,
  query: string,
  scanId: string,
  length: number,
): number[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(scanId, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== length + 2) return undefined;
  const [scanKind, scanQuery, ...cursor] = parsed as unknown[];
  if (scanKind !== kind || scanQuery !== fingerprint(query)) return undefined;
  return cursor.every((value): value is number => Number.isSafeInteger(value)) ? cursor : undefined;
}

function fingerprint(text: string): number {
  let hash = 0x811c9dc5;
  for (const char of text) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
