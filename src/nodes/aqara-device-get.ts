import { attachToConfig } from './config-node';
import { ConfigProblemError } from './config-spec';
import { type NodeText, pickDevice, pickResources } from './device-input';
import { deviceServiceFor } from './device-services';
import { deviceFailureStatus, valueStatus } from './device-status';
import type { Translate } from './status';
import type { Node, NodeAPI, NodeDef, NodeStatus } from './types';

interface DeviceGetDef extends NodeDef {
  config?: unknown;
  device?: unknown;
  resources?: unknown;
}

const TYPE = 'aqara-device-get' as const;

export = function (RED: NodeAPI): void {
  const t: Translate = (key, substitutions) => RED._(key, substitutions);
  const text: NodeText = { type: TYPE, t };

  function setUp(node: Node, def: DeviceGetDef): void {
    const deviceProperty = typeof def.device === 'string' ? def.device : '';
    const config = attachToConfig(RED, node, def.config, t('aqara-device-get.status.no-config'));
    let closed = false;
    const show = (status: NodeStatus): void => {
      if (!closed) node.status(status);
    };
    /** Each set of unreadable resources is said once, not on every message of a timer. */
    const warned = new Set<string>();

    node.on('input', (msg, send, done) => {
      if (!config) return done(new Error(t('aqara-device-get.errors.no-config')));
      let did: string;
      let resources: string[];
      try {
        did = pickDevice(msg.device, deviceProperty, text);
        resources = pickResources(msg.resources, def.resources, text);
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
      service.read(did, resources).then(
        ({ device, readings, unreadable }) => {
          if (unreadable.length > 0) {
            const key = `${did}:${unreadable.join(',')}`;
            if (!warned.has(key)) {
              warned.add(key);
              node.warn(
                t('aqara-device-get.errors.unreadable', {
                  device: device.name,
                  resources: unreadable.join(', '),
                }),
              );
            }
            if (readings.length === 0) {
              const error = new Error(
                t('aqara-device-get.errors.nothing-readable', {
                  device: device.name,
                  resources: unreadable.join(', '),
                }),
              );
              show(deviceFailureStatus(error, text));
              return done(error);
            }
          }
          msg.topic = did;
          msg.payload = Object.fromEntries(readings.map((reading) => [reading.resourceId, reading.value]));
          msg.data = {
            did,
            deviceName: device.name,
            model: device.model,
            resources: readings,
            ...(unreadable.length > 0 ? { unreadable } : {}),
          };
          show(
            valueStatus(
              readings.map((reading) => reading.value),
              text,
            ),
          );
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

  function AqaraDeviceGet(this: Node, def: DeviceGetDef): void {
    RED.nodes.createNode(this, def);
    setUp(this, def);
  }

  RED.nodes.registerType(TYPE, AqaraDeviceGet);
};
