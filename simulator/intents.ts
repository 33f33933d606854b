import { answer } from './codes';
import { type Page, readPage } from './paging';
import type { DeviceIntents } from './device-intents';
import type { TokenLedger } from './state';
import type {
  AqaraAnswer,
  ExpiresInFormat,
  SimulatorApp,
  SimulatorPosition,
  SimulatorScene,
  SimulatorSceneRun,
} from './types';

export interface IntentRequest {
  intent: string;
  app: SimulatorApp;
  accessToken?: string;
  data: unknown;
}

export interface IntentHandlerOptions {
  ledger: TokenLedger;
  scenes: readonly SimulatorScene[];
  positions: readonly SimulatorPosition[];
  expiresInFormat: ExpiresInFormat;
  now: () => number;
  onSceneRun: (run: SimulatorSceneRun) => void;
  /** Intents served by other simulator parts (push subscriptions); the access token is checked here first. */
  extraHandlers?: ReadonlyMap<string, Handler>;
  /** Device listing, definitions, reads and writes (device-intents.ts). */
  devices?: DeviceIntents;
}

/** A fixed past time for positions created without one: answers stay the same from run to run. */
const POSITION_CREATED_AT = 1_597_375_298_048;

/** `query.position.detail` takes at most this many ids. */
export const MAX_POSITION_IDS = 50;
/** Time zones belong to homes (config.position.timeZone sets them on the top level only). */
const HOME_TIME_ZONE = 'GMT+08:00';

/** Parses a number a naive client would read as 7 seconds, to catch parseInt-style parsing. */
const GARBAGE_EXPIRES_IN = '7 days';

export type Handler = (request: IntentRequest, data: Record<string, unknown>) => AqaraAnswer;

/**
 * The business side of the simulated API: what each intent does once the request is
 * authentic. Intents under config.auth.* need no access token, as at Aqara.
 */
export class IntentHandlers {
  private readonly handlers: Map<string, Handler>;

  constructor(private readonly options: IntentHandlerOptions) {
    this.handlers = new Map<string, Handler>([
      ['config.auth.refreshToken', (request, data) => this.refreshToken(request, data)],
      ['config.scene.run', (request, data) => this.runScene(request, data)],
      ['query.scene.detail', (_request, data) => this.sceneDetail(data)],
      ['query.scene.listByPositionId', (_request, data) => this.listScenes(data)],
      ['query.position.info', (_request, data) => this.listPositions(data)],
      ['query.position.detail', (_request, data) => this.positionDetail(data)],
    ]);

    for (const [intent, handler] of options.extraHandlers ?? []) this.handlers.set(intent, handler);
  }

  handle(request: IntentRequest): AqaraAnswer {
    if (!request.intent.startsWith('config.auth.')) {
      const access = this.options.ledger.checkAccessToken(request.app.appId, request.accessToken);
      if (!access.ok) {
        return {
          ...answer(access.code, access.message),
          detail: access.detail,
          detailField: 'messageDetail',
        };
      }
    }
    // Device intents take their data raw: write.resource.device sends an array.
    const deviceHandler = this.options.devices?.handler(request.intent);
    if (deviceHandler) return deviceHandler(request.data);
    const handler = this.handlers.get(request.intent);
    if (!handler) return answer(302, `params error: unknown intent ${request.intent}`);
    // A missing data field reads as no parameters; anything but an object is a caller error.
    const data = request.data === undefined ? {} : isRecord(request.data) ? request.data : undefined;
    if (!data) return answer(302, 'params error: data must be an object');
    return handler(request, data);
  }

  private refreshToken(request: IntentRequest, data: Record<string, unknown>): AqaraAnswer {
    const token = data.refreshToken;
    if (typeof token !== 'string' || token === '')
      return answer(302, 'params error: refreshToken is required');
    const outcome = this.options.ledger.refresh(request.app.appId, token);
    if (!outcome.ok) return answer(outcome.code);
    const result: Record<string, unknown> = { accessToken: outcome.accessToken };
    if (outcome.refreshToken !== undefined) result.refreshToken = outcome.refreshToken;
    result.openId = outcome.openId;
    switch (this.options.expiresInFormat) {
      case 'string':
        result.expiresIn = String(outcome.expiresInSeconds);
        break;
      case 'number':
        result.expiresIn = outcome.expiresInSeconds;
        break;
      case 'garbage':
        result.expiresIn = GARBAGE_EXPIRES_IN;
        break;
      case 'missing':
        break;
    }
    return answer(0, undefined, result);
  }

