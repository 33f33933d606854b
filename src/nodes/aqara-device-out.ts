import { handleDeviceRequests } from '../runtime/devices/device-requests';
import { type NodeText, pickDevice, valuesToWrite } from '../runtime/devices/device-input';
import { valueStatus } from '../runtime/devices/device-status';
import type { Node, NodeAPI, NodeDef, Translate } from '../runtime/node-red-api';
import { NodeTypes } from '.';

interface DeviceOutDef extends NodeDef {
  config?: unknown;
  device?: unknown;
  resource?: unknown;
  undocumentedAccess?: unknown;
}

export = function (RED: NodeAPI): void {
  const t: Translate = (key, substitutions) => RED._(key, substitutions);
  const text: NodeText = { type: NodeTypes.deviceOut, t };

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

  RED.nodes.registerType(NodeTypes.deviceOut, AqaraDeviceOut);
};
