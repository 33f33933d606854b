import { AC_RANGES, type AcState, type AcToken, formatAcState, parseAcKey, parseFullAcState } from './ac-key';
import { answer } from './codes';
import type { DeviceIntents } from './device-intents';
import type { SimulatorDevice } from './devices';
import type { Handler } from './intents';
import type { SimulatorIrKey, SimulatorIrRemote } from './ir-remotes';
import type { AqaraAnswer } from './types';

/** One press the simulator accepted, for tests to assert what a client sent. */
export interface SimulatorIrClick {
  did: string;
  at: number;
  appId: string;
  /** A key press: the key as the remote knows it and the controller id as the client sent it. */
  keyId?: string;
  keyName?: string;
  controllerId?: unknown;
  /** An air conditioner click: the acKey exactly as sent. */
  acKey?: string;
  /** `isAcMatch: 1`: Aqara's matching test, which sends infrared but leaves the state alone. */
  isAcMatch: boolean;
  /** Type 2: the full state after the click. */
  acState?: string;
}

export interface IrIntentOptions {
  remotes: readonly SimulatorIrRemote[];
  devices: DeviceIntents;
  now: () => number;
}

/** When the remote was set up: fixed, so answers stay the same from run to run. */
const REMOTE_CREATED_AT = 1_612_345_678_000;
const REMOTE_UPDATED_AT = 1_640_995_200_000;

/**
 * Aqara's infrared intents over the account's virtual remotes: their info and keys, key presses, and
 * the air conditioner's state, which a click changes only in the tokens it names. Every refusal is a
 * 302 with HTTP 200, as the real cloud answers a parameter it does not like; an offline or silent hub
 * answers 602 / 612 like any device write, and nothing is pressed.
 */
export class IrIntents {
  private readonly remotes = new Map<string, SimulatorIrRemote>();
  private readonly states = new Map<string, AcState>();
  private readonly omissions = new Map<string, readonly AcToken[]>();
  private clickLog: SimulatorIrClick[] = [];

  constructor(private readonly options: IrIntentOptions) {
    for (const remote of options.remotes) {
      const device = options.devices.device(remote.did);
      if (!device || !device.model.startsWith('virtual.ir.'))
        throw new Error(`IR remote ${remote.did} must be a device of the account with a virtual.ir.* model`);
      if (this.remotes.has(remote.did)) throw new Error(`IR remote ${remote.did} is listed twice`);
      if (new Set(remote.keys.map((key) => key.keyId)).size !== remote.keys.length)
        throw new Error(`IR remote ${remote.did} has two keys with one keyId`);
      this.remotes.set(remote.did, { ...remote, keys: remote.keys.map((key) => ({ ...key })) });
      if (remote.type === 2) {
        if (remote.acState === undefined)
          throw new Error(`IR remote ${remote.did} of type 2 needs an acState`);
        this.states.set(remote.did, parseFullAcState(remote.acState));
        this.omissions.set(remote.did, [...(remote.acStateOmits ?? [])]);
      }
    }
  }

  intentHandlers(): ReadonlyMap<string, Handler> {
    return new Map<string, Handler>([
      ['query.ir.info', (_request, data) => this.info(data)],
      ['query.ir.keys', (_request, data) => this.keys(data)],
      ['query.ir.list', (_request, data) => this.list(data)],
      ['query.ir.acState', (_request, data) => this.acStateAnswer(data)],
      ['write.ir.click', (request, data) => this.click(request.app.appId, data)],
    ]);
  }

  /** Every press accepted, oldest first (refused ones are not presses). */
  get clicks(): readonly SimulatorIrClick[] {
    return this.clickLog;
  }

  clearClicks(): void {
    this.clickLog = [];
  }

  /** The air conditioner's full state, whatever `query.ir.acState` leaves out. */
  acState(did: string): string {
    return formatAcState(this.requireState(did));
  }

