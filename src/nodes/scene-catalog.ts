/**
 * The scenes of the Aqara account behind one config, for the scene picker of the aqara-scene editor:
 * every position (`query.position.info`), then every scene of each position
 * (`query.scene.listByPositionId`), all pages of both. It knows only how to call an intent, so it
 * works with any token manager (and with a fake one in tests).
 */

import { isRecord } from '../lib/is-record';

/** What the catalog needs of a token manager; TokenManager satisfies it. */
export interface SceneCatalogSource {
  call<T = unknown>(intent: string, data: unknown): Promise<{ result: T }>;
}

export interface CatalogScene {
  sceneId: string;
  name: string;
  positionId: string;
  positionName: string;
}

export interface SceneCatalog {
  scenes: CatalogScene[];
  /** True when the call budget ran out first: the list is what was found until then. */
  truncated: boolean;
}

export interface SceneCatalogOptions {
  pageSize?: number;
  /**
   * Calls one listing may make, positions and scenes together. Bounds a server that keeps saying
   * there is more, and keeps the picker from eating the app's quota, which scene runs need.
   */
  maxCalls?: number;
}

/** Aqara's default page is 30; a larger one means fewer calls. */
export const CATALOG_PAGE_SIZE = 50;
export const MAX_CATALOG_CALLS = 100;

const POSITIONS_INTENT = 'query.position.info';
const SCENES_INTENT = 'query.scene.listByPositionId';

/** An answer Aqara should never give: reported in words, like an Aqara error. */
export class SceneCatalogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SceneCatalogError';
  }
}

type Item = Record<string, unknown>;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Counts calls against the budget; false once it is spent. */
class CallBudget {
  private left: number;

  constructor(max: number) {
    this.left = max;
  }

  take(): boolean {
    if (this.left <= 0) return false;
    this.left -= 1;
    return true;
  }
}

/**
 * Every item of a paged list, read page by page until the server's `totalCount` is reached, a page
 * comes back empty or adds nothing new (a server ignoring pageNum), or, without a totalCount, a page
 * is short. Items are keyed by their id; also says whether the budget ran out before the end.
 */
async function readAllPages(
  source: SceneCatalogSource,
  intent: string,
  query: Record<string, unknown>,
  keyOf: (item: Item) => string | undefined,
  pageSize: number,
  budget: CallBudget,
): Promise<{ items: Map<string, Item>; truncated: boolean }> {
  const items = new Map<string, Item>();
  for (let pageNum = 1; ; pageNum++) {
    if (!budget.take()) return { items, truncated: true };
    const { result } = await source.call<unknown>(intent, { ...query, pageNum, pageSize });
    const page = isRecord(result) ? result.data : undefined;
    if (!Array.isArray(page)) {
      throw new SceneCatalogError(`Aqara answered ${intent} without a list of items`);
    }
    const before = items.size;
    for (const item of page) {
      const key = isRecord(item) ? keyOf(item) : undefined;
      // Items without an id cannot be picked; a repeated id is the same item seen twice.
      if (key !== undefined && isRecord(item) && !items.has(key)) items.set(key, item);
    }
    const total = isRecord(result) && typeof result.totalCount === 'number' ? result.totalCount : undefined;
    const finished =
      page.length === 0 ||
      items.size === before ||
      (total !== undefined ? items.size >= total : page.length < pageSize);
    if (finished) return { items, truncated: false };
  }
}

/** Lists the account's scenes, positions in Aqara's order, scenes in Aqara's order within each. */
export async function listAccountScenes(
  source: SceneCatalogSource,
  options: SceneCatalogOptions = {},
): Promise<SceneCatalog> {
  const pageSize = options.pageSize ?? CATALOG_PAGE_SIZE;
  const budget = new CallBudget(options.maxCalls ?? MAX_CATALOG_CALLS);
  const positions = await readAllPages(
    source,
    POSITIONS_INTENT,
    {},
    (item) => text(item.positionId),
    pageSize,
    budget,
  );
  let truncated = positions.truncated;
  const scenes: CatalogScene[] = [];
  const seen = new Set<string>();
  for (const [positionId, position] of positions.items) {
    const positionName = text(position.positionName) ?? positionId;
    const listed = await readAllPages(
      source,
      SCENES_INTENT,
      { positionId },
      (item) => text(item.sceneId),
      pageSize,
      budget,
    );
    truncated ||= listed.truncated;
    for (const [sceneId, item] of listed.items) {
      if (seen.has(sceneId)) continue;
      seen.add(sceneId);
      scenes.push({ sceneId, name: text(item.name) ?? sceneId, positionId, positionName });
    }
    if (listed.truncated) break;
  }
  return { scenes, truncated };
}

/**
 * One listing per source at a time: the editor may ask twice while a dialog opens (the config select
 * fires its change event more than once), and each listing costs calls from the app's quota.
 */
const inFlight = new WeakMap<SceneCatalogSource, Promise<SceneCatalog>>();

export function listAccountScenesShared(
  source: SceneCatalogSource,
  options: SceneCatalogOptions = {},
): Promise<SceneCatalog> {
  const running = inFlight.get(source);
  if (running) return running;
  const listing = listAccountScenes(source, options).finally(() => inFlight.delete(source));
  inFlight.set(source, listing);
  return listing;
}
