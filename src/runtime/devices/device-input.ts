/**
 * Reading what a message asks of a device node. Every bad shape is a DeviceInputError with a text
 * that names the property and what was wrong, and the node sends nothing to Aqara.
 */
import type { NodeType } from '../../nodes';
import type { Translate } from '../node-red-api';

/** RED._ of a device node module, and the node type its catalog keys start with. */
export interface NodeText {
  type: NodeType;
  t: Translate;
}

export class DeviceInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeviceInputError';
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/** msg.device when set (a non-empty string), else the node's property. */
export function pickDevice(msgDevice: unknown, property: string, { type, t }: NodeText): string {
  if (msgDevice !== undefined) {
    if (typeof msgDevice !== 'string')
      throw new DeviceInputError(t(`${type}.errors.msg-device-type`, { type: typeName(msgDevice) }));
    const did = msgDevice.trim();
    if (did === '') throw new DeviceInputError(t(`${type}.errors.msg-device-empty`));
    return did;
  }
  const did = property.trim();
  if (did === '') throw new DeviceInputError(t(`${type}.errors.no-device`));
  return did;
}

/** A list of resource ids from an array of strings or a comma-separated string. */
export function readResourceList(value: unknown): string[] | undefined {
  if (typeof value === 'string') {
    return value
      .split(',')
      .map((id) => id.trim())
      .filter((id) => id !== '');
  }
  if (Array.isArray(value) && value.every((id) => typeof id === 'string')) {
    return value.map((id) => id.trim()).filter((id) => id !== '');
  }
  return undefined;
}

/** msg.resources when set, else the node's property; an empty list means every readable resource. */
export function pickResources(msgResources: unknown, property: unknown, { type, t }: NodeText): string[] {
  if (msgResources !== undefined) {
    const list = readResourceList(msgResources);
    if (!list)
      throw new DeviceInputError(t(`${type}.errors.msg-resources-type`, { type: typeName(msgResources) }));
    return list;
  }
  return readResourceList(property) ?? [];
}

/** msg.payload as resource id -> value: an object as it is, anything else for the node's resource. */
export function valuesToWrite(
  payload: unknown,
  resource: string,
  { type, t }: NodeText,
): Record<string, unknown> {
  if (typeof payload === 'object' && payload !== null && !Array.isArray(payload)) {
    const entries = Object.entries(payload as Record<string, unknown>);
    if (entries.length === 0) throw new DeviceInputError(t(`${type}.errors.empty-payload`));
    return Object.fromEntries(entries);
  }
  if (payload === undefined || payload === null) throw new DeviceInputError(t(`${type}.errors.no-payload`));
  if (resource.trim() === '') throw new DeviceInputError(t(`${type}.errors.no-resource`));
  return { [resource.trim()]: payload };
}
