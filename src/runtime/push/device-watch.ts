import type { DeviceInfo, DeviceService, ResourceDefinition } from '../../lib/aqara/intents/device-service';
import { subscribeResources, unsubscribeResources } from '../../lib/aqara/intents/subscriptions';
import type { PushMessage } from '../../lib/push/push-body';
import { ResourcePoller, type PollTarget } from '../../lib/aqara/intents/resource-poll';
import { isWriteOnly, typeValue } from '../../lib/aqara/intents/resource-values';
import type { ValueSource } from '../../lib/push/change-tracker';
import { isRecord } from '../../lib/is-record';
import type { TokenManager } from '../../lib/tokens/manager';
import type { PushHub } from './push-hub';

/**
 * One per aqara-config: what every aqara-device-in node of that config watches, read once at
 * start (one batched read for all of them), kept current by Aqara's push (the resources are
 * subscribed, and unsubscribed when nobody watches them) and by polling every pollSeconds when
 * push is off or while no push arrives. The nodes get observations; each decides what changed.
 */

export interface WatchSpec {
  /** A did, or '' for every device of the account. */
  device: string;
  /** Resource ids, or none for every readable resource. */
  resources: readonly string[];
}

export interface WatchedValue {
  did: string;
  deviceName: string;
  model: string;
  resourceId: string;
  resourceName: string;
  raw: string;
  time: number | null;
  source: ValueSource;
  /** Types a raw value of this resource the way device-get does. */
  type(raw: string): number | string;
}

export interface DeviceEvent {
  eventType: string;
  did: string | undefined;
  data: unknown;
  time: number;
}

export interface Watcher {
  spec: WatchSpec;
  onValue(value: WatchedValue): void;
  onEvent(event: DeviceEvent): void;
  /** A read, listing or subscription failed; the watch tries again at the next poll. */
  onError(error: unknown): void;
  /** Told once the watched resources are known and baselined. */
  onReady(): void;
  /** Resources of a watched device that Aqara will not read: left out from now on. */
  onUnreadable(did: string, deviceName: string, resourceIds: readonly string[]): void;
}

interface DeviceMeta {
  info: DeviceInfo;
  defs: Map<string, ResourceDefinition>;
}

/** After the last watcher leaves, a redeploy has this long to bring one back before unsubscribing. */
const LEAVE_GRACE_MS = 5000;
/** With push on, polling pauses while pushes arrive; this long without one and polling resumes. */
export const PUSH_QUIET_MS = 60 * 60 * 1000;
/** A failed start is tried again this soon (not every pollSeconds: push may be all there is). */
const RETRY_MS = 30_000;

/** What a device watch uses of its config's runtime. */
export interface WatchHost {
  readonly id: string;
  pushHub(): PushHub;
  deviceService(manager: TokenManager): DeviceService;
  /** The watch stopped (nobody watches): the next watcher gets a new one. */
  forgetWatch(watch: DeviceWatch): void;
}

export class DeviceWatch {
  private readonly watchers = new Set<Watcher>();
  private readonly baselined = new WeakSet<Watcher>();
  private manager: TokenManager | undefined;
  private meta = new Map<string, DeviceMeta>();
  private targets = new Map<Watcher, Map<string, Set<string>>>();
  private subscribed = new Map<string, Set<string>>();
  private poller: ResourcePoller | undefined;
  private stopListening: (() => void) | undefined;
  private listeningTo: PushHub | undefined;
  private timer: NodeJS.Timeout | undefined;
  private leaveTimer: NodeJS.Timeout | undefined;
  private resolving: Promise<void> | undefined;
  private resolveAgain = false;
  /** Calls made by polls, for the figures in docs/benchmarks.md. */
  pollCalls = 0;

  constructor(private readonly host: WatchHost) {}

  add(watcher: Watcher, manager: TokenManager): () => void {
    if (this.manager !== manager) {
      // Another manager: the config's app or account may have changed, so what was subscribed
      // through the old one says nothing; subscribing again is harmless.
      this.manager = manager;
      this.poller = new ResourcePoller(manager, undefined, this.host.deviceService(manager).unreadable);
      this.subscribed = new Map();
    }
    if (this.leaveTimer) clearTimeout(this.leaveTimer);
    this.leaveTimer = undefined;
    this.watchers.add(watcher);
    this.scheduleResolve();
    return () => this.remove(watcher);
  }

