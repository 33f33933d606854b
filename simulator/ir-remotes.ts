import type { AcToken } from './ac-key';
import { AC_REMOTE_DID, TV_REMOTE_DID } from './devices';

/**
 * The infrared side of the account's virtual remotes (their listing entries are devices, devices.ts).
 * Shapes follow the public clients of the IR intents: key ids are strings, the controller id a number
 * in the key list but a string, or null, in `query.ir.info`. Brands, ids and key names are the
 * simulator's own.
 */

/** 0 and 1 are keyed remotes; 2 an air conditioner driven by acKey state strings. */
export type IrRemoteType = 0 | 1 | 2;

/** What pressing a key of an air conditioner remote does to its state. */
export type AcKeyEffect = 'power' | 'temperatureUp' | 'temperatureDown' | 'mode';

export interface SimulatorIrKey {
  keyId: string;
  keyName: string;
  irKeyId: string;
  /** Type 2 only: the state change the key causes; none (a sleep or light key) leaves the state. */
  acEffect?: AcKeyEffect;
}

export interface SimulatorIrRemote {
  /** A device of the account with a `virtual.ir.*` model; its parentDid is the hub that sends the infrared. */
  did: string;
  type: IrRemoteType;
  brandId: number;
  brandName: string;
  categoryId: number;
  /** Sent as a number in `query.ir.keys`; `write.ir.click` must name it. */
  controllerId: number;
  /** How `query.ir.info` spells the controller id: as a string, or null (seen for air conditioners). */
  infoControllerId: 'string' | 'null';
  lineupId: string;
  keys: SimulatorIrKey[];
  /** Type 2: the state it starts in, every token of a full state present, e.g. "P1_M0_T26_S0_D0". */
  acState?: string;
  /** Type 2: tokens `query.ir.acState` leaves out of its answer (real answers do), e.g. ['D']. */
  acStateOmits?: AcToken[];
}

/** The TV remote's controller; its keys carry it as a number, its info as a string. */
export const TV_CONTROLLER_ID = 10120;
export const AC_CONTROLLER_ID = 20456;

const tvKey = (keyId: string, keyName: string, irKeyId: string): SimulatorIrKey => ({
  keyId,
  keyName,
  irKeyId,
});

export const DEFAULT_IR_REMOTES: readonly Readonly<SimulatorIrRemote>[] = Object.freeze([
  {
    did: TV_REMOTE_DID,
    type: 1,
    brandId: 97,
    brandName: 'Sony',
    categoryId: 2,
    controllerId: TV_CONTROLLER_ID,
    infoControllerId: 'string',
    lineupId: '',
    keys: [
      tvKey('1', 'Power', 'power'),
      tvKey('2', 'Mute', 'mute'),
      tvKey('3', 'Volume +', 'vol_up'),
      tvKey('4', 'Volume -', 'vol_down'),
      tvKey('5', 'Channel +', 'ch_up'),
      tvKey('6', 'Channel -', 'ch_down'),
      tvKey('7', 'Up', 'up'),
      tvKey('8', 'Down', 'down'),
      tvKey('9', 'Left', 'left'),
      tvKey('10', 'Right', 'right'),
      tvKey('11', 'OK', 'ok'),
      tvKey('12', 'Home', 'home'),
      tvKey('13', 'Back', 'back'),
      // Key names come in the language the remote was set up in.
      tvKey('14', '信号源', 'input'),
    ],
  },
  {
    did: AC_REMOTE_DID,
    type: 2,
    brandId: 182,
    brandName: '格力',
    categoryId: 5,
    controllerId: AC_CONTROLLER_ID,
    infoControllerId: 'null',
    lineupId: '0',
    keys: [
      { keyId: '1', keyName: 'Power', irKeyId: 'ac_power', acEffect: 'power' },
      { keyId: '2', keyName: 'Temp +', irKeyId: 'ac_temp_up', acEffect: 'temperatureUp' },
      { keyId: '3', keyName: 'Temp -', irKeyId: 'ac_temp_down', acEffect: 'temperatureDown' },
      { keyId: '4', keyName: 'Mode', irKeyId: 'ac_mode', acEffect: 'mode' },
      { keyId: '5', keyName: '睡眠', irKeyId: 'ac_sleep' },
    ],
    // Off (P1), cool, 26 °C, automatic fan, swinging.
    acState: 'P1_M0_T26_S0_D0',
    // The published example answer "P0_M0_T26_S0" has no swing token.
    acStateOmits: ['D'],
  },
]);
