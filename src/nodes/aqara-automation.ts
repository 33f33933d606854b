import { isAqaraError } from '../lib/aqara/errors';
import {
  type AutomationService,
  type AutomationSwitch,
  LINKAGE_DETAIL_INTENT,
} from '../lib/aqara/intents/automations';
import { handleDeviceRequests } from '../runtime/devices/device-requests';
import { DeviceInputError, type NodeText } from '../runtime/devices/device-input';
import type { Node, NodeAPI, NodeDef, Translate } from '../runtime/node-red-api';
import { NodeTypes } from '.';

interface AutomationDef extends NodeDef {
  config?: unknown;
  automation?: unknown;
}

interface SwitchInput {
  linkageId: string;
  enabled: boolean;
}

const ON_WORDS = new Set(['on', 'enable', 'enabled', 'true', '1']);
const OFF_WORDS = new Set(['off', 'disable', 'disabled', 'false', '0']);

/** true/"on"/"enable"/1 or false/"off"/"disable"/0 (words in any case); undefined for anything else. */
function readSwitch(payload: unknown): boolean | undefined {
  if (payload === true || payload === 1) return true;
  if (payload === false || payload === 0) return false;
  if (typeof payload !== 'string') return undefined;
  const word = payload.trim().toLowerCase();
  if (ON_WORDS.has(word)) return true;
  return OFF_WORDS.has(word) ? false : undefined;
}

/** The words of a refusal made before any switch: the automation does not exist. */
function automationFailureKey(error: unknown): string | undefined {
  if (isAqaraError(error) && error.kind === 'caller' && error.intent === LINKAGE_DETAIL_INTENT)
    return 'unknown-automation';
  return undefined;
}

export = function (RED: NodeAPI): void {
  const t: Translate = (key, substitutions) => RED._(key, substitutions);
  const text: NodeText = { type: NodeTypes.automation, t };

  function setUp(node: Node, def: AutomationDef): void {
    const automationProperty = typeof def.automation === 'string' ? def.automation.trim() : '';

    handleDeviceRequests<SwitchInput, AutomationSwitch, AutomationService>(RED, node, def.config, text, {
      read: (msg) => {
        let linkageId = automationProperty;
        if (msg.automation !== undefined) {
          if (typeof msg.automation !== 'string' || msg.automation.trim() === '')
            throw new DeviceInputError(t('aqara-automation.errors.msg-automation'));
          linkageId = msg.automation.trim();
        }
        if (linkageId === '') throw new DeviceInputError(t('aqara-automation.errors.no-automation'));
        const enabled = readSwitch(msg.payload);
        if (enabled === undefined) throw new DeviceInputError(t('aqara-automation.errors.bad-payload'));
        return { linkageId, enabled };
      },
      service: (runtime, manager) => runtime.automationService(manager),
      run: (automations, { linkageId, enabled }) => automations.setEnabled(linkageId, enabled),
      deliver: (msg, result, _input, show) => {
        msg.payload = result;
        show(
          result.enabled
            ? { fill: 'green', shape: 'dot', text: t('aqara-automation.status.enabled') }
            : { fill: 'grey', shape: 'ring', text: t('aqara-automation.status.disabled') },
        );
      },
      failureKey: automationFailureKey,
    });
  }

  function AqaraAutomation(this: Node, def: AutomationDef): void {
    RED.nodes.createNode(this, def);
    setUp(this, def);
  }

  RED.nodes.registerType(NodeTypes.automation, AqaraAutomation);
};
