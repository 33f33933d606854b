import { answer } from './codes';
import { readPage } from './paging';
import type { SimulatorDevice, SimulatorResourceDef } from './devices';
import type { AqaraAnswer } from './types';

/** The most resources one `query.resource.value` may ask for; more is answered 302. */
export const DEFAULT_RESOURCE_BATCH_LIMIT = 100;
/** `query.device.info` takes at most this many dids. */
export const MAX_DIDS = 100;

export interface DeviceIntentOptions {
  devices: SimulatorDevice[];
  definitions: Readonly<Record<string, readonly SimulatorResourceDef[]>>;
  batchLimit: number;
  now: () => number;
}

/** One write the simulator applied, for tests to assert what a client sent. */
export interface SimulatorWrite {
  did: string;
  resourceId: string;
  value: string;
  at: number;
}

const NOT_OPEN = 'all resource not open';

/**
 * The device side of the simulated account: listing, resource definitions, reads and writes, with the
 * failures the real cloud gives (602 offline, 612 silent gateway, 302 for unreadable resources and
 * oversized batches). Temperature and humidity drift with the clock, so a poll sees values change.
 */
export class DeviceIntents {
  private readonly devices: Map<string, SimulatorDevice>;
  private readonly stamps = new Map<string, number>();
  /** Values a test set by hand: the drift leaves them alone. */
  private readonly pinned = new Set<string>();
  private readonly writeLog: SimulatorWrite[] = [];
  private readonly handlers: ReadonlyMap<string, (data: unknown) => AqaraAnswer>;
  batchLimit: number;

  constructor(private readonly options: DeviceIntentOptions) {
    this.devices = new Map(options.devices.map((device) => [device.did, device]));
    this.batchLimit = options.batchLimit;
    this.handlers = new Map<string, (data: unknown) => AqaraAnswer>([
      ['query.device.info', (data) => this.deviceInfo(data)],
      ['query.resource.info', (data) => this.resourceInfo(data)],
      ['query.resource.value', (data) => this.resourceValue(data)],
      ['write.resource.device', (data) => this.write(data)],
    ]);
  }

  /** The handler of a device intent, or undefined for any other intent. */
  handler(intent: string): ((data: unknown) => AqaraAnswer) | undefined {
    return this.handlers.get(intent);
  }

  get writes(): readonly SimulatorWrite[] {
    return this.writeLog;
  }

  device(did: string): SimulatorDevice | undefined {
    return this.devices.get(did);
  }

  /** Every device of the account, live: a change to one is what the next listing answers. */
  list(): SimulatorDevice[] {
    return [...this.devices.values()];
  }

  /** A device bound to the account (or bound again after an unbind). */
  add(device: SimulatorDevice): void {
    if (this.devices.has(device.did)) throw new Error(`simulator device already bound: ${device.did}`);
    this.devices.set(device.did, device);
  }

  /** Unbinds the device and, for a hub, every child behind it; answers the devices removed. */
  remove(did: string): SimulatorDevice[] {
    const device = this.require(did);
    const removed = [device, ...this.list().filter((candidate) => candidate.parentDid === did)];
    for (const entry of removed) this.devices.delete(entry.did);
    return removed;
  }

  setOnline(did: string, online: boolean): void {
    this.require(did).state = online ? 1 : 0;
  }

  setGatewayTimeout(did: string, silent: boolean): void {
    this.require(did).gatewayTimeout = silent;
  }

  setValue(did: string, resourceId: string, value: string): void {
    this.pinned.add(`${did}/${resourceId}`);
    this.store(did, resourceId, value);
  }

  private store(did: string, resourceId: string, value: string): void {
    this.require(did).values[resourceId] = value;
    this.stamps.set(`${did}/${resourceId}`, this.options.now());
  }

  value(did: string, resourceId: string): string | undefined {
    return this.require(did).values[resourceId];
  }

  private require(did: string): SimulatorDevice {
    const device = this.devices.get(did);
    if (!device) throw new Error(`unknown simulator device: ${did}`);
    return device;
  }

  private deviceInfo(raw: unknown): AqaraAnswer {
    const data = raw === undefined ? {} : raw;
    if (!isRecord(data)) return answer(302, 'params error: data must be an object');
    const page = readPage(data);
    if (!page) return answer(302, 'params error: pageNum and pageSize must be positive integers');
    let list = [...this.devices.values()];
    if (data.dids !== undefined) {
      if (!Array.isArray(data.dids) || !data.dids.every((did) => typeof did === 'string'))
        return answer(302, 'params error: dids must be a list of strings');
      if (data.dids.length > MAX_DIDS) return answer(302, `params error: at most ${MAX_DIDS} dids`);
      const wanted = new Set(data.dids);
      list = list.filter((device) => wanted.has(device.did));
    }
    if (typeof data.positionId === 'string' && data.positionId !== '') {
      list = list.filter((device) => device.positionId === data.positionId);
    }
    const start = (page.pageNum - 1) * page.pageSize;
    // Only the asked page is built: a benchmark lists thousands of devices many times.
    const items = list.slice(start, start + page.pageSize).map((device) => ({
      parentDid: device.parentDid,
      positionId: device.positionId,
      createTime: 1585815596060,
      timeZone: 'GMT+08:00',
      model: device.model,
      updateTime: 1589590136106,
      modelType: device.modelType,
      state: device.state,
      firmwareVersion: device.firmwareVersion,
      deviceName: device.deviceName,
      did: device.did,
    }));
    return answer(0, undefined, { data: items, totalCount: list.length });
  }

