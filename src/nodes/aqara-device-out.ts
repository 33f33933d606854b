import { handleDeviceRequests } from './device-node';
import { type NodeText, pickDevice, valuesToWrite } from './device-input';
import { valueStatus } from './device-status';
import type { Node, NodeAPI, NodeDef, Translate } from './types';

interface DeviceOutDef extends NodeDef {
  config?: unknown;
  device?: unknown;
  resource?: unknown;
  undocumentedAccess?: unknown;
}

const TYPE = 'aqara-device-out' as const;

export = function (RED: NodeAPI): void {
  const t: Translate = (key, substitutions) => RED._(key, substitutions);
  const text: NodeText = { type: TYPE, t };

  function setUp(node: Node, def: DeviceOutDef): void {
    const deviceProperty = typeof def.device === 'string' ? def.device : '';
    const resourceProperty = typeof def.resource === 'string' ? def.resource : '';
    const writeOptions = { undocumentedAccess: def.undocumentedAccess === true };

    handleDeviceRequests(RED, node, def.config, text, {
      read: (msg) => ({
        did: pickDevice(msg.device, deviceProperty, text),
        values: valuesToWrite(msg.payload, resourceProperty, text),
      }),
      // Writes are checked against the model's definitions before anything is sent; a lost answer
      // is reported as "may have been applied" and never sent again.
      run: (service, { did, values }) => service.write(did, values, writeOptions),
      deliver: (msg, result, _input, show) => {
        msg.payload = result;
        show(valueStatus(Object.values(result.written), text));
      },
    });
  }

  function AqaraDeviceOut(this: Node, def: DeviceOutDef): void {
    RED.nodes.createNode(this, def);
    setUp(this, def);
  }

  RED.nodes.registerType(TYPE, AqaraDeviceOut);
};
