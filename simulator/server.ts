import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { answer, inChinese } from './codes';
import { DEFAULT_RESOURCE_BATCH_LIMIT, DeviceIntents } from './device-intents';
import { DEFAULT_RESOURCE_DEFS, defaultDevices } from './devices';
import { SimulatorEvents } from './events';
import { FaultQueue } from './faults';
import { DEFAULT_FIRMWARE, firmwareHandlers } from './firmware';
import { headerValue, RequestGate } from './gate';
import { SimulatorHistory } from './history';
import { defaultHistory } from './history-defaults';
import { IntentHandlers } from './intents';
import { IrIntents } from './ir-intents';
import { DEFAULT_IR_REMOTES } from './ir-remotes';
import { LinkageIntents } from './linkage-intents';
import { defaultLinkages } from './linkages';
import { loadState, saveState } from './persistence';
import { SimulatorPush } from './push';
import { openIdFor, TokenLedger } from './state';
import type {
  AqaraAnswer,
  FaultRule,
  SimulatorApp,
  SimulatorCall,
  SimulatorOptions,
  SimulatorPosition,
  SimulatorScene,
  SimulatorSceneRun,
} from './types';

export type {
  ExpiresInFormat,
  FaultRule,
  SimulatorApp,
  SimulatorCall,
  SimulatorFault,
  SimulatorOptions,
  SimulatorPosition,
  SimulatorScene,
  SimulatorSceneRun,
} from './types';
export type { SimulatorDevice, SimulatorResourceDef, SimulatorRoom } from './devices';
export type { SimulatorWrite } from './device-intents';
export type { AcToken } from './ac-key';
export type { SimulatorIrClick } from './ir-intents';
export type { AcKeyEffect, IrRemoteType, SimulatorIrKey, SimulatorIrRemote } from './ir-remotes';
export type { SimulatorLinkageSwitch } from './linkage-intents';
export type { LinkageAction, LinkageCondition, Localizd, SimulatorLinkage } from './linkages';
export type { SimulatorFirmware } from './firmware';
export type { EventSendOptions, SimulatorAutomationEvent } from './events';
export { UNDOCUMENTED_EVENT_TYPE } from './events';
export type { HistoryPoint, HistorySeries } from './history-series';
export type { FailedPush } from './push-failures';

export const API_PATH = '/v3.0/open/api';

export const DEFAULT_APP: Readonly<SimulatorApp> = Object.freeze({
  appId: 'sim-app-id',
  keyId: 'K.sim',
  appKey: 'sim-app-key-secret',
});

export const DEFAULT_POSITION_ID = 'real1.home';

/** The default home and its rooms: ids shaped like Aqara's (`real1.` homes, `real2.` rooms). */
export const DEFAULT_POSITIONS: readonly Readonly<SimulatorPosition>[] = Object.freeze([
  { positionId: DEFAULT_POSITION_ID, positionName: 'Home' },
  { positionId: 'real2.living', positionName: 'Living room', parentPositionId: DEFAULT_POSITION_ID },
  { positionId: 'real2.bedroom', positionName: 'Bedroom', parentPositionId: DEFAULT_POSITION_ID },
]);

/** The three TV scenes of the CLI's config, on the home itself. */
export const DEFAULT_SCENES: readonly Readonly<SimulatorScene>[] = Object.freeze([
  { sceneId: 'AL.100000000000000001', name: 'tv_pin_entry', positionId: DEFAULT_POSITION_ID },
  { sceneId: 'AL.100000000000000002', name: 'tv_warning', positionId: DEFAULT_POSITION_ID },
  { sceneId: 'AL.100000000000000003', name: 'tv_power_off', positionId: DEFAULT_POSITION_ID },
]);

/**
 * Scenes can sit on a room rather than the home: the default account has one, so a listing that
 * walks only the homes misses it.
 */
export const DEFAULT_ROOM_SCENES: readonly Readonly<SimulatorScene>[] = Object.freeze([
  { sceneId: 'AL.100000000000000004', name: 'movie_night', positionId: 'real2.living' },
]);

