import { attachToConfig } from './config-node';
import { ConfigProblemError } from './config-spec';
import { type NodeText, pickDevice, valuesToWrite } from './device-input';
import { deviceServiceFor } from './device-services';
import { deviceFailureStatus, valueStatus } from './device-status';
import type { Translate } from './types';
import type { Node, NodeAPI, NodeDef, NodeStatus } from './types';

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
    const config = attachToConfig(RED, node, def.config, t('aqara-device-out.status.no-config'));
    let closed = false;
    const show = (status: NodeStatus): void => {
      if (!closed) node.status(status);
    };

    node.on('input', (msg, send, done) => {
      if (!config) return done(new Error(t('aqara-device-out.errors.no-config')));
      let did: string;
      let values: Record<string, unknown>;
      try {
        did = pickDevice(msg.device, deviceProperty, text);
        values = valuesToWrite(msg.payload, resourceProperty, text);
      } catch (error) {
        show(deviceFailureStatus(error, text));
        return done(error as Error);
      }
      let service;
      try {
        service = deviceServiceFor(config.tokenManager());
      } catch (error) {
        if (error instanceof ConfigProblemError) show(config.currentStatus());
        return done(error as Error);
      }
      // Writes are checked against the model's definitions before anything is sent; a lost answer
      // is reported as "may have been applied" and never sent again.
      service.write(did, values, writeOptions).then(
        (result) => {
          msg.payload = result;
          show(valueStatus(Object.values(result.written), text));
          send(msg);
          done();
        },
        (error: unknown) => {
          show(deviceFailureStatus(error, text));
          done(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });

    node.on('close', (_removed, done) => {
      closed = true;
      done();
    });
  }

  function AqaraDeviceOut(this: Node, def: DeviceOutDef): void {
    RED.nodes.createNode(this, def);
    setUp(this, def);
  }

  RED.nodes.registerType(TYPE, AqaraDeviceOut);
};
