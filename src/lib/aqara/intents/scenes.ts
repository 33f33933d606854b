/**
 * Aqara's scene intents: running one, and listing every scene of the account with the home or room
 * it sits on. Knows Aqara's intents, fields and codes, and nothing of tokens, storage or Node-RED.
 */

import { isRecord } from '../../is-record';
import { AqaraError, isAqaraError } from '../errors';
import type { IntentCaller } from './caller';

export const RUN_SCENE_INTENT = 'config.scene.run';
export const POSITIONS_INTENT = 'query.position.info';
export const SCENES_INTENT = 'query.scene.listByPositionId';

/** Aqara answers a scene id it does not know with either code, depending on the intent and region. */
const SCENE_NOT_FOUND_CODES: ReadonlySet<number> = new Set([716, 1202]);

export function isSceneNotFound(error: unknown): boolean {
  return isAqaraError(error) && error.code !== undefined && SCENE_NOT_FOUND_CODES.has(error.code);
}

/**
 * Aqara scene ids look like `AL.123456789`; ids of other kinds of object also carry a dot. A scene
 * name with neither is far more likely a typo of a name than an id, so it is reported as unknown.
 */
export function looksLikeSceneId(text: string): boolean {
  return /^AL\./i.test(text) || text.includes('.');
}

export interface SceneRun {
  requestId: string;
  /** Aqara does not document this result: passed through as sent. */
  result: unknown;
}

/**
 * Runs one scene. "Scene does not exist" becomes an error naming the id: Aqara's own text does not,
 * and the id is what the user has to check.
 */
export async function runScene(caller: IntentCaller, sceneId: string): Promise<SceneRun> {
  try {
    const response = await caller.call(RUN_SCENE_INTENT, { sceneId });
    return { requestId: response.requestId, result: response.result };
  } catch (error) {
    if (isAqaraError(error) && isSceneNotFound(error)) {
      throw new AqaraError(`Aqara scene ${sceneId} does not exist (code ${error.code})`, {
        kind: 'caller',
        code: error.code,
        requestId: error.requestId,
        intent: error.intent,
      });
    }
    throw error;
  }
}

export interface CatalogScene {
  sceneId: string;
  name: string;
  /** The home or room the scene sits on. */
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

interface Listed {
  items: Map<string, Item>;
  truncated: boolean;
}

/**
 * Every item of a paged list, read page by page until the server's `totalCount` is reached, a page
 * comes back empty or adds nothing new (a server ignoring pageNum), or, without a totalCount, a page
 * is short. Items are keyed by their id; also says whether the budget ran out before the end.
 */
async function readAllPages(
  caller: IntentCaller,
  intent: string,
  query: Record<string, unknown>,
  keyOf: (item: Item) => string | undefined,
  pageSize: number,
  budget: CallBudget,
): Promise<Listed> {
  const items = new Map<string, Item>();
  for (let pageNum = 1; ; pageNum++) {
    if (!budget.take()) return { items, truncated: true };
    const { result } = await caller.call<unknown>(intent, { ...query, pageNum, pageSize });
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

/**
 * Positions under one parent. Aqara wants `parentPositionId` present: `""` names the top level (the
 * homes), and a request without the key is refused as a parameter error.
 */
function listPositions(
  caller: IntentCaller,
  parentPositionId: string,
  pageSize: number,
  budget: CallBudget,
): Promise<Listed> {
  return readAllPages(
    caller,
    POSITIONS_INTENT,
    { parentPositionId },
    (item) => text(item.positionId),
    pageSize,
    budget,
  );
}

interface Position {
  positionId: string;
  positionName: string;
}

/**
 * Lists the account's scenes: each home's own scenes, then those of each of its rooms, in Aqara's
 * order. Homes and rooms are the two levels Aqara's app has; the rooms of a room are not asked for,
 * which would cost one call per room and, in every answer recorded from the real cloud, find nothing.
 * Calls: 1 for the homes, then per home 1 for its rooms, and per home and per room 1 for its
 * scenes (more where a list runs over a page), all within the budget.
 */
export async function listAccountScenes(
  caller: IntentCaller,
  options: SceneCatalogOptions = {},
): Promise<SceneCatalog> {
  const pageSize = options.pageSize ?? CATALOG_PAGE_SIZE;
  const budget = new CallBudget(options.maxCalls ?? MAX_CATALOG_CALLS);
  const scenes: CatalogScene[] = [];
  const seenScenes = new Set<string>();
  // A server that lists a home again among its own rooms must not have it walked twice.
  const seenPositions = new Set<string>();
  const asPosition = ([positionId, item]: [string, Item]): Position => ({
    positionId,
    positionName: text(item.positionName) ?? positionId,
  });

  /** False when the budget ran out: the walk stops there. */
  const addScenesOf = async (position: Position): Promise<boolean> => {
    const listed = await readAllPages(
      caller,
      SCENES_INTENT,
      { positionId: position.positionId },
      (item) => text(item.sceneId),
      pageSize,
      budget,
    );
    for (const [sceneId, item] of listed.items) {
      if (seenScenes.has(sceneId)) continue;
      seenScenes.add(sceneId);
      scenes.push({ sceneId, name: text(item.name) ?? sceneId, ...position });
    }
    return !listed.truncated;
  };

  const homes = await listPositions(caller, '', pageSize, budget);
  if (homes.truncated) return { scenes, truncated: true };
  for (const home of [...homes.items].map(asPosition)) {
    if (seenPositions.has(home.positionId)) continue;
    seenPositions.add(home.positionId);
    const rooms = await listPositions(caller, home.positionId, pageSize, budget);
    if (rooms.truncated) return { scenes, truncated: true };
    if (!(await addScenesOf(home))) return { scenes, truncated: true };
    for (const room of [...rooms.items].map(asPosition)) {
      if (seenPositions.has(room.positionId)) continue;
      seenPositions.add(room.positionId);
      if (!(await addScenesOf(room))) return { scenes, truncated: true };
    }
  }
  return { scenes, truncated: false };
}

/**
 * One listing per caller at a time: the editor may ask twice while a dialog opens (the config select
 * fires its change event more than once), and each listing costs calls from the app's quota.
 */
const inFlight = new WeakMap<IntentCaller, Promise<SceneCatalog>>();

export function listAccountScenesShared(
  caller: IntentCaller,
  options: SceneCatalogOptions = {},
): Promise<SceneCatalog> {
  const running = inFlight.get(caller);
  if (running) return running;
  const listing = listAccountScenes(caller, options).finally(() => inFlight.delete(caller));
  inFlight.set(caller, listing);
  return listing;
}