  private remove(watcher: Watcher): void {
    this.watchers.delete(watcher);
    this.targets.delete(watcher);
    // What only this node watched is unsubscribed (a "modified nodes" deploy removes one node alone).
    if (this.watchers.size > 0) return this.scheduleResolve();
    // Not a push is handed over while no node would send it: it stays pending in the journal for
    // the nodes a redeploy brings (the subscriptions get a grace, the hand-over does not).
    this.stopListening?.();
    this.stopListening = undefined;
    this.listeningTo = undefined;
    this.leaveTimer = setTimeout(() => this.stop(), LEAVE_GRACE_MS);
    this.leaveTimer.unref();
  }

  /** Nobody watches any more: no timer, no listener, no subscription left behind. */
  private stop(): void {
    this.leaveTimer = undefined;
    if (this.watchers.size > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.stopListening?.();
    this.stopListening = undefined;
    this.listeningTo = undefined;
    const manager = this.manager;
    const gone = toSubscriptions(this.subscribed);
    this.subscribed = new Map();
    if (manager && gone.length > 0) void unsubscribeResources(manager, gone).catch(() => undefined);
    this.host.forgetWatch(this);
  }

  private scheduleResolve(): void {
    if (this.resolving) {
      this.resolveAgain = true;
      return;
    }
    // Every node of a deploy registers in the same turn: one resolve serves them all.
    this.resolving = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.resolve())
      .finally(() => {
        this.resolving = undefined;
        if (this.resolveAgain) {
          this.resolveAgain = false;
          this.scheduleResolve();
        }
      });
  }

  /** Works out what each watcher watches, reads it once, subscribes it, then listens and polls. */
  private async resolve(): Promise<void> {
    const manager = this.manager;
    if (!manager || this.watchers.size === 0) return;
    const service = this.host.deviceService(manager);
    try {
      for (const watcher of this.watchers)
        this.targets.set(watcher, await this.targetsOf(watcher.spec, service));
      const fresh = [...this.watchers].filter((watcher) => !this.baselined.has(watcher));
      if (fresh.length > 0) {
        // Pushes acknowledged before a restart or a redeploy and not yet emitted reach the new nodes
        // first: read first, a start value equal to such a push would make it no change, and it
        // would never be emitted.
        this.listen();
        await this.host.pushHub().whenDrained();
        // One batched read for every node that just started: their baseline (and outputOnStart).
        await this.read(fresh, 'start');
        for (const watcher of fresh) {
          this.baselined.add(watcher);
          watcher.onReady();
        }
      }
      await this.syncSubscriptions(manager);
      this.listen();
      this.schedulePoll();
    } catch (error) {
      for (const watcher of this.watchers) watcher.onError(error);
      this.schedulePoll(RETRY_MS, true);
    }
  }

  private async targetsOf(spec: WatchSpec, service: DeviceService): Promise<Map<string, Set<string>>> {
    const devices = spec.device === '' ? await service.listDevices() : [await service.device(spec.device)];
    const out = new Map<string, Set<string>>();
    for (const device of devices) {
      const defs = device.model === '' ? [] : await service.resourceDefinitions(device.model);
      this.meta.set(device.did, { info: device, defs: new Map(defs.map((def) => [def.resourceId, def])) });
      const ids =
        spec.resources.length > 0
          ? [...spec.resources]
          : defs.filter((def) => !isWriteOnly(def)).map((def) => def.resourceId);
      if (ids.length > 0) out.set(device.did, new Set(ids));
    }
    return out;
  }

  private union(watchers: Iterable<Watcher> = this.watchers): Map<string, Set<string>> {
    const all = new Map<string, Set<string>>();
    for (const watcher of watchers) {
      for (const [did, ids] of this.targets.get(watcher) ?? []) {
        const set = all.get(did) ?? new Set<string>();
        for (const id of ids) set.add(id);
        all.set(did, set);
      }
    }
    return all;
  }

  private async read(watchers: readonly Watcher[], source: ValueSource): Promise<void> {
    const poller = this.poller;
    if (!poller) return;
    const targets: PollTarget[] = [...this.union(watchers)].map(([subjectId, ids]) => ({
      subjectId,
      resourceIds: [...ids],
    }));
    const outcome = await poller.read(targets);
    if (source === 'poll') this.pollCalls += outcome.calls;
    this.reportUnreadable(outcome.unreadable);
    for (const value of outcome.values) {
      this.deliver(watchers, value.subjectId, value.resourceId, value.raw, value.time, source);
    }
  }

  /** Each watcher of a device hears once which of its resources Aqara refused. */
  private reportUnreadable(found: readonly { subjectId: string; resourceId: string }[]): void {
    const byDevice = new Map<string, string[]>();
    for (const { subjectId, resourceId } of found)
      byDevice.set(subjectId, [...(byDevice.get(subjectId) ?? []), resourceId]);
    for (const [did, ids] of byDevice) {
      const name = this.meta.get(did)?.info.name ?? did;
      for (const watcher of this.watchers) {
        const watched = this.targets.get(watcher)?.get(did);
        const mine = ids.filter((id) => watched?.has(id));
        if (mine.length > 0) watcher.onUnreadable(did, name, mine);
      }
    }
  }