const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 7 * 24 * 3600;
const REFRESH_TOKEN_GRACE_SECONDS = 30 * 24 * 3600;

/** Bounded so a long benchmark cannot grow the simulator's memory without limit. */
const MAX_RECORDED = 100_000;
/** Trimming in batches keeps recording O(1) amortised instead of shifting the array each time. */
const TRIM_SLACK = 10_000;

/** Aqara bodies are tiny; anything this large is a client bug, not a request. */
const MAX_BODY_BYTES = 1024 * 1024;

type ParsedBody = { ok: true; intent: unknown; data: unknown } | { ok: false };

/**
 * A real HTTP server speaking Aqara Open API v3 on loopback, with a scriptable fault queue and
 * enough bookkeeping for tests to assert what a client did (how often it refreshed, which
 * token it reused, which scene ran) rather than only what it returned.
 */
export class AqaraSimulator {
  private readonly host: string;
  private readonly now: () => number;
  private readonly appList: SimulatorApp[];
  private readonly ledger: TokenLedger;
  private readonly gate: RequestGate;
  private readonly handlers: IntentHandlers;
  private readonly faults = new FaultQueue();
  /** Aqara's HTTP push: subscriptions and a pusher aimed at a URL the test gives. */
  readonly push: SimulatorPush;
  /** The account's devices: tests set them offline, change values and read what was written. */
  readonly devices: DeviceIntents;
  /** Infrared remotes: tests read the keys pressed and the air conditioner's state. */
  readonly ir: IrIntents;
  /** Automations: tests read which were switched on or off. */
  readonly linkages: LinkageIntents;
  /** Resource history and statistics: default series (history-defaults.ts), define() for more. */
  readonly history: SimulatorHistory;
  /** Event notifications: state changes (offline, rename, unbind, ...) pushed to every push app. */
  readonly events: SimulatorEvents;

  private server: Server | undefined;
  private url: string | undefined;
  private stopping: Promise<void> | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private callLog: SimulatorCall[] = [];
  private runLog: SimulatorSceneRun[] = [];
  private readonly countsByIntent = new Map<string, number>();
  private totalCalls = 0;
  private readonly refreshTokenUses = new Map<string, number>();
  private requestSequence = 0;

