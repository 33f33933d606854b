import { isAqaraError } from '../errors';

/**
 * Resources Aqara refuses to read: asking for one of them fails the whole `query.resource.value`
 * with 302 "all resource not open", whatever else was asked with it. Learned one resource at a time
 * and kept for the account, so reads by nodes and polls of the device watch skip them alike.
 */
export class UnreadableResources {
  private readonly keys = new Set<string>();

  has(did: string, resourceId: string): boolean {
    return this.keys.has(`${did}/${resourceId}`);
  }

  add(did: string, resourceId: string): void {
    this.keys.add(`${did}/${resourceId}`);
  }
}

/** Aqara's answer when at least one asked resource is not readable. */
export function isNotOpen(error: unknown): boolean {
  return isAqaraError(error) && error.code === 302 && /not open/i.test(error.message);
}