  private runScene(request: IntentRequest, data: Record<string, unknown>): AqaraAnswer {
    const scene = this.findScene(data.sceneId);
    if (scene === 'invalid') return answer(302, 'params error: sceneId is required');
    if (!scene) return answer(1202);
    this.options.onSceneRun({ sceneId: scene.sceneId, at: this.options.now(), appId: request.app.appId });
    // Aqara does not document this result; an empty string is what its config.* intents return.
    return answer(0, undefined, '');
  }

  private sceneDetail(data: Record<string, unknown>): AqaraAnswer {
    const scene = this.findScene(data.sceneId);
    if (scene === 'invalid') return answer(302, 'params error: sceneId is required');
    if (!scene) return answer(1202);
    return answer(0, undefined, {
      sceneId: scene.sceneId,
      name: scene.name,
      positionId: scene.positionId,
      model: 'app.scene.v1',
    });
  }

  private listScenes(data: Record<string, unknown>): AqaraAnswer {
    const positionId = data.positionId;
    if (typeof positionId !== 'string' || positionId === '') {
      return answer(302, 'params error: positionId is required');
    }
    const page = readPage(data);
    if (!page) return answer(302, 'params error: pageNum and pageSize must be positive integers');
    const items = this.options.scenes
      .filter((scene) => scene.positionId === positionId)
      .map((scene) => ({ sceneId: scene.sceneId, name: scene.name, model: 'app.scene.v1' }));
    return answer(0, undefined, paged(items, page));
  }

  private listPositions(data: Record<string, unknown>): AqaraAnswer {
    const parent = data.parentPositionId;
    // Aqara refuses the request without the key; "" is how every public client asks for the homes.
    if (parent === undefined) return answer(302, 'params error: parentPositionId is required');
    if (typeof parent !== 'string') return answer(302, 'params error: parentPositionId must be a string');
    const page = readPage(data);
    if (!page) return answer(302, 'params error: pageNum and pageSize must be positive integers');
    const items = this.options.positions
      .filter((position) => (position.parentPositionId ?? '') === parent)
      .map((position) => ({
        positionName: position.positionName,
        positionId: position.positionId,
        createTime: this.createTimeOf(position),
        description: position.description ?? '',
        parentPositionId: position.parentPositionId ?? '',
      }));
    return answer(0, undefined, paged(items, page));
  }

  private positionDetail(data: Record<string, unknown>): AqaraAnswer {
    const ids = data.positionIds;
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === 'string' && id !== ''))
      return answer(302, 'params error: positionIds must be a list of position ids');
    if (ids.length > MAX_POSITION_IDS)
      return answer(302, `params error: at most ${MAX_POSITION_IDS} positionIds`);
    const wanted = new Set(ids);
    // Ids the account does not have are left out, not refused: a client matches answers by id.
    const items = this.options.positions
      .filter((position) => wanted.has(position.positionId))
      .map((position) => ({
        positionId: position.positionId,
        positionName: position.positionName,
        parentPositionId: position.parentPositionId ?? '',
        description: position.description ?? '',
        createTime: this.createTimeOf(position),
        timeZone: position.parentPositionId ? null : HOME_TIME_ZONE,
      }));
    return answer(0, undefined, items);
  }

  /** Positions made without a time are a second apart among their siblings, in the order given. */
  private createTimeOf(position: SimulatorPosition): number {
    if (position.createTime !== undefined) return position.createTime;
    const parent = position.parentPositionId ?? '';
    const siblings = this.options.positions.filter((other) => (other.parentPositionId ?? '') === parent);
    return POSITION_CREATED_AT + siblings.indexOf(position) * 1000;
  }

  private findScene(sceneId: unknown): SimulatorScene | 'invalid' | undefined {
    if (typeof sceneId !== 'string' || sceneId === '') return 'invalid';
    return this.options.scenes.find((scene) => scene.sceneId === sceneId);
  }
}

function paged<T>(items: T[], page: Page): { data: T[]; totalCount: number } {
  const start = (page.pageNum - 1) * page.pageSize;
  return { data: items.slice(start, start + page.pageSize), totalCount: items.length };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
