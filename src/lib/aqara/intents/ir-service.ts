/**
 * Aqara's infrared intents on an IntentCaller: a remote's description (`query.ir.info` and
 * `query.ir.keys`, once per remote, kept a day), key presses and air conditioner changes
 * (`write.ir.click`), and the air conditioner's state (`query.ir.acState`). Every check that can be
 * made before a click is made before it: a did that is not a remote, an unknown key, an air
 * conditioner setting out of range, settings for a keyed remote or a key for a keyless one are
 * refused with nothing sent.
 *
 * Calls: a key press costs one click once the remote is described; an air conditioner change costs
 * one click when the state is known from the last click or an acState read within 10 minutes, and
 * one acState read more otherwise. Aqara's acKey sets the whole state, so what the flow does not set
 * is sent as it is now.
 */
import { type Clock, systemClock } from '../../clock';
import { closeNames, normalize } from '../../close-names';
import { isRecord } from '../../is-record';
import { AqaraError } from '../errors';
import {
  type AcSettings,
  type AcState,
  type AcTokens,
  acStateOf,
  applyAcSettings,
  formatAcKey,
  parseAcTokens,
} from './ac-state';
import type { IntentCaller } from './caller';
import { type DeviceInfo, deviceFailure, deviceLabel } from './device-service';

export const IR_INFO_INTENT = 'query.ir.info';
export const IR_KEYS_INTENT = 'query.ir.keys';
export const IR_CLICK_INTENT = 'write.ir.click';
export const IR_AC_STATE_INTENT = 'query.ir.acState';

/** Remotes are virtual devices of these models under an IR-capable hub. */
export const IR_MODEL_PREFIX = 'virtual.ir.';
/** A "stateful" air conditioner remote, driven by acKey state strings; 0 and 1 are keyed remotes. */
export const AC_REMOTE_TYPE = 2;

export const IR_REMOTE_TTL_MS = 24 * 60 * 60 * 1000;
export const AC_STATE_TTL_MS = 10 * 60 * 1000;

export function isIrRemoteModel(model: string): boolean {
  return model.startsWith(IR_MODEL_PREFIX);
}

export interface IrKey {
  keyId: string;
  name: string;
  /** What a click of this key must name: a number in the key list, a string in the remote's info. */
  controllerId: number | string | null;
}

export interface IrRemote {
  device: DeviceInfo;
  /** 0 or 1: keyed; 2: an air conditioner driven by its state. */
  type: number;
  keys: IrKey[];
}

export interface IrKeyPress {
  did: string;
  key: string;
  keyId: string;
  requestId: string;
  /** An air conditioner's state after the press, when Aqara said. */
  ac?: AcState;
}

export interface IrAcChange {
  did: string;
  ac: AcState;
  /** The acKey sent. */
  acKey: string;
  requestId: string;
}

export interface IrServiceOptions {
  remoteTtlMs?: number;
  acStateTtlMs?: number;
  clock?: Clock;
}

/** Where a remote's did is checked: the account's device listing (DeviceService). */
export interface DeviceLookup {
  device(did: string): Promise<DeviceInfo>;
}

interface Cached<T> {
  value: T;
  at: number;
}

/** How many key names an "unknown key" error lists when none is close. */
const LISTED_KEYS = 5;

function text(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

function typeOf(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number) ? number : undefined;
}

function controllerIdOf(value: unknown): number | string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  return null;
}

function refused(message: string, intent?: string): AqaraError {
  return new AqaraError(message, { kind: 'caller', intent });
}

export function remoteLabel(remote: IrRemote): string {
  return `infrared remote ${deviceLabel(remote.device).replace(/^Aqara device /, '')}`;
}

export class IrService {
  private readonly remoteTtlMs: number;
  private readonly acStateTtlMs: number;
  private readonly clock: Clock;
  private readonly remotes = new Map<string, Cached<IrRemote>>();
  private readonly describing = new Map<string, Promise<IrRemote>>();
  private readonly acStates = new Map<string, Cached<AcTokens>>();

  constructor(
    private readonly caller: IntentCaller,
    private readonly devices: DeviceLookup,
    options: IrServiceOptions = {},
  ) {
    this.remoteTtlMs = options.remoteTtlMs ?? IR_REMOTE_TTL_MS;
    this.acStateTtlMs = options.acStateTtlMs ?? AC_STATE_TTL_MS;
    this.clock = options.clock ?? systemClock;
  }

  /**
   * A remote's type and keys: from the cache for a day, else `query.ir.info` and `query.ir.keys`
   * (shared by callers that ask at once). A did that is not a remote of the account is refused from
   * the device listing, before any infrared intent is sent.
   */
  async remote(did: string, refresh = false): Promise<IrRemote> {
    const cached = this.remotes.get(did);
    if (!refresh && cached && this.clock.now() - cached.at < this.remoteTtlMs) return cached.value;
    const running = this.describing.get(did);
    if (running) return running;
    const describing = this.describe(did).finally(() => this.describing.delete(did));
    this.describing.set(did, describing);
    return describing;
  }

  /** Presses a key by its name (exact, else the one name equal but for case and spaces). */
  async press(did: string, keyName: string): Promise<IrKeyPress> {
    const remote = await this.remote(did);
    const key = this.findKey(remote, keyName);
    let response;
    try {
      response = await this.caller.call<unknown>(IR_CLICK_INTENT, {
        did,
        ...(key.controllerId === null ? {} : { controllerId: key.controllerId }),
        keyId: key.keyId,
      });
    } catch (error) {
      // A key of an air conditioner changed its state in a way we cannot know: read it next time.
      this.acStates.delete(did);
      throw deviceFailure(error, remote.device, true);
    }
    const press: IrKeyPress = { did, key: key.name, keyId: key.keyId, requestId: response.requestId };
    if (remote.type === AC_REMOTE_TYPE) {
      const after = acStateAnswer(response.result);
      if (after) {
        this.rememberAcState(did, after);
        press.ac = acStateOf(after);
      } else {
        this.acStates.delete(did);
      }
    }
    return press;
  }

