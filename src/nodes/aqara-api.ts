import type { AqaraResponse } from '../lib/aqara/client';
import { callAnyIntent, intentProblem } from '../lib/aqara/intents/any-intent';
import type { TokenManager } from '../lib/tokens/manager';
import { handleDeviceRequests } from '../runtime/devices/device-requests';
import { DeviceInputError, type NodeText } from '../runtime/devices/device-input';
import { API_EDITOR_SETTINGS } from '../runtime/editor-settings';
import { shortStatusText } from '../runtime/node-status';
import type { Node, NodeAPI, NodeDef, Translate } from '../runtime/node-red-api';
import { NodeTypes } from '.';

interface ApiDef extends NodeDef {
  config?: unknown;
  intent?: unknown;
}

interface ApiInput {
  intent: string;
  data: unknown;
}

export = function (RED: NodeAPI): void {
  const t: Translate = (key, substitutions) => RED._(key, substitutions);
  const text: NodeText = { type: NodeTypes.api, t };

  function readIntent(value: unknown): string {
    switch (intentProblem(value)) {
      case undefined:
        return (value as string).trim();
      case 'missing':
        throw new DeviceInputError(t('aqara-api.errors.no-intent'));
      case 'shape':
        throw new DeviceInputError(t('aqara-api.errors.bad-intent', { intent: JSON.stringify(value) }));
      case 'tokens':
        throw new DeviceInputError(t('aqara-api.errors.token-intent', { intent: String(value) }));
    }
  }

  function setUp(node: Node, def: ApiDef): void {
    const intentProperty = typeof def.intent === 'string' ? def.intent.trim() : '';

    handleDeviceRequests<ApiInput, AqaraResponse, TokenManager>(RED, node, def.config, text, {
      read: (msg) => {
        if (msg.intent !== undefined && typeof msg.intent !== 'string')
          throw new DeviceInputError(t('aqara-api.errors.msg-intent'));
        const intent = readIntent(msg.intent === undefined ? intentProperty : msg.intent.trim());
        // Aqara's `data` is an object or an array; no payload sends {}, as intents without data want.
        const payload = msg.payload;
        if (payload === undefined || payload === null) return { intent, data: {} };
        if (typeof payload !== 'object') throw new DeviceInputError(t('aqara-api.errors.bad-payload'));
        return { intent, data: payload };
      },
      // The config's token manager: its tokens, refreshes and quota guard, as every node's calls.
      service: (_runtime, manager) => manager,
      run: (manager, { intent, data }) => callAnyIntent(manager, intent, data),
      deliver: (msg, { result, requestId }, { intent }, show) => {
        msg.payload = result;
        msg.requestId = requestId;
        show({ fill: 'green', shape: 'dot', text: shortStatusText(intent) });
      },
    });
  }

  function AqaraApi(this: Node, def: ApiDef): void {
    RED.nodes.createNode(this, def);
    setUp(this, def);
  }

  RED.nodes.registerType(NodeTypes.api, AqaraApi, { settings: API_EDITOR_SETTINGS });
};
