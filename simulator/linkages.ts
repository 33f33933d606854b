import {
  AC_REMOTE_DID,
  AC_REMOTE_MODEL,
  CUBE_DID,
  CUBE_MODEL,
  CURTAIN_DID,
  CURTAIN_MODEL,
  PLUG_DID,
  PLUG_MODEL,
  SENSOR_DID,
  SENSOR_MODEL,
  SWITCH_DID,
  SWITCH_MODEL,
  TV_REMOTE_DID,
  TV_REMOTE_MODEL,
} from './devices';

/**
 * The account's automations ("linkages" at Aqara). The listing's fields and their spelling
 * (`localizd`) are Aqara's; conditions and actions are plausible data of the simulator's own, shaped
 * like Aqara's trigger and action definitions, so that a detail answer has something to show.
 */

/** 0 runs in the cloud, 1 on the hub; 3 and 4 mean a move between the two is in progress. */
export type Localizd = 0 | 1 | 3 | 4;

export interface LinkageCondition {
  subjectId: string;
  model: string;
  triggerDefinitionId: string;
  params: { paramId: string; value: string }[];
}

export interface LinkageAction {
  subjectId: string;
  model: string;
  actionDefinitionId: string;
  params: { paramId: string; value: string }[];
  delayTime?: number;
}

export interface SimulatorLinkage {
  /** Shaped like Aqara's (`AL.` and 18 digits), distinct from every scene id. */
  linkageId: string;
  name: string;
  positionId: string;
  enable: 0 | 1;
  localizd: Localizd;
  /** 0: every condition must hold, 1: any one. */
  relation?: 0 | 1;
  conditions?: LinkageCondition[];
  actions?: LinkageAction[];
}

export const LINKAGE_MODEL = 'app.ifttt.v1';

const LIVING_ROOM = 'real2.living';
const BEDROOM = 'real2.bedroom';

const at = (homeId: string, time: string): LinkageCondition => ({
  subjectId: homeId,
  model: 'app.time.v1',
  triggerDefinitionId: 'TD.app.time.timer',
  params: [{ paramId: 'PD.time', value: time }],
});

const turn = (subjectId: string, model: string, resourceId: string, value: string): LinkageAction => ({
  subjectId,
  model,
  actionDefinitionId: `AD.${model}.${resourceId}`,
  params: [{ paramId: resourceId, value }],
});

/** Fresh copies every time: a simulator switches its linkages on and off. */
export function defaultLinkages(homeId: string): SimulatorLinkage[] {
  return [
    {
      linkageId: 'AL.200000000000000001',
      name: 'Night: lights off',
      positionId: homeId,
      enable: 1,
      localizd: 1,
      conditions: [at(homeId, '23:00')],
      actions: [turn(SWITCH_DID, SWITCH_MODEL, '4.1.85', '0'), turn(SWITCH_DID, SWITCH_MODEL, '4.2.85', '0')],
    },
    {
      linkageId: 'AL.200000000000000002',
      name: 'Away: rice cooker off',
      positionId: homeId,
      enable: 0,
      localizd: 0,
      conditions: [at(homeId, '08:30')],
      actions: [turn(PLUG_DID, PLUG_MODEL, '4.1.85', '0')],
    },
    {
      linkageId: 'AL.200000000000000003',
      name: 'TV bedtime warning',
      positionId: homeId,
      enable: 1,
      localizd: 0,
      conditions: [at(homeId, '21:30')],
      actions: [
        {
          subjectId: 'AL.100000000000000002',
          model: 'app.scene.v1',
          actionDefinitionId: 'AD.app.scene.run',
          params: [],
        },
      ],
    },
    {
      linkageId: 'AL.200000000000000004',
      name: '漏水报警',
      positionId: homeId,
      enable: 1,
      localizd: 3,
      conditions: [
        {
          subjectId: SENSOR_DID,
          model: SENSOR_MODEL,
          triggerDefinitionId: 'TD.lumi.weather.humidity_above',
          params: [{ paramId: '0.2.85', value: '9000' }],
        },
      ],
      actions: [turn(PLUG_DID, PLUG_MODEL, '4.1.85', '0')],
    },
    {
      linkageId: 'AL.200000000000000005',
      name: 'Cube flip: TV off',
      positionId: LIVING_ROOM,
      enable: 1,
      localizd: 0,
      conditions: [
        {
          subjectId: CUBE_DID,
          model: CUBE_MODEL,
          triggerDefinitionId: 'TD.lumi.remote.cagl02.flip90',
          params: [{ paramId: '13.1.85', value: 'flip90' }],
        },
      ],
      actions: [
        {
          subjectId: TV_REMOTE_DID,
          model: TV_REMOTE_MODEL,
          actionDefinitionId: 'AD.virtual.ir.click',
          params: [{ paramId: 'keyId', value: '1' }],
        },
      ],
    },
    {
      linkageId: 'AL.200000000000000006',
      name: 'Living room too humid',
      positionId: LIVING_ROOM,
      enable: 0,
      localizd: 1,
      relation: 1,
      conditions: [
        {
          subjectId: SENSOR_DID,
          model: SENSOR_MODEL,
          triggerDefinitionId: 'TD.lumi.weather.humidity_above',
          params: [{ paramId: '0.2.85', value: '7000' }],
        },
        at(homeId, '12:00'),
      ],
      actions: [turn(SWITCH_DID, SWITCH_MODEL, '4.2.85', '1')],
    },
    {
      linkageId: 'AL.200000000000000007',
      name: 'Morning curtains',
      positionId: BEDROOM,
      enable: 1,
      localizd: 4,
      conditions: [at(homeId, '07:00')],
      actions: [{ ...turn(CURTAIN_DID, CURTAIN_MODEL, '1.1.85', '100'), delayTime: 0 }],
    },
    {
      linkageId: 'AL.200000000000000008',
      name: 'Too warm: cool the bedroom',
      positionId: BEDROOM,
      enable: 0,
      localizd: 0,
      conditions: [
        {
          subjectId: SENSOR_DID,
          model: SENSOR_MODEL,
          triggerDefinitionId: 'TD.lumi.weather.temperature_above',
          params: [{ paramId: '0.1.85', value: '2800' }],
        },
      ],
      actions: [
        {
          subjectId: AC_REMOTE_DID,
          model: AC_REMOTE_MODEL,
          actionDefinitionId: 'AD.virtual.ir.ac',
          params: [{ paramId: 'acKey', value: 'P0_M0_T25' }],
        },
      ],
    },
  ];
}