  /**
   * Sets an air conditioner (type 2) from settings, any subset: the rest is sent as it is now. The
   * state comes from the last click or acState read of the last 10 minutes, else from one
   * `query.ir.acState`; tokens Aqara leaves out of it are left out of the click too.
   */
  async setAc(did: string, settings: AcSettings): Promise<IrAcChange> {
    const remote = await this.remote(did);
    if (remote.type !== AC_REMOTE_TYPE) {
      const example = remote.keys[0]?.name ?? 'Power';
      throw refused(
        `${remoteLabel(remote)} is a keyed remote (type ${remote.type}), not an air conditioner: ` +
          `send a key name such as "${example}", not an object of settings`,
        IR_CLICK_INTENT,
      );
    }
    const current = await this.currentAcState(remote);
    const next = applyAcSettings(current ?? new Map<string, number>(), settings);
    const acKey = formatAcKey(next);
    let response;
    try {
      response = await this.caller.call<unknown>(IR_CLICK_INTENT, { did, acKey });
    } catch (error) {
      this.acStates.delete(did);
      throw deviceFailure(error, remote.device, true);
    }
    const after = acStateAnswer(response.result) ?? next;
    this.rememberAcState(did, after);
    return { did, ac: acStateOf(after), acKey, requestId: response.requestId };
  }

  /** Forgets what is known of an air conditioner's state (e.g. someone used the physical remote). */
  forgetAcState(did: string): void {
    this.acStates.delete(did);
  }

  private rememberAcState(did: string, tokens: AcTokens): void {
    this.acStates.set(did, { value: tokens, at: this.clock.now() });
  }

  private async currentAcState(remote: IrRemote): Promise<AcTokens | undefined> {
    const did = remote.device.did;
    const known = this.acStates.get(did);
    if (known && this.clock.now() - known.at < this.acStateTtlMs) return known.value;
    let result: unknown;
    try {
      ({ result } = await this.caller.call<unknown>(IR_AC_STATE_INTENT, { did }));
    } catch (error) {
      throw deviceFailure(error, remote.device, false);
    }
    const tokens = acStateAnswer(result);
    if (tokens) this.rememberAcState(did, tokens);
    return tokens;
  }

  private findKey(remote: IrRemote, asked: string): IrKey {
    const exact = remote.keys.find((key) => key.name === asked);
    if (exact) return exact;
    const wanted = normalize(asked);
    const loose = remote.keys.filter((key) => normalize(key.name) === wanted);
    if (loose.length === 1) return loose[0];
    if (remote.keys.length === 0) {
      throw refused(
        remote.type === AC_REMOTE_TYPE
          ? `${remoteLabel(remote)} is an air conditioner without keys: send an object ` +
              '{power, mode, temperature, fan, swing} instead of a key name'
          : `${remoteLabel(remote)} has no keys (query.ir.keys listed none)`,
        IR_CLICK_INTENT,
      );
    }
    const names = remote.keys.map((key) => key.name);
    const close = closeNames(asked, names);
    const hint =
      close.length > 0
        ? `close: ${close.map((name) => JSON.stringify(name)).join(', ')}`
        : `its keys include ${names
            .slice(0, LISTED_KEYS)
            .map((name) => JSON.stringify(name))
            .join(', ')}${names.length > LISTED_KEYS ? `, … (${names.length} in all)` : ''}`;
    throw refused(`${remoteLabel(remote)} has no key ${JSON.stringify(asked)}; ${hint}`, IR_CLICK_INTENT);
  }

  private async describe(did: string): Promise<IrRemote> {
    const device = await this.devices.device(did);
    if (!isIrRemoteModel(device.model)) {
      throw refused(
        `${deviceLabel(device)} is not an infrared remote (model ${device.model || 'unknown'}; ` +
          `remotes have ${IR_MODEL_PREFIX}* models)`,
        IR_INFO_INTENT,
      );
    }
    let info: unknown;
    let keyList: unknown;
    try {
      ({ result: info } = await this.caller.call<unknown>(IR_INFO_INTENT, { did }));
      ({ result: keyList } = await this.caller.call<unknown>(IR_KEYS_INTENT, { did }));
    } catch (error) {
      throw deviceFailure(error, device, false);
    }
    const infoControllerId = isRecord(info) ? controllerIdOf(info.controllerId) : null;
    const rawKeys = isRecord(keyList) && Array.isArray(keyList.keys) ? keyList.keys : [];
    const keys: IrKey[] = [];
    for (const item of rawKeys) {
      if (!isRecord(item)) continue;
      const keyId = text(item.keyId).trim();
      if (keyId === '') continue;
      keys.push({
        keyId,
        name: text(item.keyName).trim() || keyId,
        controllerId: controllerIdOf(item.controllerId) ?? infoControllerId,
      });
    }
    // The info's type is the one Aqara documents; the key list carries one too.
    const type =
      (isRecord(info) ? typeOf(info.type) : undefined) ??
      (isRecord(keyList) ? typeOf(keyList.type) : undefined) ??
      1;
    const remote: IrRemote = { device, type, keys };
    this.remotes.set(did, { value: remote, at: this.clock.now() });
    return remote;
  }
}

/** `{acState: "P0_M0_T26_S0"}`, from a click's result or an acState read. */
function acStateAnswer(result: unknown): AcTokens | undefined {
  return isRecord(result) ? parseAcTokens(result.acState) : undefined;
}
