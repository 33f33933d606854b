import { answer } from './codes';
import { CUBE_MODEL, CURTAIN_MODEL, HUB_MODEL, PLUG_MODEL, SENSOR_MODEL, SWITCH_MODEL } from './devices';
import type { Handler } from './intents';

/**
 * `query.ota.firmware` {model}: the firmware versions Aqara publishes for a model, in the shape of
 * Aqara's documented answer (`releaseTime` a string of ms, `necessary` 0/1, `state` 2 = released).
 * Versions and logs are the simulator's own.
 */
export interface SimulatorFirmware {
  firmwareVersion: string;
  releaseTime: string;
  necessary: 0 | 1;
  fileSize: number;
  updateLog: string;
  state: number;
}

export const DEFAULT_FIRMWARE: Readonly<Record<string, readonly SimulatorFirmware[]>> = {
  [HUB_MODEL]: [
    {
      releaseTime: '1672531200000',
      necessary: 0,
      fileSize: 12636264,
      updateLog: '1. Optimize system stability;',
      state: 2,
      firmwareVersion: '4.0.4_0012',
    },
    {
      releaseTime: '1688169600000',
      necessary: 1,
      fileSize: 12902144,
      updateLog: '1. 修复红外遥控偶发失效的问题；2. 提升系统稳定性',
      state: 2,
      firmwareVersion: '4.0.6_0008',
    },
  ],
  [SENSOR_MODEL]: [
    {
      releaseTime: '1601266277000',
      necessary: 0,
      fileSize: 160352,
      updateLog: 'Device stability was increased.',
      state: 2,
      firmwareVersion: '0.0.0_0027',
    },
  ],
  [SWITCH_MODEL]: [
    {
      releaseTime: '1617235200000',
      necessary: 0,
      fileSize: 233472,
      updateLog: '',
      state: 2,
      firmwareVersion: '0.0.0_0027',
    },
  ],
  [PLUG_MODEL]: [
    {
      releaseTime: '1625097600000',
      necessary: 0,
      fileSize: 245760,
      updateLog: 'Power reporting accuracy improved.',
      state: 2,
      firmwareVersion: '0.0.0_0027',
    },
  ],
  [CURTAIN_MODEL]: [
    {
      releaseTime: '1633046400000',
      necessary: 0,
      fileSize: 198656,
      updateLog: '优化电机行程校准',
      state: 2,
      firmwareVersion: '0.0.0_0027',
    },
  ],
  [CUBE_MODEL]: [],
};

export function firmwareHandlers(
  table: Readonly<Record<string, readonly SimulatorFirmware[]>>,
): ReadonlyMap<string, Handler> {
  return new Map<string, Handler>([
    [
      'query.ota.firmware',
      (_request, data) => {
        if (typeof data.model !== 'string' || data.model === '')
          return answer(302, 'params error: model is required');
        // A model Aqara has published nothing for (virtual remotes among them) has an empty list.
        return answer(
          0,
          undefined,
          (table[data.model] ?? []).map((firmware) => ({ ...firmware })),
        );
      },
    ],
  ]);
}
