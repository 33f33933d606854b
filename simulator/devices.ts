/**
 * The simulated account's devices: a hub and its children of several real models, with resource
 * definitions in the rough shapes the real cloud answers with (numeric unit codes, `access` 0/2/3/7 or
 * the string "null", "null" strings for ranges and enums, comma-separated enums, Chinese names, a
 * description swapped between two resources). The data is the simulator's own; only the shapes follow
 * recorded answers of the real service.
 */

/** A resource definition as `query.resource.info` answers it (model is added on the way out). */
export interface SimulatorResourceDef {
  resourceId: string;
  name: string;
  description: string;
  enums: string;
  minValue: number | string;
  maxValue: number | string;
  unit: number;
  access: number | string;
  defaultValue: string;
  /** False: the resource is listed but Aqara will not read it (302 "all resource not open"). */
  readable?: boolean;
  /** True: Aqara accepts writes to it (the simulator's truth, whatever `access` says). */
  writable?: boolean;
}

export interface SimulatorDevice {
  did: string;
  parentDid: string;
  positionId: string;
  model: string;
  /** 1 hub with children, 2 hub without, 3 child device. */
  modelType: number;
  /** 1 online, 0 offline (answers 602). */
  state: number;
  deviceName: string;
  firmwareVersion: string;
  /** The device's hub does not answer: reads and writes get 612. */
  gatewayTimeout?: boolean;
  /** Current values, as strings, by resource id. */
  values: Record<string, string>;
}

export interface SimulatorRoom {
  positionId: string;
  positionName: string;
  parentPositionId: string;
}

export const HUB_DID = 'lumi1.54ef44a1b2c3';
export const SENSOR_DID = 'lumi.158d0008a1b2c3';
export const SWITCH_DID = 'lumi.158d0009d4e5f6';
export const PLUG_DID = 'lumi.158d000a778899';
export const CURTAIN_DID = 'lumi.4cf8cdf3c71a2b';
export const CUBE_DID = 'lumi.4cf8cdf3c73c4d';
/** A second sensor whose battery ran out: every read and write answers 602. */
export const OFFLINE_DID = 'lumi.158d000bdeadbe';
/** A switch behind a second hub that stopped answering: 612. */
export const SILENT_HUB_DID = 'lumi1.54ef44ffee00';
export const SILENT_SWITCH_DID = 'lumi.158d000c0ffee0';

/**
 * Infrared remotes: virtual devices under the IR-capable Hub M2, listed like any child device. Their
 * keys and air conditioner state live in ir-remotes.ts; they have no resources.
 */
export const TV_REMOTE_DID = 'ir.1093827485263921152';
export const AC_REMOTE_DID = 'ir.1093827485263921153';

export const SENSOR_MODEL = 'lumi.weather.v1';
export const SWITCH_MODEL = 'lumi.switch.b2nacn02';
export const PLUG_MODEL = 'lumi.plug.maeu01';
export const CURTAIN_MODEL = 'lumi.curtain.hagl04';
export const CUBE_MODEL = 'lumi.remote.cagl02';
/** Aqara Hub M2: it has an infrared blaster, so the account's remotes hang under it. */
export const HUB_MODEL = 'lumi.gateway.iragl5';
export const TV_REMOTE_MODEL = 'virtual.ir.tv';
export const AC_REMOTE_MODEL = 'virtual.ir.ac';

/** Rooms of the default home (the simulator's DEFAULT_POSITIONS); the home is the scenes' default position. */
const LIVING_ROOM = 'real2.living';
const BEDROOM = 'real2.bedroom';

const zigbeeSignal: SimulatorResourceDef = {
  resourceId: '8.0.2007',
  name: 'Zigbee signal strength',
  description: 'Zigbee signal strength',
  enums: 'null',
  minValue: 0,
  maxValue: 255,
  unit: 1,
  access: 0,
  defaultValue: 'null',
};

const identify: SimulatorResourceDef = {
  resourceId: '8.0.2041',
  name: 'Identify the device',
  description: 'Identify the device (press its button): the gateway reports the connection is normal',
  enums: 'null',
  minValue: 'null',
  maxValue: 'null',
  unit: 0,
  access: 0,
  defaultValue: 'null',
  readable: false,
};