  constructor(options: SimulatorOptions = {}) {
    const clock = options.now ?? Date.now;
    this.now = () => clock();
    this.host = options.host ?? '127.0.0.1';
    this.appList = validateApps(options.apps ?? [DEFAULT_APP]);

    const accessTokenTtlSeconds = options.accessTokenTtlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS;
    const refreshTokenTtlSeconds =
      options.refreshTokenTtlSeconds ?? accessTokenTtlSeconds + REFRESH_TOKEN_GRACE_SECONDS;
    requirePositive('accessTokenTtlSeconds', accessTokenTtlSeconds);
    requirePositive('refreshTokenTtlSeconds', refreshTokenTtlSeconds);

    const stateFile = options.stateFile;
    this.ledger = new TokenLedger({
      now: this.now,
      accessTokenTtlSeconds,
      refreshTokenTtlSeconds,
      rotateRefreshToken: options.rotateRefreshToken ?? true,
      refreshRevokesAccessToken: options.refreshRevokesAccessToken ?? false,
      initial: stateFile === undefined ? undefined : loadState(stateFile),
      onChange: stateFile === undefined ? undefined : (state) => saveState(stateFile, state),
    });
    this.gate = new RequestGate(this.appList, this.now);
    this.push = new SimulatorPush({
      apps: this.appList,
      openIdFor,
      accessTokenFor: (appId) => liveAccessToken(this.ledger, appId, this.now()),
      now: this.now,
    });

    const scenes = (options.scenes ?? [...DEFAULT_SCENES, ...DEFAULT_ROOM_SCENES]).map((scene) => ({
      ...scene,
    }));
    this.devices = new DeviceIntents({
      devices:
        options.devices?.map((device) => ({ ...device, values: { ...device.values } })) ??
        defaultDevices(DEFAULT_POSITION_ID),
      definitions: options.resourceDefinitions ?? DEFAULT_RESOURCE_DEFS,
      batchLimit: options.resourceBatchLimit ?? DEFAULT_RESOURCE_BATCH_LIMIT,
      now: this.now,
    });
    this.ir = new IrIntents({
      remotes:
        options.irRemotes ??
        DEFAULT_IR_REMOTES.filter((remote) => this.devices.device(remote.did) !== undefined),
      devices: this.devices,
      now: this.now,
    });
    this.linkages = new LinkageIntents({
      linkages: options.linkages ?? defaultLinkages(DEFAULT_POSITION_ID),
      defaultPositionId: DEFAULT_POSITION_ID,
      now: this.now,
    });
    this.history = new SimulatorHistory({
      now: this.now,
      hasDevice: (did) => this.devices.device(did) !== undefined,
      series: defaultHistory(this.now()),
    });
    const positions = options.positions?.map((position) => ({ ...position })) ?? positionsOf(scenes);
    this.events = new SimulatorEvents({
      push: this.push,
      devices: this.devices,
      scenes,
      positions,
      now: this.now,
    });
    this.handlers = new IntentHandlers({
      ledger: this.ledger,
      scenes,
      devices: this.devices,
      positions,
      expiresInFormat: options.expiresInFormat ?? 'string',
      now: this.now,
      onSceneRun: (run) => this.recordSceneRun(run),
      extraHandlers: new Map([
        ...this.push.intentHandlers(),
        ...this.ir.intentHandlers(),
        ...this.linkages.intentHandlers(),
        ...firmwareHandlers(DEFAULT_FIRMWARE),
        ...this.history.intentHandlers(),
      ]),
    });
  }

