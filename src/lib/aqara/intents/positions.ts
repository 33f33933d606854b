/**
 * The account's positions (homes, and the rooms under each), for naming where a device sits.
 * `parentPositionId: ""` is sent explicitly for the homes, as every public client does.
 */
import { isRecord } from '../../is-record';
import type { IntentCaller } from './caller';

export interface Position {
  positionId: string;
  positionName: string;
  parentPositionId: string;
}

const INTENT = 'query.position.info';
const PAGE_SIZE = 50;
/** Bounds the walk (homes and rooms together) so naming rooms never eats the quota. */
const MAX_CALLS = 20;

export async function listPositions(caller: IntentCaller): Promise<Map<string, Position>> {
  const found = new Map<string, Position>();
  let calls = 0;
  const walk = async (parent: string): Promise<string[]> => {
    const added: string[] = [];
    for (let pageNum = 1; calls < MAX_CALLS; pageNum++) {
      calls++;
      const { result } = await caller.call<unknown>(INTENT, {
        parentPositionId: parent,
        pageNum,
        pageSize: PAGE_SIZE,
      });
      const page = isRecord(result) && Array.isArray(result.data) ? result.data : [];
      const before = found.size;
      for (const item of page) {
        if (!isRecord(item) || typeof item.positionId !== 'string' || item.positionId === '') continue;
        if (found.has(item.positionId)) continue;
        found.set(item.positionId, {
          positionId: item.positionId,
          positionName: typeof item.positionName === 'string' ? item.positionName : item.positionId,
          parentPositionId: parent,
        });
        added.push(item.positionId);
      }
      const total = isRecord(result) && typeof result.totalCount === 'number' ? result.totalCount : undefined;
      if (page.length < PAGE_SIZE || found.size === before || (total !== undefined && added.length >= total))
        break;
    }
    return added;
  };
  const homes = await walk('');
  for (const home of homes) await walk(home);
  return found;
}
