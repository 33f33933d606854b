/**
 * What the editor's pickers list (scenes, devices, a model's resources) costs Aqara calls from the
 * app's quota each time a dialog opens; the answers change rarely. So they are kept (listings for
 * 10 minutes, resource definitions for a day: the TTLs of device-service.ts). A refresh asked by
 * the user bypasses the cache at most once a minute per config, so a button pressed repeatedly
 * cannot spend the quota scene runs need.
 */
export const REFRESH_MIN_INTERVAL_MS = 60 * 1000;

export interface Listing<T> {
  value: T;
  /** When the listing was made (ms since epoch). */
  at: number;
  /** A refresh was asked for but refused: the last one was less than a minute ago. */
  refreshRefused: boolean;
}

interface Entry {
  value: unknown;
  at: number;
}

export class ListingCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<Entry>>();
  private lastForcedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly now: () => number = Date.now) {}

  /** `load(forced)` is called only when the entry is missing, stale, or a refresh is granted. */
  async get<T>(
    key: string,
    ttlMs: number,
    refresh: boolean,
    load: (forced: boolean) => Promise<T>,
  ): Promise<Listing<T>> {
    const now = this.now();
    const entry = this.entries.get(key);
    let forced = false;
    let refreshRefused = false;
    if (refresh) {
      if (now - this.lastForcedAt >= REFRESH_MIN_INTERVAL_MS) {
        forced = true;
        this.lastForcedAt = now;
      } else {
        refreshRefused = true;
      }
    }
    if (entry && !forced && now - entry.at < ttlMs) {
      return { value: entry.value as T, at: entry.at, refreshRefused };
    }
    // Two dialogs opening at once share one listing.
    let running = this.inFlight.get(key);
    if (!running) {
      running = load(forced)
        .then((value) => {
          const made = { value, at: this.now() };
          this.entries.set(key, made);
          return made;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, running);
    }
    const made = await running;
    return { value: made.value as T, at: made.at, refreshRefused };
  }
}

/** `refresh=1` (or true) in a query string. */
export function wantsRefresh(value: unknown): boolean {
  return value === '1' || value === 'true';
}
