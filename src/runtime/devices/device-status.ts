import { isAqaraError } from '../../lib/aqara/errors';
import { DeviceInputError, type NodeText } from './device-input';
import { aqaraFailureKey, MAX_STATUS_LENGTH, shortStatusText } from '../node-status';
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

/**
 * The last value read or written, short: one value as it is, several as the first and how many more
 * ("2520 and 1 more", not a bare "+1").
 */
export function valueStatus(values: readonly (string | number)[], { type, t }: NodeText): NodeStatus {
  if (values.length === 0) return { fill: 'yellow', shape: 'ring', text: t(`${type}.status.no-values`) };
  const first = String(values[0]);
  if (values.length === 1) return { fill: 'green', shape: 'dot', text: shortStatusText(first) };
  const more = t(`${type}.status.more`, { first: '', count: values.length - 1 });
  // The value gives way to the words when both do not fit.
  const room = Math.max(4, MAX_STATUS_LENGTH - more.length);
  const shown = first.length <= room ? first : `${first.slice(0, room - 1)}\u2026`;
  return {
    fill: 'green',
    shape: 'dot',
    text: t(`${type}.status.more`, { first: shown, count: values.length - 1 }),
  };
}
