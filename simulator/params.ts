/**
 * Readers for the parameters of the scanning intents (history, statistics, failed pushes). Each
 * answers the value, or a string saying what is wrong, which the caller turns into a 302.
 */

/** Times in ms: clients send numbers or decimal strings; seconds pass as ms from 1970, as at Aqara. */
export function readTime(value: unknown, name: string, strings: boolean): number | string {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (strings && typeof value === 'string' && /^\d{1,16}$/.test(value)) return Number(value);
  return strings
    ? `${name} must be a time in ms (a number or a string of digits)`
    : `${name} must be a number of ms`;
}

/** An optional time: undefined when left out or null. */
export function readOptionalTime(
  value: unknown,
  name: string,
  strings: boolean,
): number | string | undefined {
  return value === undefined || value === null ? undefined : readTime(value, name, strings);
}

/**
 * A page size: the default when left out, at most `max` (more is cut down to it without a word,
 * as Aqara does), below `min` a params error. Numeric strings pass, as some clients send them.
 */
export function readSize(
  value: unknown,
  limits: { fallback: number; min: number; max: number },
): number | string {
  if (value === undefined || value === null) return limits.fallback;
  const size = typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < limits.min)
    return `size must be an integer of at least ${limits.min}`;
  return Math.min(size, limits.max);
}

/** An optional scanId: '' or left out is the first page. */
export function readScanId(value: unknown): string | undefined | false {
  if (value === undefined || value === null || value === '') return undefined;
  return typeof value === 'string' ? value : false;
}

/** A non-empty list of non-empty strings, duplicates dropped in order; undefined when not one. */
export function readIdList(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  if (!value.every((id): id is string => typeof id === 'string' && id !== '')) return undefined;
  return [...new Set(value)];
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
