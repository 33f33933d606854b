/**
 * Aqara's automations ("linkages") on an IntentCaller: every automation of the account, on its homes
 * and their rooms (`query.linkage.listByPositionId`, paged), and switching one on or off
 * (`config.linkage.enable`, the integer 0 or 1). No intent runs an automation: only scenes run.
 *
 * Before a switch, the automation must be known: from the listing, or from one
 * `query.linkage.detail` the first time an id is switched. An id Aqara does not know is refused
 * with nothing switched; later switches of a known id cost one call.
 */
import { type Clock, systemClock } from '../../clock';
import { isRecord } from '../../is-record';
import { AqaraError, isAqaraError } from '../errors';
import type { IntentCaller } from './caller';
import { listPositions } from './positions';

export const LINKAGE_LIST_INTENT = 'query.linkage.listByPositionId';
export const LINKAGE_DETAIL_INTENT = 'query.linkage.detail';
export const LINKAGE_ENABLE_INTENT = 'config.linkage.enable';

export const AUTOMATION_LISTING_TTL_MS = 10 * 60 * 1000;
/** How long an automation seen once is trusted to exist: a deleted one is refused by Aqara anyway. */
export const KNOWN_AUTOMATION_TTL_MS = 24 * 60 * 60 * 1000;
const PAGE_SIZE = 50;
/** Linkage pages one listing may ask for, over every position: bounds a server that keeps saying "more". */
const MAX_LISTING_CALLS = 100;

export interface Automation {
  linkageId: string;
  name: string;
  enabled: boolean;
  positionId: string;
  positionName: string;
}

export interface AutomationSwitch {
  linkageId: string;
  name: string;
  enabled: boolean;
  requestId: string;
}

export interface AutomationServiceOptions {
  listingTtlMs?: number;
  knownTtlMs?: number;
  clock?: Clock;
}

interface Known {
  name: string;
  at: number;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
}

/** `enable` is an integer in Aqara's answers; a string "1" or a boolean is read as meant. */
function enabledOf(value: unknown): boolean {
  return value === 1 || value === '1' || value === true;
}

/** `totalCount` comes as a number in some listings and a string in this one. */
function totalOf(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number) ? number : undefined;
}

export class AutomationService {
  private readonly listingTtlMs: number;
  private readonly knownTtlMs: number;
  private readonly clock: Clock;
  private listing: { value: Automation[]; at: number } | undefined;
  private listingInFlight: Promise<Automation[]> | undefined;
  private readonly known = new Map<string, Known>();

  constructor(
    private readonly caller: IntentCaller,
    options: AutomationServiceOptions = {},
  ) {
    this.listingTtlMs = options.listingTtlMs ?? AUTOMATION_LISTING_TTL_MS;
    this.knownTtlMs = options.knownTtlMs ?? KNOWN_AUTOMATION_TTL_MS;
    this.clock = options.clock ?? systemClock;
  }

  /** Every automation of the account's homes and rooms, cached, shared by callers that ask at once. */
  async list(refresh = false): Promise<Automation[]> {
    if (!refresh && this.listing && this.clock.now() - this.listing.at < this.listingTtlMs)
      return this.listing.value;
    this.listingInFlight ??= this.fetchListing().finally(() => {
      this.listingInFlight = undefined;
    });
    return this.listingInFlight;
  }

  /** Switches an automation on or off; an id Aqara does not know is refused before any switch. */
  async setEnabled(linkageId: string, enabled: boolean): Promise<AutomationSwitch> {
    const id = linkageId.trim();
    if (id === '') throw new AqaraError('no automation given (a linkageId such as AL.…)', { kind: 'caller' });
    const name = await this.knownName(id);
    let requestId: string;
    try {
      ({ requestId } = await this.caller.call<unknown>(LINKAGE_ENABLE_INTENT, {
        linkageId: id,
        enable: enabled ? 1 : 0,
      }));
    } catch (error) {
      // Deleted since it was seen: the next switch asks Aqara whether it exists again.
      if (isAqaraError(error) && error.kind === 'caller') this.known.delete(id);
      throw error;
    }
    const listed = this.listing?.value.find((automation) => automation.linkageId === id);
    if (listed) listed.enabled = enabled;
    return { linkageId: id, name, enabled, requestId };
  }

  private async knownName(linkageId: string): Promise<string> {
    const known = this.known.get(linkageId);
    if (known && this.clock.now() - known.at < this.knownTtlMs) return known.name;
    let result: unknown;
    try {
      ({ result } = await this.caller.call<unknown>(LINKAGE_DETAIL_INTENT, { linkageId }));
    } catch (error) {
      // No published code names a missing automation: Aqara answers a params error (302).
      if (isAqaraError(error) && error.code === 302) {
        throw new AqaraError(
          `Aqara automation ${linkageId} does not exist in this account (${error.message}); nothing was switched`,
          { kind: 'caller', code: error.code, requestId: error.requestId, intent: error.intent },
        );
      }
      throw error;
    }
    const name = (isRecord(result) && text(result.name)) || linkageId;
    this.known.set(linkageId, { name, at: this.clock.now() });
    return name;
  }

  /**
   * Homes and their rooms (positions.ts), then each position's automations page by page until the
   * server's `totalCount` is reached, a page is short or empty, or adds nothing new.
   */
  private async fetchListing(): Promise<Automation[]> {
    const positions = await listPositions(this.caller);
    const found = new Map<string, Automation>();
    let calls = 0;
    for (const position of positions.values()) {
      let seen = 0;
      for (let pageNum = 1; calls < MAX_LISTING_CALLS; pageNum++) {
        calls++;
        const { result } = await this.caller.call<unknown>(LINKAGE_LIST_INTENT, {
          positionId: position.positionId,
          pageNum,
          pageSize: PAGE_SIZE,
        });
        const page = isRecord(result) && Array.isArray(result.data) ? result.data : [];
        const before = found.size;
        for (const item of page) {
          if (!isRecord(item)) continue;
          const linkageId = text(item.linkageId);
          if (linkageId === '' || found.has(linkageId)) continue;
          found.set(linkageId, {
            linkageId,
            name: text(item.name) || linkageId,
            enabled: enabledOf(item.enable),
            positionId: text(item.positionId) || position.positionId,
            positionName: position.positionName,
          });
        }
        seen += page.length;
        const total = isRecord(result) ? totalOf(result.totalCount) : undefined;
        const done =
          page.length === 0 ||
          found.size === before ||
          (total !== undefined ? seen >= total : page.length < PAGE_SIZE);
        if (done) break;
      }
    }
    const now = this.clock.now();
    const list = [...found.values()];
    for (const automation of list) this.known.set(automation.linkageId, { name: automation.name, at: now });
    this.listing = { value: list, at: now };
    return list;
  }
}
