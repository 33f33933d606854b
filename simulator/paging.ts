/** Aqara's documented default page size for list intents. */
const DEFAULT_PAGE_SIZE = 30;

export interface Page {
  pageNum: number;
  pageSize: number;
}

/** The page a list intent asks for; undefined when pageNum or pageSize is not a positive integer. */
export function readPage(data: Record<string, unknown>): Page | undefined {
  const pageNum = positiveInteger(data.pageNum, 1);
  const pageSize = positiveInteger(data.pageSize, DEFAULT_PAGE_SIZE);
  return pageNum !== undefined && pageSize !== undefined ? { pageNum, pageSize } : undefined;
}

/** Numeric strings are accepted because Aqara's own examples send some numbers as strings. */
function positiveInteger(value: unknown, fallback: number): number | undefined {
  if (value === undefined || value === null) return fallback;
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number) && number >= 1 ? number : undefined;
}
