import type { DeviceIntents } from './device-intents';
import type { SimulatorDevice } from './devices';
import type { PushDelivery, PushSendOptions, SimulatorPush } from './push';
import type { SimulatorPosition, SimulatorScene } from './types';

/**
 * Aqara's event notifications: what happens to the account (a device goes offline, is renamed,
 * bound, unbound or moved; a scene or automation is created or deleted), pushed to every app that
 * has a push URL, whatever it subscribed. The helpers change the simulated account first (a device
 * taken offline answers 602 from then on) and then push, one push per app.
 *
 * Envelope (documented): `{msgId, openId, time: "<ms>", eventType, data}`. The `data` shapes are
 * documented only in part; these follow what one client that received real pushes modelled, and
 * elsewhere the simulator's guess: `data.time` is a NUMBER of ms, while the envelope's is a string.
 * One helper (undocumented()) sends an event type no client can know, to prove a receiver tolerates it.
 */

/** An event type Aqara's list does not name: a receiver must pass it on or drop it, never fail. */
export const UNDOCUMENTED_EVENT_TYPE = 'dev_ota_finished';

/** `cause` of an unbind: the simulator's guess of "the user removed it in the Aqara app". */
const UNBIND_CAUSE_BY_USER = 1;

export interface SimulatorEventsOptions {
  push: SimulatorPush;
  devices: DeviceIntents;
  /** The account's scenes, live: what the scene intents answer. */
  scenes: SimulatorScene[];
  positions: readonly SimulatorPosition[];
  now: () => number;
}

/** How one event is sent: `msgId` and `duplicates` as for reports; the apps are always all of them. */
export type EventSendOptions = Omit<PushSendOptions, 'appId'>;

export interface SimulatorAutomationEvent {
  linkageId: string;
  name: string;
  positionId: string;
}

export class SimulatorEvents {
  constructor(private readonly options: SimulatorEventsOptions) {}

  /**
   * Any event, data as given, to every app with a push URL (none: nothing is sent and [] comes
   * back). One delivery per app and copy.
   */
  async emit(eventType: string, data: unknown, send: EventSendOptions = {}): Promise<PushDelivery[]> {
    const deliveries: PushDelivery[] = [];
    for (const appId of this.options.push.pushAppIds())
      deliveries.push(...(await this.options.push.event(eventType, data, { ...send, appId })));
    return deliveries;
  }

  /** Takes the device online or offline (reads answer 602 while offline) and says so. */
  setOnline(did: string, online: boolean, send?: EventSendOptions): Promise<PushDelivery[]> {
    const device = this.device(did);
    this.options.devices.setOnline(did, online);
    const kind = isHub(device) ? 'gateway' : 'subdevice';
    const data: Record<string, unknown> = { did, model: device.model, time: this.options.now() };
    if (!isHub(device)) data.parentDid = device.parentDid;
    return this.emit(`${kind}_${online ? 'online' : 'offline'}`, data, send);
  }

  /** `dev_name_change`: the device's name as the listing answers it from now on. */
  rename(did: string, deviceName: string, send?: EventSendOptions): Promise<PushDelivery[]> {
    const device = this.device(did);
    device.deviceName = deviceName;
    return this.emit('dev_name_change', { ...this.described(device), changeValues: [] }, send);
  }

  /** `resource_alias_changed`: a resource's own name, set in the Aqara app. */
  renameResource(did: string, resourceId: string, name: string, send?: EventSendOptions) {
    const device = this.device(did);
    return this.emit(
      'resource_alias_changed',
      { ...this.described(device), changeValues: [{ resourceId, name }] },
      send,
    );
  }

  /** `gateway_bind` / `subdevice_bind`: a new device in the account. */
  bind(device: SimulatorDevice, send?: EventSendOptions): Promise<PushDelivery[]> {
    this.options.devices.add(device);
    const data: Record<string, unknown> = {
      did: device.did,
      model: device.model,
      positionId: device.positionId,
      time: this.options.now(),
    };
    if (!isHub(device)) data.parentDid = device.parentDid;
    return this.emit(isHub(device) ? 'gateway_bind' : 'subdevice_bind', data, send);
  }

