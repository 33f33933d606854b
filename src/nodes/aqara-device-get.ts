import type { DeviceReading } from '../lib/aqara/intents/device-service';
import { handleDeviceRequests } from '../runtime/devices/device-requests';
import { type NodeText, pickDevice, pickResources } from '../runtime/devices/device-input';
import { valueStatus } from '../runtime/devices/device-status';
import type { Node, NodeAPI, NodeDef, Translate } from '../runtime/node-red-api';
import { NodeTypes } from '.';

interface DeviceGetDef extends NodeDef {
  config?: unknown;
  device?: unknown;
  resources?: unknown;
}

export = function (RED: NodeAPI): void {
  const t: Translate = (key, substitutions) => RED._(key, substitutions);
  const text: NodeText = { type: NodeTypes.deviceGet, t };

  function setUp(node: Node, def: DeviceGetDef): void {
    const deviceProperty = typeof def.device === 'string' ? def.device : '';
    /** Each set of unreadable resources is said once, not on every message of a timer. */
    const warned = new Set<string>();

    handleDeviceRequests(RED, node, def.config, text, {
      read: (msg) => ({
        did: pickDevice(msg.device, deviceProperty, text),
        resources: pickResources(msg.resources, def.resources, text),
      }),
      run: (service, { did, resources }) => service.read(did, resources),
      deliver: (msg, { device, readings, unreadable }: DeviceReading, { did }, show) => {
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
            return new Error(
              t('aqara-device-get.errors.nothing-readable', {
                device: device.name,
                resources: unreadable.join(', '),
              }),
            );
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
      },
    });
  }

  function AqaraDeviceGet(this: Node, def: DeviceGetDef): void {
    RED.nodes.createNode(this, def);
    setUp(this, def);
  }

  RED.nodes.registerType(NodeTypes.deviceGet, AqaraDeviceGet);
};
