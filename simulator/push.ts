import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { answer } from './codes';
import { type FailedPush, PushFailureLog } from './push-failures';
import type { AqaraAnswer, SimulatorApp } from './types';

/**
 * Aqara's HTTP push, simulated: the subscription intents and a pusher that POSTs resource
 * reports and device events to a URL a test names. It shares no code with the package's push
 * receiver (least of all the signature), so a mistake copied to both sides cannot pass a test.
 * Every push that fails is kept and served by `query.push.errorMsg` (push-failures.ts).
 *
 * The signature Aqara sends when signing is on in its console (headers `appkey` and `sign`) is
 * only partly documented: the header order `appkey=…&nonce=…&time=…&token=…` is Aqara's; what
 * follows (the app key appended, the whole string lowercased, MD5 in lowercase hex) mirrors the
 * request signature and is our reading, not a confirmed fact.
 */

export interface PushSubscription {
  appId: string;
  subjectId: string;
  resourceId: string;
  attach?: string;
}

export interface ResourceReportItem {
  subjectId: string;
  resourceId: string;
  value: string;
  /** Milliseconds since the epoch, as a string at Aqara; defaults to now. */
  time?: number;
  statusCode?: number;
  triggerSource?: { type: number; time: string; id?: string };
}

export interface PushTargetOptions {
  /** Add the `appkey` and `sign` headers, as when signing is enabled in Aqara's console. */
  sign?: boolean;
  /** Attempts after the first when the receiver answers non-2xx or the connection fails. */
  retries?: number;
  /** Pause before each retry; Aqara's real interval is not documented. */
  retryDelayMs?: number;
  /** Override the `token` header (a wrong or stale token); default: a live access token of the app. */
  token?: string;
  /** Override the app key used to sign (a receiver configured with another key). */
  signingKey?: string;
  /** An attempt with no answer after this long fails as a timeout (default 5000 ms). */
  timeoutMs?: number;
  /**
   * The app whose push URL this is. Without one the URL takes the pushes of every app that has
   * no URL of its own (as before per-app URLs existed).
   */
  appId?: string;
}

export interface PushSendOptions {
  /** Reuse a message id, as Aqara's own redelivery does. */
  msgId?: string;
  /** Send the same message this many extra times (same msgId, same body). */
  duplicates?: number;
  /** The app whose subscriptions and account are used; default the simulator's first app. */
  appId?: string;
}

export interface PushDelivery {
  msgId: string;
  /** The app (account) the push was for. */
  appId: string;
  body: Record<string, unknown>;
  /** Every HTTP attempt: the status answered, or 0 when the connection failed or timed out. */
  attempts: number[];
  delivered: boolean;
  /** Set once an attempt failed: the entry `query.push.errorMsg` lists, even if a retry got through. */
  failure?: FailedPush;
}

type PushMessage = { msgId: string; appId: string; body: Record<string, unknown> };

type PushTarget = { url: URL; options: PushTargetOptions };

type Handler = (request: { app: SimulatorApp }, data: Record<string, unknown>) => AqaraAnswer;

export interface SimulatorPushOptions {
  apps: readonly SimulatorApp[];
  openIdFor: (appId: string) => string;
  /** A live access token of the app, sent in the `token` header as Aqara documents. */
  accessTokenFor: (appId: string) => string | undefined;
  now: () => number;
}

/** Subscribe lists are bounded at Aqara too; this keeps a broken client from growing the simulator. */
const MAX_SUBSCRIBE_ITEMS = 1000;
const PUSH_TIMEOUT_MS = 5000;