export const DEFAULT_RESOURCE_DEFS: Readonly<Record<string, readonly SimulatorResourceDef[]>> = {
  [SENSOR_MODEL]: [
    {
      resourceId: '0.1.85',
      name: 'Temperature',
      // Swapped with humidity's, as seen in real answers.
      description: 'Humidity. The unit is one in ten thousand.',
      enums: '',
      minValue: -4000,
      maxValue: 12500,
      unit: 3,
      access: 3,
      defaultValue: '',
    },
    {
      resourceId: '0.2.85',
      name: 'Humidity',
      description: 'Temperature. The unit is 0.01℃.',
      enums: '',
      minValue: 0,
      maxValue: 10000,
      unit: 2,
      access: 3,
      defaultValue: '',
    },
    {
      resourceId: '0.3.85',
      name: '气压',
      description: '气压，单位 Pa',
      enums: '',
      minValue: 30000,
      maxValue: 110000,
      unit: 3,
      access: 'null',
      defaultValue: '',
    },
    {
      resourceId: '8.0.2008',
      name: 'Device voltage',
      description: 'Battery voltage. The unit is mV.',
      enums: '',
      minValue: 0,
      maxValue: 3600,
      unit: 3,
      access: 7,
      defaultValue: '',
    },
    { ...zigbeeSignal, access: 7, enums: '', defaultValue: '' },
    identify,
  ],
  [SWITCH_MODEL]: [
    {
      resourceId: '4.1.85',
      name: 'Left switch',
      description: '0: off, 1: on',
      enums: '',
      minValue: 0,
      maxValue: 1,
      unit: 1,
      access: 2,
      defaultValue: '',
      writable: true,
    },
    {
      resourceId: '4.2.85',
      name: '右键开关',
      description: '0：关，1：开',
      enums: '',
      minValue: 0,
      maxValue: 1,
      unit: 1,
      access: 2,
      defaultValue: '',
      writable: true,
    },
    {
      resourceId: '4.1.1',
      name: 'Left button mode',
      description: '0: relay, 1: wireless',
      enums: '0,1',
      minValue: 'null',
      maxValue: 'null',
      unit: 1,
      access: 2,
      defaultValue: 'null',
      writable: true,
    },
    {
      resourceId: '14.17.85',
      name: 'Indicator mode',
      description: 'Indicator code, sent with a leading zero',
      enums: '00,01,02',
      minValue: 'null',
      maxValue: 'null',
      unit: 10,
      access: 2,
      defaultValue: '00',
      writable: true,
    },
    {
      resourceId: '13.7.85',
      name: 'Scene panel state',
      description: 'Hex state word',
      enums: '',
      minValue: 0,
      maxValue: 4294967295,
      unit: 3,
      access: 0,
      defaultValue: '',
    },
    zigbeeSignal,
  ],
  // The plug's answer leaves out 0.12.85 (power), which the device still reports: real answers do.
  [PLUG_MODEL]: [
    {
      resourceId: '4.1.85',
      name: 'Switch status',
      description: '0: off, 1: on',
      enums: '',
      minValue: 0,
      maxValue: 1,
      unit: 1,
      access: 2,
      defaultValue: '',
      writable: true,
    },
    {
      resourceId: '0.13.85',
      name: 'Energy',
      description: 'Consumed energy, Wh',
      enums: 'null',
      minValue: 0,
      maxValue: 2147483647,
      unit: 3,
      access: 0,
      defaultValue: 'null',
    },
    {
      resourceId: '8.0.2030',
      name: '断电记忆',
      description: '0：关闭断电记忆。1：打开断电记忆',
      enums: '',
      minValue: 0,
      maxValue: 1,
      unit: 6,
      access: 7,
      defaultValue: '',
      writable: true,
    },
  ],
  [CURTAIN_MODEL]: [
    {
      resourceId: '1.1.85',
      name: 'Curtain position',
      description: 'Opening, 0 (closed) to 100 (open), %',
      enums: '',
      minValue: 0,
      maxValue: 100,
      unit: 1,
      access: 2,
      defaultValue: '',
      writable: true,
    },
    {
      resourceId: '14.2.85',
      name: 'Motor control',
      description: '0: close, 1: open, 2: stop',
      enums: '0,1,2',
      minValue: 'null',
      maxValue: 'null',
      unit: 1,
      access: 1,
      defaultValue: 'null',
      writable: true,
      readable: false,
    },
    {
      resourceId: '14.3.85',
      name: 'Motor schedule',
      description: 'JSON list of schedule codes',
      enums: 'null',
      minValue: 'null',
      maxValue: 'null',
      unit: 10,
      access: 0,
      defaultValue: 'null',
    },
    {
      resourceId: '8.0.2001',
      name: 'Battery level',
      description: 'Battery level, %',
      enums: '',
      minValue: 0,
      maxValue: 100,
      unit: 1,
      access: 0,
      defaultValue: '',
    },
  ],
  [CUBE_MODEL]: [
    {
      resourceId: '13.1.85',
      name: 'Cube status',
      description: 'flip90，flip180，move，rotate，shake_air，tap_twice',
      enums: 'flip90,flip180,move,tap_twice,shake_air,swing,rotate,alert',
      minValue: 'null',
      maxValue: 'null',
      unit: 10,
      access: 0,
      defaultValue: 'null',
    },
    {
      resourceId: '0.21.85',
      name: 'Rotation angle',
      description: 'Angle of the last rotation',
      enums: 'null',
      minValue: -180,
      maxValue: 180,
      unit: 1,
      access: 0,
      defaultValue: 'null',
    },
    identify,
  ],
  [HUB_MODEL]: [
    {
      resourceId: '14.11.85',
      name: 'System volume',
      description: 'System volume. The value ranges from 0 to 100.',
      enums: '',
      minValue: 0,
      maxValue: 100,
      unit: 1,
      access: 2,
      defaultValue: '',
      writable: true,
    },
    {
      resourceId: '8.0.2022',
      name: 'Firmware version',
      description: 'Firmware version',
      enums: 'null',
      minValue: 'null',
      maxValue: 'null',
      unit: 10,
      access: 0,
      defaultValue: 'null',
    },
  ],
};