  async start(port = 0): Promise<string> {
    if (this.server) throw new Error('simulator already started');
    if (this.stopping) await this.stopping;
    const server = createServer((req, res) => this.onRequest(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: this.host }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const { port: boundPort } = server.address() as AddressInfo;
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    this.url = `http://${host}:${boundPort}`;
    return this.url;
  }

  /** Destroys every socket too: a hanging or keep-alive connection must not keep a test alive. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    const server = this.server;
    if (!server) return Promise.resolve();
    this.server = undefined;
    this.push.close();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.stopping = new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
      this.sockets.clear();
    }).finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  /** Still readable after stop(), so a test can aim a client at a port that now refuses. */
  get baseUrl(): string {
    if (this.url === undefined) throw new Error('simulator not started');
    return this.url;
  }

  get apps(): SimulatorApp[] {
    return this.appList.map((app) => ({ ...app }));
  }

  issueRefreshToken(appId?: string): string {
    return this.ledger.issueRefreshToken(this.appById(appId).appId);
  }

  expireAccessTokens(): void {
    this.ledger.expireAccessTokens();
  }

  expireRefreshToken(token: string): void {
    this.ledger.expireRefreshToken(token);
  }

  isRefreshTokenValid(token: string): boolean {
    return this.ledger.isRefreshTokenValid(token);
  }

  /** Without an app id: the valid tokens of every app. */
  currentRefreshTokens(appId?: string): string[] {
    return this.ledger.currentRefreshTokens(appId);
  }

  injectFault(rule: FaultRule): void {
    this.faults.add(rule);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  callCount(intent?: string): number {
    return intent === undefined ? this.totalCalls : (this.countsByIntent.get(intent) ?? 0);
  }

  /**
   * Every request to the API path, including those the gate rejected (their intent is read
   * from the body when it parses, else ''), so a test can see a client's bad signature.
   */
  get calls(): readonly SimulatorCall[] {
    return this.callLog.length > MAX_RECORDED ? this.callLog.slice(-MAX_RECORDED) : this.callLog;
  }

  get sceneRuns(): readonly SimulatorSceneRun[] {
    return this.runLog.length > MAX_RECORDED ? this.runLog.slice(-MAX_RECORDED) : this.runLog;
  }

  refreshTokenUseCount(token: string): number {
    return this.refreshTokenUses.get(token) ?? 0;
  }

  /** Also forgets the IR clicks and automation switches, which are recorded like scene runs. */
  resetCounters(): void {
    this.callLog = [];
    this.runLog = [];
    this.ir.clearClicks();
    this.linkages.clearSwitches();
    this.countsByIntent.clear();
    this.totalCalls = 0;
    this.refreshTokenUses.clear();
  }

  private appById(appId: string | undefined): SimulatorApp {
    if (appId === undefined) return this.appList[0];
    const app = this.appList.find((candidate) => candidate.appId === appId);
    if (!app) throw new Error(`unknown simulator app id: ${appId}`);
    return app;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://simulator').pathname;
    if (req.method !== 'POST' || path !== API_PATH) {
      req.resume();
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Not Found');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) {
        res.writeHead(413, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
        res.end('Payload Too Large');
        return;
      }
      this.onApiRequest(req, res, Buffer.concat(chunks).toString('utf8'));
    });
  }

  private onApiRequest(req: IncomingMessage, res: ServerResponse, bodyText: string): void {
    const requestId = this.nextRequestId();
    const at = this.now();
    const body = parseBody(bodyText);
    const bodyIntent = body.ok && typeof body.intent === 'string' ? body.intent : '';
    const bodyData = body.ok ? body.data : undefined;
    const zh = headerValue(req.headers, 'Lang')?.toLowerCase() === 'zh';
    const send = (res: ServerResponse, requestId: string, reply: AqaraAnswer, status = 200): void =>
      sendEnvelope(res, requestId, zh ? inChinese(reply) : reply, status, bodyIntent);

    const gate = this.gate.check(req.headers);
    if (!gate.ok) {
      this.record({
        intent: bodyIntent,
        at,
        accessToken: gate.accessToken,
        data: bodyData,
        code: gate.answer.code,
      });
      send(res, requestId, gate.answer);
      return;
    }
    const accessToken = gate.accessToken;
    const rejectBody = (message: string): void => {
      this.record({ intent: bodyIntent, at, accessToken, data: bodyData, code: 302 });
      send(res, requestId, answer(302, message));
    };
    if (!body.ok) return rejectBody('params error: body is not a JSON object');
    if (typeof body.intent !== 'string' || body.intent === '')
      return rejectBody('params error: intent is required');

    const intent = body.intent;
    const call: SimulatorCall = { intent, at, accessToken, data: body.data, code: -1 };
    this.countDispatch(call);

    const app = gate.app;
    const processRequest = (): AqaraAnswer => {
      let result: AqaraAnswer;
      try {
        result = this.handlers.handle({ intent, app, accessToken, data: body.data });
      } catch {
        // Only a state-file write can throw here; the message must not carry a path or token.
        result = answer(500, 'service error');
      }
      call.code = result.code;
      return result;
    };

    const fault = this.faults.take(intent);
    switch (fault?.kind) {
      case undefined:
        send(res, requestId, processRequest());
        return;
      case 'delay': {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          send(res, requestId, processRequest());
        }, fault.ms);
        this.timers.add(timer);
        return;
      }
      case 'http500':
        call.code = 500;
        if (fault.body === 'json') send(res, requestId, answer(500), 500);
        else sendText(res, 500, '<html><body><h1>500 Internal Server Error</h1></body></html>');
        return;
      case 'httpStatus':
        call.code = fault.status;
        sendText(res, fault.status, `${fault.status}\n`);
        return;
      case 'drop':
        req.socket.destroy();
        return;
      case 'dropAfterProcessing':
        processRequest();
        req.socket.destroy();
        return;
      case 'hang':
        // Nothing is sent; stop() or the client closing the socket ends it.
        return;
      case 'code':
        call.code = fault.code;
        send(res, requestId, answer(fault.code, fault.message), fault.httpStatus ?? 200);
        return;
    }
  }

  private countDispatch(call: SimulatorCall): void {
    this.totalCalls += 1;
    this.countsByIntent.set(call.intent, (this.countsByIntent.get(call.intent) ?? 0) + 1);
    if (call.intent === 'config.auth.refreshToken' && isRecord(call.data)) {
      const token = call.data.refreshToken;
      if (typeof token === 'string')
        this.refreshTokenUses.set(token, (this.refreshTokenUses.get(token) ?? 0) + 1);
    }
    this.record(call);
  }

  private record(call: SimulatorCall): void {
    this.callLog.push(call);
    if (this.callLog.length > MAX_RECORDED + TRIM_SLACK)
      this.callLog.splice(0, this.callLog.length - MAX_RECORDED);
  }

  private recordSceneRun(run: SimulatorSceneRun): void {
    this.runLog.push(run);
    if (this.runLog.length > MAX_RECORDED + TRIM_SLACK)
      this.runLog.splice(0, this.runLog.length - MAX_RECORDED);
  }

  /**
   * Shaped like Aqara's ("2960.1209.16505260858914145": a server number, a sequence, the time in ms
   * and four more digits). The counter keeps ids unique within a run; time and tail across runs.
   */
  private nextRequestId(): string {
    this.requestSequence += 1;
    const server = this.requestSequence % 2 === 0 ? 2957 : 2960;
    const tail = randomBytes(2).readUInt16BE(0) % 10_000;
    return `${server}.${this.requestSequence}.${Math.trunc(Date.now())}${String(tail).padStart(4, '0')}`;
  }
}

