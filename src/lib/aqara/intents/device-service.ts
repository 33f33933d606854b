/**
 * Aqara's device intents on an IntentCaller: the account's devices (`query.device.info`), resource
 * definitions (`query.resource.info`, once per model), batched reads (`query.resource.value`) and
 * checked writes (`write.resource.device`). Every call costs quota, so listings and definitions are
 * cached and reads ask for as many resources per call as Aqara takes.
 */
import { type Clock, systemClock } from '../../clock';
import { isRecord } from '../../is-record';
import { AqaraError, isAqaraError } from '../errors';
import type { IntentCaller } from './caller';
import {
  checkWrite,
  type WriteCheckOptions,
  isWriteOnly,
  parseDefinition,
  type ResourceDefinition,
  typeValue,
} from './resource-values';
import { isNotOpen, UnreadableResources } from './unreadable-resources';

export type { ResourceDefinition } from './resource-values';

export interface DeviceInfo {
  did: string;
  parentDid: string;
  name: string;
  model: string;
  /** 1 hub with children, 2 hub without, 3 child device (0 when Aqara did not say). */
  modelType: number;
  /** 1 online, 0 offline, as Aqara sent it. */
  state: number;
  positionId: string;
}

export interface ResourceReading {
  resourceId: string;
  /** The definition's name, or the id when the model's definitions do not list it. */
  name: string;
  value: number | string;
  raw: string;
  unit: number | string | null;
  /** When Aqara last saw the value (ms since epoch), or null when it did not say. */
  time: number | null;
}

export interface DeviceReading {
  device: DeviceInfo;
  readings: ResourceReading[];
  /** Asked-for resources Aqara refuses to read (302 "all resource not open"). */
  unreadable: string[];
}

export interface DeviceWrite {
  did: string;
  written: Record<string, string>;
  requestId: string;
}

export interface DeviceServiceOptions {
  /** Resources per `query.resource.value` call (default 100). */
  batchLimit?: number;
  /** How long a device listing is trusted (default 10 minutes). */
  listingTtlMs?: number;
  /** How long a model's definitions are trusted (default 24 hours). */
  definitionsTtlMs?: number;
  clock?: Clock;
}

export const DEFAULT_BATCH_LIMIT = 100;
export const LISTING_TTL_MS = 10 * 60 * 1000;
export const DEFINITIONS_TTL_MS = 24 * 60 * 60 * 1000;
/** `query.device.info` takes at most 100 dids and pages of at most 100. */
const DEVICE_PAGE_SIZE = 100;
/** Bounds a server that keeps saying there is more. */
const MAX_LISTING_PAGES = 50;

const DEVICE_INFO = 'query.device.info';
const RESOURCE_INFO = 'query.resource.info';
const RESOURCE_VALUE = 'query.resource.value';
const WRITE = 'write.resource.device';

interface Cached<T> {
  value: T;
  at: number;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

function parseDevice(item: unknown): DeviceInfo | undefined {
  if (!isRecord(item)) return undefined;
  const did = text(item.did).trim();
  if (did === '') return undefined;
  return {
    did,
    parentDid: text(item.parentDid),
    name: text(item.deviceName) || did,
    model: text(item.model),
    modelType: Number(item.modelType) || 0,
    state: Number(item.state) || 0,
    positionId: text(item.positionId),
  };
}

/** "Wall switch" (lumi.158d…): what every device error starts with. */
export function deviceLabel(device: DeviceInfo | string): string {
  if (typeof device === 'string') return `Aqara device ${device}`;
  return device.name === device.did
    ? `Aqara device ${device.did}`
    : `Aqara device "${device.name}" (${device.did})`;
}

/** 602 and 612 name the device; a lost write answer says it may have acted. Others pass through. */
export function deviceFailure(error: unknown, device: DeviceInfo | string, writing: boolean): unknown {
  if (!isAqaraError(error)) return error;
  const label = deviceLabel(device);
  const base = { code: error.code, requestId: error.requestId, intent: error.intent, cause: error };
  if (error.code === 602) {
    return new AqaraError(`${label} is offline (Aqara code 602)`, { ...base, kind: 'rejected' });
  }
  if (error.code === 612) {
    const what = writing ? 'the write may or may not have been applied' : 'try again later';
    return new AqaraError(`the gateway of ${label} did not answer (Aqara code 612): ${what}`, {
      ...base,
      kind: writing ? 'rejected' : 'transient',
    });
  }
  if (writing && error.answerLost) {
    return new AqaraError(
      `write to ${label} may have been applied: Aqara's answer was lost (${error.message}); not retried`,
      { ...base, kind: error.kind, answerLost: true },
    );
  }
  return error;
}

/**
 * The device intents of one config. One instance per token manager: its caches are the account's.
 */
export class DeviceService {
  private readonly batchLimit: number;
  private readonly listingTtlMs: number;
  private readonly definitionsTtlMs: number;
  private readonly clock: Clock;
  private listing: Cached<DeviceInfo[]> | undefined;
  private listingInFlight: Promise<DeviceInfo[]> | undefined;
  private readonly devices = new Map<string, Cached<DeviceInfo>>();
  private readonly definitions = new Map<string, Cached<ResourceDefinition[]>>();
  private readonly definitionsInFlight = new Map<string, Promise<ResourceDefinition[]>>();
  /** Resources Aqara refused to read: not asked again (the device watch's polls share it). */
  readonly unreadable = new UnreadableResources();

