import { ChangeTracker, type ValueSource } from '../lib/push/change-tracker';
import { attachToConfig } from '../runtime/config/config-node';
import { deviceFailureStatus } from '../runtime/devices/device-status';
import { configRuntime } from '../runtime/config/config-registry';
import type { DeviceEvent, WatchedValue } from '../runtime/push/device-watch';
import { shortStatusText } from '../runtime/node-status';
import type { Translate } from '../runtime/node-red-api';
import type { Node, NodeAPI, NodeDef, NodeStatus } from '../runtime/node-red-api';
import { NodeTypes } from '.';

interface DeviceInDef extends NodeDef {
  config?: unknown;
  device?: unknown;
  resources?: unknown;
  onlyChanges?: unknown;
  outputOnStart?: unknown;
}

/** The editor saves an array; a hand-written flow may hold a comma-separated string. */
function readResources(raw: unknown): string[] {
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [];
  return [
    ...new Set(list.filter((id): id is string => typeof id === 'string').map((id) => id.trim())),
  ].filter((id) => id !== '');
}

function readFlag(raw: unknown, fallback: boolean): boolean {
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  return fallback;
}

export = function (RED: NodeAPI): void {
  const t: Translate = (key, substitutions) => RED._(key, substitutions);

  // Translated once, at the first message (the catalog is loaded by then), not for every push of a burst.
  let sourceLabels: Record<ValueSource, string> | undefined;
  const sourceLabel = (source: ValueSource): string => {
    sourceLabels ??= {
      push: t('aqara-device-in.source.push'),
      poll: t('aqara-device-in.source.poll'),
      start: t('aqara-device-in.source.start'),
    };
    return sourceLabels[source];
  };

  function setUp(node: Node, def: DeviceInDef): void {
    const config = attachToConfig(RED, node, def.config, t('aqara-device-in.status.no-config'));
    if (!config) return;
    const onlyChanges = readFlag(def.onlyChanges, true);
    const outputOnStart = readFlag(def.outputOnStart, false);
    const tracker = new ChangeTracker(onlyChanges);
    let closed = false;
    const show = (status: NodeStatus): void => {
      if (!closed) node.status(status);
    };

    let manager;
    try {
      manager = config.tokenManager();
    } catch {
      // The config says why in its own status, which it already shows on this node.
      return;
    }
    show({ fill: 'grey', shape: 'ring', text: t('aqara-device-in.status.starting') });

    const onValue = (value: WatchedValue): void => {
      const change = tracker.observe(value);
      if (!change || (change.source === 'start' && !outputOnStart)) return;
      const typed = value.type(change.raw);
      node.send({
        topic: `${value.did}/${value.resourceId}`,
        payload: typed,
        data: {
          did: value.did,
          deviceName: value.deviceName,
          model: value.model,
          resourceId: value.resourceId,
          resourceName: value.resourceName,
          value: typed,
          raw: change.raw,
          previous: change.previous === undefined ? null : value.type(change.previous),
          time: change.time,
          source: change.source,
        },
      });
      show({
        fill: 'green',
        shape: 'dot',
        text: shortStatusText(`${String(typed)} (${sourceLabel(change.source)})`),
      });
    };

    const onEvent = (event: DeviceEvent): void => {
      node.send({
        topic: event.eventType,
        payload: event.data,
        data: { did: event.did ?? null, time: event.time },
      });
      if (event.eventType === 'subdevice_offline')
        show({ fill: 'red', shape: 'ring', text: t('aqara-device-in.status.offline') });
      else if (event.eventType === 'subdevice_online')
        show({ fill: 'green', shape: 'dot', text: t('aqara-device-in.status.online') });
      else show({ fill: 'blue', shape: 'dot', text: shortStatusText(event.eventType) });
    };

    const resources = readResources(def.resources);
    /** Resources left out of "every readable resource" because Aqara never lets this app read them. */
    let skipped = 0;
    const leave = configRuntime(config.id)
      .deviceWatch()
      .add(
        {
          spec: {
            device: typeof def.device === 'string' ? def.device.trim() : '',
            resources,
          },
          onValue,
          onEvent,
          onError: (error) => show(deviceFailureStatus(error, { type: NodeTypes.deviceIn, t })),
          onReady: () =>
            show({
              fill: 'green',
              shape: 'ring',
              text:
                skipped > 0
                  ? t('aqara-device-in.status.watching-skipped', { count: skipped })
                  : t('aqara-device-in.status.watching'),
            }),
          onUnreadable: (_did, deviceName, resourceIds) => {
            const words = { device: deviceName, resources: resourceIds.join(', ') };
            // Resources the user listed: their list asks for something Aqara refuses, worth a warning.
            if (resources.length > 0) return node.warn(t('aqara-device-in.errors.unreadable', words));
            // "Every readable resource": what Aqara refuses is the account's fact, not the user's error,
            // so it is said once in the log (and counted in the status), not in the Debug sidebar.
            skipped += resourceIds.length;
            node.log(t('aqara-device-in.log.unreadable', words));
          },
        },
        manager,
      );

    node.on('close', (_removed, done) => {
      closed = true;
      leave();
      done();
    });
  }

  function AqaraDeviceIn(this: Node, def: DeviceInDef): void {
    RED.nodes.createNode(this, def);
    setUp(this, def);
  }

  RED.nodes.registerType(NodeTypes.deviceIn, AqaraDeviceIn);
};