  /**
   * `gateway_unbind` (a hub, with its children in `subDids`, all gone from the account) or
   * `unbind_sub_gw` (one child device).
   */
  unbind(did: string, send?: EventSendOptions): Promise<PushDelivery[]> {
    const device = this.device(did);
    const removed = this.options.devices.remove(did);
    const time = this.options.now();
    if (isHub(device)) {
      const subDids = removed.filter((entry) => entry.did !== did).map((entry) => entry.did);
      return this.emit('gateway_unbind', { cause: UNBIND_CAUSE_BY_USER, time, did, subDids }, send);
    }
    return this.emit(
      'unbind_sub_gw',
      { cause: UNBIND_CAUSE_BY_USER, time, did, parentDid: device.parentDid },
      send,
    );
  }

  /** `dev_position_assign`: the devices moved to another room or home. */
  assignPosition(dids: readonly string[], positionId: string, send?: EventSendOptions) {
    const position = this.options.positions.find((candidate) => candidate.positionId === positionId);
    if (!position) throw new Error(`unknown simulator position: ${positionId}`);
    for (const did of dids) this.device(did).positionId = positionId;
    return this.emit(
      'dev_position_assign',
      { positionName: position.positionName, positionId, dids: [...dids], time: this.options.now() },
      send,
    );
  }

  /** `scene_created`: the scene is listed and runs from now on. */
  sceneCreated(scene: SimulatorScene, send?: EventSendOptions): Promise<PushDelivery[]> {
    if (this.options.scenes.some((entry) => entry.sceneId === scene.sceneId))
      throw new Error(`simulator scene already exists: ${scene.sceneId}`);
    this.options.scenes.push({ ...scene });
    const { sceneId, name, positionId } = scene;
    return this.emit('scene_created', { sceneId, name, positionId, time: this.options.now() }, send);
  }

  /** `scene_deleted`: running it answers "scene does not exist" from now on. */
  sceneDeleted(sceneId: string, send?: EventSendOptions): Promise<PushDelivery[]> {
    const index = this.options.scenes.findIndex((entry) => entry.sceneId === sceneId);
    if (index < 0) throw new Error(`unknown simulator scene: ${sceneId}`);
    const [scene] = this.options.scenes.splice(index, 1);
    return this.emit(
      'scene_deleted',
      { sceneId, positionId: scene.positionId, time: this.options.now() },
      send,
    );
  }

  /**
   * `linkage_created`: only the push (the automations themselves are another part of the
   * simulator); data shape the simulator's guess.
   */
  automationCreated(automation: SimulatorAutomationEvent, send?: EventSendOptions) {
    return this.emit('linkage_created', { ...automation, time: this.options.now() }, send);
  }

  /** `linkage_deleted`: only the push, as automationCreated(). */
  automationDeleted(linkageId: string, send?: EventSendOptions): Promise<PushDelivery[]> {
    return this.emit('linkage_deleted', { linkageId, time: this.options.now() }, send);
  }

  /**
   * An event of a type no client knows, shaped unlike any other (nested objects, its time in
   * seconds as a string): a receiver must survive it and lose nothing after it.
   */
  undocumented(did: string, send?: EventSendOptions): Promise<PushDelivery[]> {
    const device = this.device(did);
    return this.emit(
      UNDOCUMENTED_EVENT_TYPE,
      {
        did,
        model: device.model,
        firmware: { from: device.firmwareVersion, to: `${device.firmwareVersion}.1` },
        result: { code: 0, progress: '100' },
        time: String(Math.floor(this.options.now() / 1000)),
      },
      send,
    );
  }

  private described(device: SimulatorDevice): Record<string, unknown> {
    return {
      time: this.options.now(),
      did: device.did,
      parentDid: device.parentDid,
      positionId: device.positionId,
      model: device.model,
      deviceName: device.deviceName,
    };
  }

  private device(did: string): SimulatorDevice {
    const device = this.options.devices.device(did);
    if (!device) throw new Error(`unknown simulator device: ${did}`);
    return device;
  }
}

/** modelType 1 and 2 are hubs; their events are the gateway_* ones. */
function isHub(device: SimulatorDevice): boolean {
  return device.modelType === 1 || device.modelType === 2;
}
