/**
 * What a resource definition (`query.resource.info`) says about a value: how to type a string Aqara
 * sent, and whether a value may be written. Real definitions are rough (ranges and enums as the string
 * "null", `access` 3 or 7 nobody documented, comma-separated enums), so every rule here says what it
 * cannot know instead of guessing.
 */
import { isRecord } from '../../is-record';

export interface ResourceDefinition {
  resourceId: string;
  name: string;
  description: string;
  /** 0 read, 1 write, 2 read-write as documented; anything else (3, 7, "null") kept as sent. */
  access: number | string | null;
  /** Aqara's numeric unit code, as sent. */
  unit: number | string | null;
  minValue: number | null;
  maxValue: number | null;
  /** The allowed values, or null when the definition lists none. */
  enums: string[] | null;
  model: string;
}

/** A value given to a write: what the nodes accept in msg.payload. */
export type WriteValue = string | number | boolean;

/** Aqara's "nothing here": a missing field, null, "", or the string "null". */
function absent(value: unknown): boolean {
  return value === undefined || value === null || value === '' || value === 'null';
}

/** A plain decimal: no leading zero (a code like "01"), no hex, no exponent, no spaces. */
const PLAIN_DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;

function readNumber(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && PLAIN_DECIMAL.test(value)) return Number(value);
  return null;
}

function readText(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

/** One item of a `query.resource.info` answer, or undefined when it names no resource. */
export function parseDefinition(item: unknown, model: string): ResourceDefinition | undefined {
  if (!isRecord(item)) return undefined;
  const resourceId = readText(item.resourceId).trim();
  if (resourceId === '') return undefined;
  const access = typeof item.access === 'number' || typeof item.access === 'string' ? item.access : null;
  const unit = typeof item.unit === 'number' || typeof item.unit === 'string' ? item.unit : null;
  const enums = absent(item.enums)
    ? null
    : readText(item.enums)
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry !== '');
  return {
    resourceId,
    name: readText(item.name) || resourceId,
    description: readText(item.description),
    access,
    unit,
    minValue: absent(item.minValue) ? null : readNumber(item.minValue),
    maxValue: absent(item.maxValue) ? null : readNumber(item.maxValue),
    enums: enums && enums.length > 0 ? enums : null,
    model: readText(item.model) || model,
  };
}

/** Numeric when the definition has a numeric range and the string is a plain decimal; else as sent. */
export function typeValue(raw: string, definition: ResourceDefinition | undefined): number | string {
  if (!definition || definition.minValue === null || definition.maxValue === null) return raw;
  return PLAIN_DECIMAL.test(raw) ? Number(raw) : raw;
}

/** Documented write-only: the one case a read is skipped without asking Aqara. */
export function isWriteOnly(definition: ResourceDefinition): boolean {
  return definition.access === 1;
}

export type WriteCheck = { ok: true; value: string } | { ok: false; reason: string };

export interface WriteCheckOptions {
  /**
   * The user's own decision that access codes Aqara does not document (3, 7, "null") may be written:
   * some real switches carry 7 on resources that do take writes. Range and enums are still checked.
   */
  undocumentedAccess?: boolean;
}

/**
 * The string to send for a value, or why it may not be sent. `label` names the resource in the reason.
 * Only documented access codes 1 and 2 are writable: for 3, 7 or "null" nobody can say, so unless the
 * user opted in the write is refused with that reason rather than sent on a guess.
 */
export function checkWrite(
  value: unknown,
  definition: ResourceDefinition,
  label: string,
  options: WriteCheckOptions = {},
): WriteCheck {
  let text: string;
  if (typeof value === 'boolean') text = value ? '1' : '0';
  else if (typeof value === 'number') {
    if (!Number.isFinite(value))
      return { ok: false, reason: `${label}: ${value} is not a number Aqara can take` };
    text = String(value);
  } else if (typeof value === 'string') text = value;
  else {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    return { ok: false, reason: `${label}: the value must be a number, a string or a boolean, not ${kind}` };
  }
  const access = definition.access;
  if (access === 0) return { ok: false, reason: `${label} is read-only` };
  if (access !== 1 && access !== 2 && !options.undocumentedAccess) {
    return {
      ok: false,
      reason: `${label} cannot be checked: Aqara gives it access ${JSON.stringify(access)}, which is not documented as writable (the node's "undocumented access" option sends it anyway)`,
    };
  }
  if (definition.enums) {
    if (!definition.enums.includes(text))
      return {
        ok: false,
        reason: `${label}: ${JSON.stringify(text)} is not one of ${definition.enums.join(', ')}`,
      };
    return { ok: true, value: text };
  }
  const { minValue, maxValue } = definition;
  if (minValue !== null || maxValue !== null) {
    if (!PLAIN_DECIMAL.test(text))
      return { ok: false, reason: `${label}: ${JSON.stringify(text)} is not a number` };
    const number = Number(text);
    if ((minValue !== null && number < minValue) || (maxValue !== null && number > maxValue)) {
      return {
        ok: false,
        reason: `${label}: ${text} is out of range (${minValue ?? '…'} to ${maxValue ?? '…'})`,
      };
    }
  }
  return { ok: true, value: text };
}