export class SimulatorPush {
  private readonly subscriptions = new Map<string, PushSubscription>();
  private sharedTarget: PushTarget | undefined;
  private readonly appTargets = new Map<string, PushTarget>();
  private readonly log: PushDelivery[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly failureLog: PushFailureLog;
  private sequence = 0;
  private closed = false;

  constructor(private readonly options: SimulatorPushOptions) {
    this.failureLog = new PushFailureLog({ now: options.now, openIdFor: options.openIdFor });
  }

  /** The intent handlers the server registers beside the others (access token already checked). */
  intentHandlers(): ReadonlyMap<string, Handler> {
    return new Map<string, Handler>([
      ['config.resource.subscribe', (request, data) => this.subscribe(request.app.appId, data)],
      ['config.resource.unsubscribe', (request, data) => this.unsubscribe(request.app.appId, data)],
      ['query.push.errorMsg', (request, data) => this.failureLog.query(request.app.appId, data)],
    ]);
  }

  /**
   * The pushes Aqara holds as failed now (the last 12 hours of the simulator's clock), oldest
   * first, of one app or of all: what `query.push.errorMsg` would list.
   */
  failures(appId?: string): FailedPush[] {
    return this.failureLog.list(appId);
  }

  /** Forgets every failed push, as 12 hours passing would. */
  clearFailures(): void {
    this.failureLog.clear();
  }

  /** The apps that have a push URL: event notifications go to each of them. */
  pushAppIds(): string[] {
    return this.options.apps.map((app) => app.appId).filter((appId) => this.targetFor(appId) !== undefined);
  }

  isSubscribed(subjectId: string, resourceId: string, appId = this.defaultAppId()): boolean {
    return this.subscriptions.has(key(appId, subjectId, resourceId));
  }

  listSubscriptions(): PushSubscription[] {
    return [...this.subscriptions.values()].map((entry) => ({ ...entry }));
  }

  /** Where pushes go from now on; only loopback URLs, so a test can never push to the network. */
  setTarget(url: string, options: PushTargetOptions = {}): void {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname))
      throw new Error('the simulator pushes only to http://127.0.0.1 or localhost');
    const target = { url: parsed, options: { ...options } };
    if (options.appId === undefined) this.sharedTarget = target;
    else {
      if (!this.options.apps.some((app) => app.appId === options.appId))
        throw new Error(`unknown simulator app id: ${options.appId}`);
      this.appTargets.set(options.appId, target);
    }
    this.closed = false;
  }

  get deliveries(): readonly PushDelivery[] {
    return this.log;
  }

  /**
   * One resource_report with every item that is subscribed; unsubscribed items are left out as
   * Aqara does. Resolves with one delivery per copy sent, or [] when nothing was subscribed.
   */
  report(items: readonly ResourceReportItem[], send: PushSendOptions = {}): Promise<PushDelivery[]> {
    const message = this.reportMessage(items, send);
    return message ? this.deliverCopies(message, send.duplicates ?? 0) : Promise.resolve([]);
  }

  /** A device event (subdevice_online, dev_name_change, ...): not filtered by subscriptions. */
  event(eventType: string, data: unknown, send: PushSendOptions = {}): Promise<PushDelivery[]> {
    return this.deliverCopies(this.eventMessage(eventType, data, send), send.duplicates ?? 0);
  }

  /**
   * Reports built in the given order and sent in the reverse one, each after the previous
   * answered: the receiver sees later values first.
   */
  async reportOutOfOrder(batches: readonly (readonly ResourceReportItem[])[], send: PushSendOptions = {}) {
    const messages = batches
      .map((items) => this.reportMessage(items, { appId: send.appId }))
      .filter((message): message is PushMessage => message !== undefined);
    const results: PushDelivery[] = [];
    for (const message of messages.reverse()) results.push(await this.deliver(message));
    return results;
  }

  /** Cancels pending retries; a delivery in flight still ends. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private subscribe(appId: string, data: Record<string, unknown>): AqaraAnswer {
    const parsed = readResources(data);
    if (typeof parsed === 'string') return answer(302, `params error: ${parsed}`);
    for (const item of parsed) {
      for (const resourceId of item.resourceIds) {
        const entry: PushSubscription = { appId, subjectId: item.subjectId, resourceId };
        if (item.attach !== undefined) entry.attach = item.attach;
        this.subscriptions.set(key(appId, item.subjectId, resourceId), entry);
      }
    }
    return answer(0, undefined, null);
  }

  private unsubscribe(appId: string, data: Record<string, unknown>): AqaraAnswer {
    const parsed = readResources(data);
    if (typeof parsed === 'string') return answer(302, `params error: ${parsed}`);
    for (const item of parsed) {
      for (const resourceId of item.resourceIds)
        this.subscriptions.delete(key(appId, item.subjectId, resourceId));
    }
    return answer(0, undefined, null);
  }

  private reportMessage(
    items: readonly ResourceReportItem[],
    send: PushSendOptions,
  ): PushMessage | undefined {
    const appId = send.appId ?? this.defaultAppId();
    const now = this.options.now();
    const data = items
      .map((item) => ({
        item,
        subscription: this.subscriptions.get(key(appId, item.subjectId, item.resourceId)),
      }))
      .filter((entry) => entry.subscription !== undefined)
      .map(({ item, subscription }) => ({
        subjectId: item.subjectId,
        resourceId: item.resourceId,
        value: item.value,
        time: String(item.time ?? now),
        statusCode: item.statusCode ?? 0,
        triggerSource: item.triggerSource ?? { type: 1, time: String(Math.floor(now / 1000)) },
        attach: subscription?.attach ?? '',
      }));
    if (data.length === 0) return undefined;
    const msgId = send.msgId ?? this.nextMsgId();
    return {
      msgId,
      appId,
      body: { msgId, openId: this.options.openIdFor(appId), msgType: 'resource_report', data },
    };
  }

  private eventMessage(eventType: string, data: unknown, send: PushSendOptions): PushMessage {
    const appId = send.appId ?? this.defaultAppId();
    const msgId = send.msgId ?? this.nextMsgId();
    return {
      msgId,
      appId,
      body: {
        msgId,
        openId: this.options.openIdFor(appId),
        time: String(this.options.now()),
        eventType,
        data,
      },
    };
  }

  private async deliverCopies(message: PushMessage, duplicates: number): Promise<PushDelivery[]> {
    const results: PushDelivery[] = [];
    for (let copy = 0; copy <= duplicates; copy += 1) results.push(await this.deliver(message));
    return results;
  }

  private targetFor(appId: string): PushTarget | undefined {
    return this.appTargets.get(appId) ?? this.sharedTarget;
  }

  private async deliver(message: PushMessage): Promise<PushDelivery> {
    const target = this.targetFor(message.appId);
    if (!target) throw new Error('no push target: call setTarget(url) first');
    const delivery: PushDelivery = {
      msgId: message.msgId,
      appId: message.appId,
      body: message.body,
      attempts: [],
      delivered: false,
    };
    this.log.push(delivery);
    const content = JSON.stringify(message.body);
    const retries = target.options.retries ?? 2;
    for (let attempt = 0; attempt <= retries && !this.closed; attempt += 1) {
      if (attempt > 0) await this.pause(target.options.retryDelayMs ?? 50);
      if (this.closed) break;
      const outcome = await this.post(target, message.appId, content);
      delivery.attempts.push(outcome.status);
      if (outcome.status >= 200 && outcome.status < 300) {
        delivery.delivered = true;
        if (delivery.failure) this.failureLog.delivered(delivery.failure);
        break;
      }
      if (delivery.failure) this.failureLog.failedAgain(delivery.failure, outcome.reason);
      else delivery.failure = this.failureLog.record(failedPush(message, content), outcome.reason);
    }
    return delivery;
  }

  private post(target: PushTarget, appId: string, body: string): Promise<{ status: number; reason: string }> {
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(body)),
      ...this.pushHeaders(appId, target.options),
    };
    const timeout = target.options.timeoutMs ?? PUSH_TIMEOUT_MS;
    return new Promise((resolve) => {
      let timedOut = false;
      const req = httpRequest(target.url, { method: 'POST', headers, timeout }, (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        res.on('end', () => resolve({ status, reason: `HTTP ${status}` }));
        res.on('error', () => resolve({ status: 0, reason: timedOut ? 'timeout' : 'connection broken' }));
      });
      req.on('timeout', () => {
        timedOut = true;
        req.destroy();
      });
      req.on('error', (error: NodeJS.ErrnoException) =>
        resolve({ status: 0, reason: timedOut ? 'timeout' : reasonOf(error) }),
      );
      req.end(body);
    });
  }

  private pushHeaders(appId: string, options: PushTargetOptions): Record<string, string> {
    const app = this.options.apps.find((candidate) => candidate.appId === appId) ?? this.options.apps[0];
    const token = options.token ?? this.options.accessTokenFor(appId) ?? '';
    const time = String(this.options.now());
    const nonce = randomBytes(8).toString('hex');
    const headers: Record<string, string> = { token, time, nonce };
    if (options.sign) {
      headers.appkey = app.keyId;
      headers.sign = pushSign({ appkey: app.keyId, nonce, time, token }, options.signingKey ?? app.appKey);
    }
    return headers;
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private defaultAppId(): string {
    return this.options.apps[0].appId;
  }

  private nextMsgId(): string {
    this.sequence += 1;
    return `${this.sequence.toString(16).padStart(8, '0')}${randomBytes(8).toString('hex')}`;
  }
}

/** What the failure log keeps of a push: the body as sent, and the type `errorMsg` filters on. */
function failedPush(message: PushMessage, content: string) {
  const { msgType, eventType } = message.body;
  return {
    msgId: message.msgId,
    appId: message.appId,
    content,
    msgType: typeof msgType === 'string' ? msgType : typeof eventType === 'string' ? eventType : '',
  };
}