  /** Sets (part of) the state by hand, e.g. as if someone used the physical remote. */
  setAcState(did: string, acKey: string): void {
    const parsed = parseAcKey(acKey);
    if (!parsed.ok) throw new Error(parsed.reason);
    Object.assign(this.requireState(did), parsed.tokens);
  }

  /** Which tokens `query.ir.acState` leaves out from now on ([] for none). */
  setAcStateOmits(did: string, tokens: readonly AcToken[]): void {
    this.requireState(did);
    this.omissions.set(did, [...tokens]);
  }

  private requireState(did: string): AcState {
    const state = this.states.get(did);
    if (!state) throw new Error(`not an air conditioner remote of the simulator: ${did}`);
    return state;
  }

  private info(data: Record<string, unknown>): AqaraAnswer {
    const found = this.findRemote(data.did);
    if (!found.ok) return found.answer;
    const remote = found.remote;
    return answer(0, undefined, {
      did: remote.did,
      brandId: remote.brandId,
      brandName: remote.brandName,
      categoryId: remote.categoryId,
      controllerId: remote.infoControllerId === 'string' ? String(remote.controllerId) : null,
      lineupId: remote.lineupId,
      type: remote.type,
      createTime: REMOTE_CREATED_AT,
      updateTime: REMOTE_UPDATED_AT,
    });
  }

  private keys(data: Record<string, unknown>): AqaraAnswer {
    const found = this.findRemote(data.did);
    if (!found.ok) return found.answer;
    const remote = found.remote;
    return answer(0, undefined, {
      keys: remote.keys.map((key) => ({
        keyId: key.keyId,
        keyName: key.keyName,
        irKeyId: key.irKeyId,
        controllerId: remote.controllerId,
      })),
      type: remote.type,
    });
  }

  private list(data: Record<string, unknown>): AqaraAnswer {
    const parentDid = data.parentDid;
    if (typeof parentDid !== 'string' || parentDid === '')
      return answer(302, 'params error: parentDid is required');
    if (!this.options.devices.device(parentDid))
      return answer(302, `params error: unknown parentDid ${parentDid}`);
    // The reply shape is unconfirmed by any public client; this one names what a picker needs.
    const items = [...this.remotes.values()]
      .map((remote) => ({ remote, device: this.options.devices.device(remote.did) }))
      .filter(
        (entry): entry is { remote: SimulatorIrRemote; device: SimulatorDevice } =>
          entry.device?.parentDid === parentDid,
      )
      .map(({ remote, device }) => ({
        did: remote.did,
        name: device.deviceName,
        model: device.model,
        positionId: device.positionId,
        categoryId: remote.categoryId,
        brandId: remote.brandId,
        type: remote.type,
      }));
    return answer(0, undefined, items);
  }

  private acStateAnswer(data: Record<string, unknown>): AqaraAnswer {
    const found = this.findRemote(data.did);
    if (!found.ok) return found.answer;
    const state = this.states.get(found.remote.did);
    if (!state) return answer(302, `params error: ${found.remote.did} is not an air conditioner (type 2)`);
    return answer(0, undefined, {
      acState: formatAcState(state, this.omissions.get(found.remote.did)),
    });
  }

