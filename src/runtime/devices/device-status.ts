import { isAqaraError } from '../../lib/aqara/errors';
import { DeviceInputError, type NodeText } from './device-input';
import { aqaraFailureKey, shortStatusText } from '../node-status';
import type { NodeStatus } from '../node-red-api';

/** A few words for a device node's red status; the full text goes to done(err). */
function failureKey(error: unknown): string {
  if (error instanceof DeviceInputError) return 'bad-input';
  if (!isAqaraError(error)) return 'failed';
  if (error.code === 602) return 'offline';
  if (error.code === 612) return 'gateway-silent';
  if (error.intent === 'query.device.info' && error.kind === 'caller') return 'unknown-device';
  return aqaraFailureKey(error, 'refused');
}

/** `ownKey`: the node's own word for this failure, when it has one. */
export function deviceFailureStatus(error: unknown, { type, t }: NodeText, ownKey?: string): NodeStatus {
  if (ownKey !== undefined)
    return { fill: 'red', shape: 'ring', text: shortStatusText(t(`${type}.status.${ownKey}`)) };
  return { fill: 'red', shape: 'ring', text: shortStatusText(t(`${type}.status.${failureKey(error)}`)) };
}

/** The last value read or written, short: one value as it is, several as the first and a count. */
export function valueStatus(values: readonly (string | number)[], { type, t }: NodeText): NodeStatus {
  if (values.length === 0) return { fill: 'yellow', shape: 'ring', text: t(`${type}.status.no-values`) };
  const first = String(values[0]);
  const text = values.length === 1 ? first : `${shortStatusText(first).slice(0, 14)} +${values.length - 1}`;
  return { fill: 'green', shape: 'dot', text: shortStatusText(text) };
}