  private deliver(
    watchers: Iterable<Watcher>,
    did: string,
    resourceId: string,
    raw: string,
    time: number | null,
    source: ValueSource,
  ): void {
    const meta = this.meta.get(did);
    if (!meta) return;
    const def = meta.defs.get(resourceId);
    const value: WatchedValue = {
      did,
      deviceName: meta.info.name,
      model: meta.info.model,
      resourceId,
      resourceName: def?.name ?? resourceId,
      raw,
      time,
      source,
      type: (text) => typeValue(text, def),
    };
    for (const watcher of watchers) {
      if (this.targets.get(watcher)?.get(did)?.has(resourceId)) watcher.onValue(value);
    }
  }

  private async syncSubscriptions(manager: TokenManager): Promise<void> {
    const hub = this.host.pushHub();
    if (!hub.settings?.enabled) return;
    const wanted = this.union();
    const add = new Map<string, Set<string>>();
    const drop = new Map<string, Set<string>>();
    for (const [did, ids] of wanted) {
      const have = this.subscribed.get(did);
      const missing = [...ids].filter((id) => !have?.has(id));
      if (missing.length > 0) add.set(did, new Set(missing));
    }
    for (const [did, ids] of this.subscribed) {
      const stale = [...ids].filter((id) => !wanted.get(did)?.has(id));
      if (stale.length > 0) drop.set(did, new Set(stale));
    }
    await subscribeResources(manager, toSubscriptions(add));
    await unsubscribeResources(manager, toSubscriptions(drop));
    this.subscribed = wanted;
  }

  private listen(): void {
    // A resolve still running when the last node closed must not listen again: with no node to send
    // them, the pushes it heard would be marked handed over and never reach the next deploy's nodes.
    if (this.watchers.size === 0) return;
    // A removed and re-added config has a new hub: listen to the current one only.
    const hub = this.host.pushHub();
    if (this.listeningTo === hub) return;
    this.stopListening?.();
    this.listeningTo = hub;
    // Synchronous hand-over: the hub sees every node.send this causes (hand-over.ts).
    this.stopListening = hub.listen((message) => this.onPush(message));
  }

  private onPush(message: PushMessage): void {
    if (message.kind === 'report') {
      for (const report of message.reports)
        this.deliver(this.watchers, report.subjectId, report.resourceId, report.value, report.time, 'push');
      return;
    }
    const data = message.data;
    const did = isRecord(data) && typeof data.did === 'string' ? data.did : undefined;
    if (did !== undefined && message.eventType === 'dev_name_change' && isRecord(data)) {
      const meta = this.meta.get(did);
      const name =
        typeof data.name === 'string'
          ? data.name
          : typeof data.newName === 'string'
            ? data.newName
            : undefined;
      if (meta && name !== undefined) meta.info = { ...meta.info, name };
    }
    const event: DeviceEvent = { eventType: message.eventType, did, data, time: message.time };
    for (const watcher of this.watchers) {
      if (watcher.spec.device === '' || did === undefined || watcher.spec.device === did)
        watcher.onEvent(event);
    }
  }

  private schedulePoll(delayMs?: number, retry = false): void {
    if (this.timer) clearTimeout(this.timer);
    const settings = this.host.pushHub().settings;
    const seconds = settings?.pollSeconds ?? 0;
    if (!retry && seconds <= 0) return;
    this.timer = setTimeout(() => void this.tick(retry), delayMs ?? seconds * 1000);
    this.timer.unref();
  }

  private async tick(retry: boolean): Promise<void> {
    this.timer = undefined;
    if (this.watchers.size === 0) return;
    if (retry) return this.scheduleResolve();
    const hub = this.host.pushHub();
    const pushing =
      hub.settings?.enabled === true &&
      hub.lastPushAt !== undefined &&
      Date.now() - hub.lastPushAt < PUSH_QUIET_MS;
    try {
      if (!pushing) await this.read([...this.watchers], 'poll');
    } catch (error) {
      for (const watcher of this.watchers) watcher.onError(error);
    }
    this.schedulePoll();
  }

  /** Tests and the benchmark: poll now instead of waiting for the timer. */
  async pollNow(): Promise<void> {
    await this.resolving;
    await this.read([...this.watchers], 'poll');
  }
}

function toSubscriptions(map: Map<string, Set<string>>): { subjectId: string; resourceIds: string[] }[] {
  return [...map].map(([subjectId, ids]) => ({ subjectId, resourceIds: [...ids] }));
}