  private click(appId: string, data: Record<string, unknown>): AqaraAnswer {
    const found = this.findRemote(data.did);
    if (!found.ok) return found.answer;
    const remote = found.remote;
    const isAcMatch = data.isAcMatch ?? 0;
    if (isAcMatch !== 0 && isAcMatch !== 1) return answer(302, 'params error: isAcMatch must be 0 or 1');
    if (data.brandId !== undefined && !sameNumber(data.brandId, remote.brandId))
      return answer(302, `params error: brandId does not match ${remote.did}`);
    if (data.acKey !== undefined && data.keyId !== undefined)
      return answer(302, 'params error: send either keyId or acKey');
    // Optional with an acKey, required with a keyId: when it is sent, it must be this remote's.
    if (data.controllerId !== undefined && data.controllerId !== null) {
      if (!sameNumber(data.controllerId, remote.controllerId))
        return answer(302, `params error: controllerId does not match ${remote.did}`);
    }

    const state = this.states.get(remote.did);
    let change: AcState = {};
    let key: SimulatorIrKey | undefined;
    if (data.acKey !== undefined) {
      if (!state) return answer(302, `params error: acKey needs an air conditioner remote (type 2)`);
      if (typeof data.acKey !== 'string') return answer(302, 'params error: acKey must be a string');
      const parsed = parseAcKey(data.acKey);
      if (!parsed.ok) return answer(302, `params error: ${parsed.reason}`);
      change = parsed.tokens;
    } else {
      if (typeof data.keyId !== 'string' || data.keyId === '')
        return answer(302, 'params error: keyId or acKey is required');
      if (data.controllerId === undefined || data.controllerId === null)
        return answer(302, 'params error: controllerId is required');
      const keyId = data.keyId;
      key = remote.keys.find((candidate) => candidate.keyId === keyId);
      if (!key) return answer(302, `params error: unknown keyId ${keyId}`);
      if (state && key.acEffect) change = keyEffect(state, key);
    }

    const failure = this.reachability(remote.did);
    if (failure) return failure;
    if (state && isAcMatch === 0) Object.assign(state, change);
    const after = state ? formatAcState(state) : undefined;
    this.clickLog.push({
      did: remote.did,
      at: this.options.now(),
      appId,
      ...(key ? { keyId: key.keyId, keyName: key.keyName, controllerId: data.controllerId } : {}),
      ...(typeof data.acKey === 'string' ? { acKey: data.acKey } : {}),
      isAcMatch: isAcMatch === 1,
      ...(after !== undefined ? { acState: after } : {}),
    });
    // One public client reads the air conditioner's new state from the click's own answer.
    return answer(0, undefined, after !== undefined ? { acState: after } : '');
  }

  private findRemote(
    did: unknown,
  ): { ok: true; remote: SimulatorIrRemote } | { ok: false; answer: AqaraAnswer } {
    if (typeof did !== 'string' || did === '')
      return { ok: false, answer: answer(302, 'params error: did is required') };
    const remote = this.remotes.get(did);
    if (remote) return { ok: true, remote };
    if (this.options.devices.device(did))
      return { ok: false, answer: answer(302, `params error: ${did} is not an infrared remote`) };
    return { ok: false, answer: answer(302, `params error: unknown did ${did}`) };
  }

  /** The hub sends the infrared: the remote answers for its hub's state as well as its own. */
  private reachability(did: string): AqaraAnswer | undefined {
    const remote = this.options.devices.device(did);
    const hub = remote?.parentDid ? this.options.devices.device(remote.parentDid) : undefined;
    for (const device of [remote, hub]) {
      if (!device) continue;
      if (device.state !== 1) return answer(602, 'device offline');
      if (device.gatewayTimeout) return answer(612, 'gateway did not answer');
    }
    return undefined;
  }
}

/** The state change of a key press on an air conditioner remote; limits hold like a real remote's. */
function keyEffect(state: AcState, key: SimulatorIrKey): AcState {
  const temperature = state.T ?? AC_RANGES.T.min;
  switch (key.acEffect) {
    case 'power':
      return { P: state.P === 0 ? 1 : 0 };
    case 'temperatureUp':
      return { T: Math.min(temperature + 1, AC_RANGES.T.max) };
    case 'temperatureDown':
      return { T: Math.max(temperature - 1, AC_RANGES.T.min) };
    case 'mode':
      return { M: ((state.M ?? 0) + 1) % (AC_RANGES.M.max + 1) };
    case undefined:
      return {};
  }
}

/** Ids travel as numbers in one answer and strings in another: a client may send either back. */
function sameNumber(sent: unknown, expected: number): boolean {
  if (typeof sent === 'number') return sent === expected;
  return typeof sent === 'string' && /^\d+$/.test(sent) && Number(sent) === expected;
}