export async function startSimulator(options?: SimulatorOptions, port?: number): Promise<AqaraSimulator> {
  const simulator = new AqaraSimulator(options);
  await simulator.start(port);
  return simulator;
}

/**
 * How real answers say "no detail": null, the string "null" or Python's "None", depending on the
 * service behind the intent. Fixed per intent family, so a test knows what it gets.
 */
function noDetail(intent: string): null | 'null' | 'None' {
  if (intent.startsWith('query.')) return 'None';
  if (intent.startsWith('config.auth.') || intent === '') return null;
  return 'null';
}

function sendEnvelope(
  res: ServerResponse,
  requestId: string,
  reply: AqaraAnswer,
  status: number,
  intent: string,
): void {
  if (res.destroyed || res.writableEnded) return;
  const detail = reply.detail ?? (reply.code === 0 ? noDetail(intent) : null);
  const body = JSON.stringify({
    code: reply.code,
    requestId,
    message: reply.message,
    [reply.detailField ?? 'msgDetails']: detail,
    result: reply.result,
  });
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function parseBody(text: string): ParsedBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false };
  }
  if (!isRecord(parsed)) return { ok: false };
  return { ok: true, intent: parsed.intent, data: parsed.data };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validateApps(apps: readonly SimulatorApp[]): SimulatorApp[] {
  if (apps.length === 0) throw new Error('the simulator needs at least one app');
  const ids = new Set(apps.map((app) => app.appId));
  if (ids.size !== apps.length) throw new Error('simulator app ids must be unique');
  return apps.map((app) => ({ ...app }));
}

function requirePositive(name: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${name} must be a positive number`);
}

/** The newest live access token of the app: what Aqara puts in a push's `token` header. */
function liveAccessToken(ledger: TokenLedger, appId: string, now: number): string | undefined {
  const live = ledger
    .snapshot()
    .accessTokens.filter((entry) => entry.appId === appId && !entry.revoked && entry.expiresAt > now);
  return live.at(-1)?.token;
}

/**
 * Without explicit positions: the default home and its rooms, and every other position the scenes
 * name as a home of its own.
 */
function positionsOf(scenes: readonly SimulatorScene[]): SimulatorPosition[] {
  const positions = DEFAULT_POSITIONS.map((position) => ({ ...position }));
  for (const positionId of new Set(scenes.map((scene) => scene.positionId))) {
    if (!positions.some((position) => position.positionId === positionId))
      positions.push({ positionId, positionName: positionId });
  }
  return positions;
}