  constructor(
    private readonly caller: IntentCaller,
    options: DeviceServiceOptions = {},
  ) {
    this.batchLimit = Math.max(1, Math.floor(options.batchLimit ?? DEFAULT_BATCH_LIMIT));
    this.listingTtlMs = options.listingTtlMs ?? LISTING_TTL_MS;
    this.definitionsTtlMs = options.definitionsTtlMs ?? DEFINITIONS_TTL_MS;
    this.clock = options.clock ?? systemClock;
  }

  /** When the cached listing was made, or undefined when there is none. */
  get listedAt(): number | undefined {
    return this.listing?.at;
  }

  /** Every device of the account, all pages; cached, and shared by callers that ask at once. */
  async listDevices(refresh = false): Promise<DeviceInfo[]> {
    if (!refresh && this.listing && this.fresh(this.listing, this.listingTtlMs)) return this.listing.value;
    if (this.listingInFlight) return this.listingInFlight;
    this.listingInFlight = this.fetchListing().finally(() => {
      this.listingInFlight = undefined;
    });
    return this.listingInFlight;
  }

  /** One device: from the listing or an earlier lookup when fresh, else one `query.device.info`. */
  async device(did: string): Promise<DeviceInfo> {
    const cached = this.devices.get(did);
    if (cached && this.fresh(cached, this.listingTtlMs)) return cached.value;
    const { result } = await this.caller.call<unknown>(DEVICE_INFO, {
      dids: [did],
      pageNum: 1,
      pageSize: 1,
    });
    const items = isRecord(result) && Array.isArray(result.data) ? result.data : [];
    const device = items.map(parseDevice).find((item) => item?.did === did);
    if (!device) {
      throw new AqaraError(
        `${deviceLabel(did)} is not in this Aqara account (query.device.info lists no such did)`,
        {
          kind: 'caller',
          intent: DEVICE_INFO,
        },
      );
    }
    this.devices.set(did, { value: device, at: this.clock.now() });
    return device;
  }

  /** The model's resource definitions, fetched once per model and kept for a day. */
  async resourceDefinitions(model: string, refresh = false): Promise<ResourceDefinition[]> {
    const cached = this.definitions.get(model);
    if (!refresh && cached && this.fresh(cached, this.definitionsTtlMs)) return cached.value;
    const running = this.definitionsInFlight.get(model);
    if (running) return running;
    const fetching = this.caller
      .call<unknown>(RESOURCE_INFO, { model })
      .then(({ result }) => {
        const list = Array.isArray(result) ? result : [];
        const defs = list
          .map((item) => parseDefinition(item, model))
          .filter((def): def is ResourceDefinition => def !== undefined);
        this.definitions.set(model, { value: defs, at: this.clock.now() });
        return defs;
      })
      .finally(() => this.definitionsInFlight.delete(model));
    this.definitionsInFlight.set(model, fetching);
    return fetching;
  }

  /**
   * Reads resources of one device now. No ids: every resource the model's definitions do not mark
   * write-only. One `query.resource.value` per batch of up to the batch limit; a 302 "all resource
   * not open" asks again one resource at a time and remembers the ones Aqara will not read.
   */
  async read(did: string, resourceIds: readonly string[] = []): Promise<DeviceReading> {
    const device = await this.device(did);
    const defs = device.model === '' ? [] : await this.resourceDefinitions(device.model);
    const byId = new Map(defs.map((def) => [def.resourceId, def]));
    const wanted =
      resourceIds.length > 0
        ? [...new Set(resourceIds)]
        : defs.filter((def) => !isWriteOnly(def)).map((def) => def.resourceId);
    const values = new Map<string, { raw: string; time: number | null }>();
    // Nothing named and no definitions to go by: Aqara is asked for whatever the device has.
    if (wanted.length === 0 && defs.length === 0) {
      try {
        this.collect(await this.fetchValues(did, undefined), did, values);
      } catch (error) {
        throw deviceFailure(error, device, false);
      }
      wanted.push(...values.keys());
    }
    const unreadable = wanted.filter((id) => this.unreadable.has(did, id));
    const ask = wanted.filter((id) => !this.unreadable.has(did, id) && !values.has(id));
    try {
      for (let start = 0; start < ask.length; start += this.batchLimit) {
        const batch = ask.slice(start, start + this.batchLimit);
        try {
          this.collect(await this.fetchValues(did, batch), did, values);
        } catch (error) {
          if (!isNotOpen(error)) throw error;
          for (const id of batch) {
            try {
              this.collect(await this.fetchValues(did, [id]), did, values);
            } catch (single) {
              if (!isNotOpen(single)) throw single;
              this.unreadable.add(did, id);
              unreadable.push(id);
            }
          }
        }
      }
    } catch (error) {
      throw deviceFailure(error, device, false);
    }
    const readings: ResourceReading[] = [];
    for (const id of wanted) {
      const found = values.get(id);
      if (!found) continue;
      const def = byId.get(id);
      readings.push({
        resourceId: id,
        name: def?.name ?? id,
        value: typeValue(found.raw, def),
        raw: found.raw,
        unit: def?.unit ?? null,
        time: found.time,
      });
    }
    return { device, readings, unreadable };
  }