function reasonOf(error: NodeJS.ErrnoException): string {
  if (error.code === 'ECONNREFUSED') return 'connection refused';
  if (error.code === 'ECONNRESET') return 'connection reset';
  return error.code ?? 'connection failed';
}

/** The simulator's own reading of the push signature (see the file comment). */
export function pushSign(
  headers: { appkey: string; nonce: string; time: string; token: string },
  appKey: string,
) {
  const text = `appkey=${headers.appkey}&nonce=${headers.nonce}&time=${headers.time}&token=${headers.token}${appKey}`;
  return createHash('md5').update(text.toLowerCase(), 'utf8').digest('hex');
}

function key(appId: string, subjectId: string, resourceId: string): string {
  return JSON.stringify([appId, subjectId, resourceId]);
}

type ResourceItem = { subjectId: string; resourceIds: string[]; attach?: string };

function readResources(data: Record<string, unknown>): ResourceItem[] | string {
  const resources = data.resources;
  if (!Array.isArray(resources) || resources.length === 0) return 'resources must be a non-empty array';
  if (resources.length > MAX_SUBSCRIBE_ITEMS) return 'too many resources';
  const items: ResourceItem[] = [];
  for (const entry of resources as unknown[]) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      return 'each resource must be an object';
    const { subjectId, resourceIds, attach } = entry as Record<string, unknown>;
    if (typeof subjectId !== 'string' || subjectId === '') return 'subjectId is required';
    if (!Array.isArray(resourceIds) || resourceIds.length === 0)
      return 'resourceIds must be a non-empty array';
    if (!resourceIds.every((id): id is string => typeof id === 'string' && id !== ''))
      return 'resourceIds must be strings';
    if (attach !== undefined && typeof attach !== 'string') return 'attach must be a string';
    items.push(attach === undefined ? { subjectId, resourceIds } : { subjectId, resourceIds, attach });
  }
  return items;
}