  private resourceInfo(data: unknown): AqaraAnswer {
    if (!isRecord(data) || typeof data.model !== 'string' || data.model === '')
      return answer(302, 'params error: model is required');
    const model = data.model;
    const defs = this.options.definitions[model] ?? [];
    const wanted =
      typeof data.resourceId === 'string' && data.resourceId !== '' ? data.resourceId : undefined;
    const result = defs
      .filter((def) => wanted === undefined || def.resourceId === wanted)
      .map(({ readable: _readable, writable: _writable, ...def }) => ({ ...def, model }));
    return answer(0, undefined, result);
  }

  private resourceValue(data: unknown): AqaraAnswer {
    if (!isRecord(data) || !Array.isArray(data.resources))
      return answer(302, 'params error: resources is required');
    const asked: { device: SimulatorDevice; resourceIds: string[] }[] = [];
    let count = 0;
    for (const entry of data.resources) {
      if (!isRecord(entry) || typeof entry.subjectId !== 'string')
        return answer(302, 'params error: subjectId is required');
      const device = this.devices.get(entry.subjectId);
      if (!device) return answer(302, `params error: unknown subjectId ${entry.subjectId}`);
      const ids = entry.resourceIds;
      if (ids !== undefined && (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')))
        return answer(302, 'params error: resourceIds must be a list of strings');
      const defs = this.options.definitions[device.model] ?? [];
      // No resourceIds: every resource the device has a value for.
      const resourceIds = ids ?? Object.keys(device.values);
      count += resourceIds.length;
      asked.push({ device, resourceIds });
      for (const id of resourceIds) {
        const def = defs.find((candidate) => candidate.resourceId === id);
        const known = def !== undefined || id in device.values;
        if (!known || def?.readable === false) return answer(302, NOT_OPEN);
      }
    }
    if (count > this.batchLimit)
      return answer(302, `params error: at most ${this.batchLimit} resources per request`);
    const failure = this.reachability(asked.map((item) => item.device));
    if (failure) return failure;
    const now = this.options.now();
    const result = [];
    for (const { device, resourceIds } of asked) {
      this.drift(device, now);
      for (const resourceId of resourceIds) {
        const value = device.values[resourceId];
        if (value === undefined) continue;
        result.push({
          timeStamp: this.stamps.get(`${device.did}/${resourceId}`) ?? now - 60_000,
          resourceId,
          value,
          subjectId: device.did,
        });
      }
    }
    return answer(0, undefined, result);
  }

  private write(data: unknown): AqaraAnswer {
    if (!Array.isArray(data)) return answer(302, 'params error: data must be a list');
    const planned: SimulatorWrite[] = [];
    const devices: SimulatorDevice[] = [];
    const now = this.options.now();
    for (const entry of data) {
      if (!isRecord(entry) || typeof entry.subjectId !== 'string' || !Array.isArray(entry.resources))
        return answer(302, 'params error: subjectId and resources are required');
      const device = this.devices.get(entry.subjectId);
      if (!device) return answer(302, `params error: unknown subjectId ${entry.subjectId}`);
      devices.push(device);
      const defs = this.options.definitions[device.model] ?? [];
      for (const item of entry.resources) {
        if (!isRecord(item) || typeof item.resourceId !== 'string' || typeof item.value !== 'string')
          return answer(302, 'params error: each resource needs a resourceId and a string value');
        const def = defs.find((candidate) => candidate.resourceId === item.resourceId);
        if (!def?.writable) return answer(302, `params error: resource ${item.resourceId} is not writable`);
        planned.push({ did: device.did, resourceId: item.resourceId, value: item.value, at: now });
      }
    }
    const failure = this.reachability(devices);
    if (failure) return failure;
    for (const write of planned) {
      this.writeLog.push(write);
      // A motor command moves the curtain rather than being stored.
      if (write.resourceId === '14.2.85') {
        const target = write.value === '1' ? '100' : write.value === '0' ? '0' : undefined;
        if (target !== undefined) this.store(write.did, '1.1.85', target);
      } else {
        this.store(write.did, write.resourceId, write.value);
      }
    }
    // Aqara's write answer is not documented beyond success; an empty string like config.* intents.
    return answer(0, undefined, '');
  }

  private reachability(devices: SimulatorDevice[]): AqaraAnswer | undefined {
    for (const device of devices) {
      if (device.state !== 1) return answer(602, 'device offline');
      if (device.gatewayTimeout) return answer(612, 'gateway did not answer');
    }
    return undefined;
  }

  /** Sensors drift with the clock (a slow wave), so successive reads of a minute apart differ. */
  private drift(device: SimulatorDevice, now: number): void {
    const wave = sensorWave(now);
    if (device.state !== 1) return;
    const set = (resourceId: string, value: number): void => {
      if (device.values[resourceId] !== undefined && !this.pinned.has(`${device.did}/${resourceId}`))
        device.values[resourceId] = String(value);
    };
    set('0.1.85', 2500 + wave);
    set('0.2.85', 5500 - wave * 2);
  }
}

/**
 * The drift of temperature (2500 + wave) and humidity (5500 - 2 × wave); the history of those
 * resources follows it too, so a read and the newest history point agree.
 */
export function sensorWave(now: number): number {
  return Math.round(Math.sin(now / 600_000) * 150);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