/** Fresh copies every time: a simulator mutates its devices' values. */
export function defaultDevices(homeId: string): SimulatorDevice[] {
  const child = (
    did: string,
    model: string,
    deviceName: string,
    positionId: string,
    values: Record<string, string>,
    extra: Partial<SimulatorDevice> = {},
  ): SimulatorDevice => ({
    did,
    parentDid: HUB_DID,
    positionId,
    model,
    modelType: 3,
    state: 1,
    deviceName,
    firmwareVersion: '0.0.0_0027',
    values,
    ...extra,
  });
  return [
    {
      did: HUB_DID,
      parentDid: '',
      positionId: homeId,
      model: HUB_MODEL,
      modelType: 1,
      state: 1,
      deviceName: 'Aqara网关 M2',
      firmwareVersion: '4.0.4_0012',
      values: { '14.11.85': '40', '8.0.2022': '4.0.4_0012' },
    },
    child(SENSOR_DID, SENSOR_MODEL, '阳台温湿度', LIVING_ROOM, {
      '0.1.85': '2607',
      '0.2.85': '5520',
      '0.3.85': '100830',
      '8.0.2008': '3005',
      '8.0.2007': '130',
    }),
    child(SWITCH_DID, SWITCH_MODEL, 'Wall switch', LIVING_ROOM, {
      '4.1.85': '0',
      '4.2.85': '1',
      '4.1.1': '0',
      '14.17.85': '01',
      '13.7.85': '0000000002000080',
      '8.0.2007': '-57',
    }),
    child(PLUG_DID, PLUG_MODEL, '电饭煲插座', BEDROOM, {
      '4.1.85': '1',
      '0.12.85': '118.5',
      '0.13.85': '5737',
      '8.0.2030': '1',
    }),
    child(CURTAIN_DID, CURTAIN_MODEL, 'Bedroom curtain', BEDROOM, {
      '1.1.85': '0',
      '14.3.85': '["00010000000000"]',
      '8.0.2001': '100',
    }),
    child(CUBE_DID, CUBE_MODEL, '魔方控制器', LIVING_ROOM, {
      '13.1.85': 'flip90',
      '0.21.85': '-45',
    }),
    // A virtual device has no firmware of its own: an empty version is what a client must cope with.
    child(TV_REMOTE_DID, TV_REMOTE_MODEL, 'Living room TV', LIVING_ROOM, {}, { firmwareVersion: '' }),
    child(AC_REMOTE_DID, AC_REMOTE_MODEL, '卧室空调', BEDROOM, {}, { firmwareVersion: '' }),
    child(
      OFFLINE_DID,
      SENSOR_MODEL,
      'Garage sensor',
      homeId,
      { '0.1.85': '1210', '0.2.85': '7010' },
      { state: 0 },
    ),
    {
      did: SILENT_HUB_DID,
      parentDid: '',
      positionId: homeId,
      model: HUB_MODEL,
      modelType: 1,
      state: 1,
      deviceName: 'Garage hub',
      firmwareVersion: '4.0.4_0012',
      gatewayTimeout: true,
      values: { '14.11.85': '10' },
    },
    child(
      SILENT_SWITCH_DID,
      SWITCH_MODEL,
      'Garage switch',
      homeId,
      { '4.1.85': '0', '4.2.85': '0' },
      { parentDid: SILENT_HUB_DID, gatewayTimeout: true },
    ),
  ];
}
