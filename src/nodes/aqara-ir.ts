import { isAqaraError } from '../lib/aqara/errors';
import { type AcSettings, type AcState, readAcSettings } from '../lib/aqara/intents/ac-state';
import {
  IR_CLICK_INTENT,
  IR_INFO_INTENT,
  type IrAcChange,
  type IrKeyPress,
  type IrService,
} from '../lib/aqara/intents/ir-service';
import { handleDeviceRequests } from '../runtime/devices/device-requests';
import { DeviceInputError, type NodeText, pickDevice } from '../runtime/devices/device-input';
import { shortStatusText } from '../runtime/node-status';
import type { Node, NodeAPI, NodeDef, NodeStatus, Translate } from '../runtime/node-red-api';
import { NodeTypes } from '.';

interface IrDef extends NodeDef {
  config?: unknown;
  device?: unknown;
  key?: unknown;
}

type IrInput = { did: string; key: string } | { did: string; settings: AcSettings };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The words a refusal of the IR service (checked before any click) shows under the node. */
function irFailureKey(error: unknown): string | undefined {
  if (!isAqaraError(error) || error.kind !== 'caller' || error.code !== undefined) return undefined;
  if (error.intent === IR_INFO_INTENT) return 'not-a-remote';
  if (error.intent === IR_CLICK_INTENT) return 'refused-input';
  return undefined;
}

export = function (RED: NodeAPI): void {
  const t: Translate = (key, substitutions) => RED._(key, substitutions);
  const text: NodeText = { type: NodeTypes.ir, t };

  /** "on, cool, 24 °C" or "off": the state after a change, short. */
  function acStatus(ac: AcState): NodeStatus {
    if (ac.power === 'off') return { fill: 'grey', shape: 'ring', text: t('aqara-ir.status.ac-off') };
    const mode = ac.mode === null ? '?' : t(`aqara-ir.mode.${ac.mode}`);
    const temperature = ac.temperature === null ? '?' : String(ac.temperature);
    const words =
      ac.power === 'on'
        ? t('aqara-ir.status.ac-on', { mode, temperature })
        : t('aqara-ir.status.ac-unknown', { mode, temperature });
    return { fill: 'green', shape: 'dot', text: shortStatusText(words) };
  }

  function setUp(node: Node, def: IrDef): void {
    const deviceProperty = typeof def.device === 'string' ? def.device : '';
    const keyProperty = typeof def.key === 'string' ? def.key.trim() : '';

    handleDeviceRequests<IrInput, IrKeyPress | IrAcChange, IrService>(RED, node, def.config, text, {
      read: (msg) => {
        const did = pickDevice(msg.device, deviceProperty, text);
        const payload = msg.payload;
        // An object is an air conditioner's settings; a string a key name; anything else (an inject's
        // timestamp) presses the node's key.
        if (isPlainObject(payload)) {
          const read = readAcSettings(payload);
          if (!read.ok)
            throw new DeviceInputError(t('aqara-ir.errors.bad-settings', { reason: read.reason }));
          return { did, settings: read.settings };
        }
        if (Array.isArray(payload)) throw new DeviceInputError(t('aqara-ir.errors.payload-array'));
        const key = typeof payload === 'string' && payload.trim() !== '' ? payload.trim() : keyProperty;
        if (key === '') throw new DeviceInputError(t('aqara-ir.errors.no-key'));
        return { did, key };
      },
      service: (runtime, manager) => runtime.irService(manager),
      run: (ir, input) =>
        'key' in input ? ir.press(input.did, input.key) : ir.setAc(input.did, input.settings),
      deliver: (msg, result, _input, show) => {
        msg.payload = result;
        if ('key' in result) {
          show(
            result.ac
              ? acStatus(result.ac)
              : { fill: 'green', shape: 'dot', text: shortStatusText(result.key) },
          );
        } else {
          show(acStatus(result.ac));
        }
      },
      failureKey: irFailureKey,
    });
  }

  function AqaraIr(this: Node, def: IrDef): void {
    RED.nodes.createNode(this, def);
    setUp(this, def);
  }

  RED.nodes.registerType(NodeTypes.ir, AqaraIr);
};