  /**
   * Writes values to one device after checking each against the model's definition: a resource the
   * model lacks, one without a usable definition, not writable, out of range or not one of the enums
   * is refused naming the resource, and nothing at all is sent. A lost answer is never retried.
   */
  async write(
    did: string,
    values: Readonly<Record<string, unknown>>,
    options: WriteCheckOptions = {},
  ): Promise<DeviceWrite> {
    const entries = Object.entries(values);
    if (entries.length === 0) throw new AqaraError('nothing to write: no resource given', { kind: 'caller' });
    const device = await this.device(did);
    const defs = device.model === '' ? [] : await this.resourceDefinitions(device.model);
    const byId = new Map(defs.map((def) => [def.resourceId, def]));
    const written: Record<string, string> = {};
    const problems: string[] = [];
    for (const [resourceId, value] of entries) {
      const def = byId.get(resourceId);
      if (!def) {
        problems.push(
          defs.length === 0
            ? `resource ${resourceId}: Aqara sent no definitions for model ${device.model || '(unknown)'}, so the write cannot be checked`
            : `model ${device.model} has no resource ${resourceId} (or Aqara sent no definition for it, so the write cannot be checked)`,
        );
        continue;
      }
      const check = checkWrite(value, def, `resource ${resourceId} (${def.name})`, options);
      if (check.ok) written[resourceId] = check.value;
      else problems.push(check.reason);
    }
    if (problems.length > 0) {
      throw new AqaraError(`nothing written to ${deviceLabel(device)}: ${problems.join('; ')}`, {
        kind: 'caller',
        intent: WRITE,
      });
    }
    const data = [
      {
        subjectId: did,
        resources: Object.entries(written).map(([resourceId, value]) => ({ resourceId, value })),
      },
    ];
    try {
      const { requestId } = await this.caller.call<unknown>(WRITE, data);
      return { did, written, requestId };
    } catch (error) {
      throw deviceFailure(error, device, true);
    }
  }

  private async fetchListing(): Promise<DeviceInfo[]> {
    const found = new Map<string, DeviceInfo>();
    for (let pageNum = 1; pageNum <= MAX_LISTING_PAGES; pageNum++) {
      const { result } = await this.caller.call<unknown>(DEVICE_INFO, {
        pageNum,
        pageSize: DEVICE_PAGE_SIZE,
      });
      const page = isRecord(result) && Array.isArray(result.data) ? result.data : [];
      const before = found.size;
      for (const item of page) {
        const device = parseDevice(item);
        if (device && !found.has(device.did)) found.set(device.did, device);
      }
      const total = isRecord(result) && typeof result.totalCount === 'number' ? result.totalCount : undefined;
      const done =
        page.length === 0 ||
        found.size === before ||
        (total !== undefined ? found.size >= total : page.length < DEVICE_PAGE_SIZE);
      if (done) break;
    }
    const now = this.clock.now();
    const list = [...found.values()];
    for (const device of list) this.devices.set(device.did, { value: device, at: now });
    this.listing = { value: list, at: now };
    return list;
  }

  private async fetchValues(did: string, resourceIds: string[] | undefined): Promise<unknown> {
    const subject = resourceIds === undefined ? { subjectId: did } : { subjectId: did, resourceIds };
    const { result } = await this.caller.call<unknown>(RESOURCE_VALUE, { resources: [subject] });
    return result;
  }

  private collect(
    result: unknown,
    did: string,
    into: Map<string, { raw: string; time: number | null }>,
  ): void {
    if (!Array.isArray(result)) return;
    for (const item of result) {
      if (!isRecord(item)) continue;
      const subject = text(item.subjectId);
      if (subject !== '' && subject !== did) continue;
      const resourceId = text(item.resourceId);
      if (resourceId === '' || item.value === undefined || item.value === null) continue;
      const time = Number(item.timeStamp ?? item.time);
      const raw = typeof item.value === 'string' ? item.value : JSON.stringify(item.value);
      into.set(resourceId, { raw, time: Number.isFinite(time) && time > 0 ? time : null });
    }
  }

  private fresh(entry: Cached<unknown>, ttlMs: number): boolean {
    return this.clock.now() - entry.at < ttlMs;
  }
}
