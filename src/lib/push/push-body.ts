import { isRecord } from '../is-record';

/**
 * Aqara's HTTP push body, read strictly: it comes from the internet. The reason in a refusal names
 * the field, never its content, so it is safe to log.
 */

export interface ResourceReport {
  subjectId: string;
  resourceId: string;
  value: string;
  /** Milliseconds since the epoch; Aqara sends it as a string. */
  time: number;
  statusCode?: number;
  triggerSource?: unknown;
  attach?: string;
}

export type PushMessage =
  | { kind: 'report'; msgId: string; openId: string; reports: ResourceReport[] }
  | { kind: 'event'; msgId: string; openId: string; time: number; eventType: string; data: unknown };

export type PushParse = { ok: true; message: PushMessage } | { ok: false; reason: string };

/** Bounds that no genuine push comes near; each keeps one hostile push cheap to refuse. */
export const PUSH_LIMITS = Object.freeze({
  idLength: 128,
  valueLength: 64 * 1024,
  reports: 1000,
  depth: 8,
  keys: 200,
});

/**
 * Reads Aqara's JSON push text. The reason in a refusal names the field, never its content, so
 * it is safe to log. Every string that can reach a flow has its control characters removed.
 */
export function parsePushBody(text: string): PushParse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (!isRecord(parsed)) return { ok: false, reason: 'not a JSON object' };
  const msgId = idField(parsed.msgId);
  if (msgId === undefined) return { ok: false, reason: 'msgId missing or invalid' };
  const openId = idField(parsed.openId);
  if (openId === undefined) return { ok: false, reason: 'openId missing or invalid' };

  if (
    parsed.msgType === 'resource_report' ||
    (parsed.msgType === undefined && Array.isArray(parsed.data) && parsed.eventType === undefined)
  ) {
    const reports = readReports(parsed.data);
    if (typeof reports === 'string') return { ok: false, reason: reports };
    return { ok: true, message: { kind: 'report', msgId, openId, reports } };
  }
  const eventType = idField(parsed.eventType);
  if (eventType === undefined) return { ok: false, reason: 'neither a resource_report nor an event' };
  const time = timeField(parsed.time);
  const data = cleanJson(parsed.data, 0);
  if (data === INVALID) return { ok: false, reason: 'event data too deep or too large' };
  return { ok: true, message: { kind: 'event', msgId, openId, time: time ?? Date.now(), eventType, data } };
}

function readReports(data: unknown): ResourceReport[] | string {
  if (!Array.isArray(data) || data.length === 0) return 'data must be a non-empty array';
  if (data.length > PUSH_LIMITS.reports) return 'too many reports';
  const reports: ResourceReport[] = [];
  for (const item of data as unknown[]) {
    if (!isRecord(item)) return 'each report must be an object';
    const subjectId = idField(item.subjectId);
    const resourceId = idField(item.resourceId);
    if (subjectId === undefined || resourceId === undefined)
      return 'subjectId or resourceId missing or invalid';
    const raw = item.value;
    const value =
      typeof raw === 'string'
        ? raw
        : typeof raw === 'number' && Number.isFinite(raw)
          ? String(raw)
          : undefined;
    if (value === undefined || value.length > PUSH_LIMITS.valueLength) return 'value missing or invalid';
    const time = timeField(item.time);
    if (time === undefined) return 'time missing or invalid';
    const report: ResourceReport = { subjectId, resourceId, value: stripControl(value), time };
    if (typeof item.statusCode === 'number' && Number.isInteger(item.statusCode))
      report.statusCode = item.statusCode;
    const trigger = cleanJson(item.triggerSource, 0);
    if (trigger !== INVALID && trigger !== undefined) report.triggerSource = trigger;
    if (typeof item.attach === 'string' && item.attach.length <= PUSH_LIMITS.idLength)
      report.attach = stripControl(item.attach);
    reports.push(report);
  }
  return reports;
}

/** Ids are short printable strings; anything else is refused rather than cleaned. */
function idField(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '' || value.length > PUSH_LIMITS.idLength) return undefined;
  return CONTROL.test(value) ? undefined : value;
}

function timeField(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) && number >= 0 ? number : undefined;
}

const INVALID = Symbol('invalid');

function cleanJson(value: unknown, depth: number): unknown {
  if (depth > PUSH_LIMITS.depth) return INVALID;
  if (typeof value === 'string')
    return value.length > PUSH_LIMITS.valueLength ? INVALID : stripControl(value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean' || value === undefined)
    return value;
  if (Array.isArray(value)) {
    if (value.length > PUSH_LIMITS.keys) return INVALID;
    const out: unknown[] = [];
    for (const item of value) {
      const cleaned = cleanJson(item, depth + 1);
      if (cleaned === INVALID) return INVALID;
      out.push(cleaned);
    }
    return out;
  }
  if (isRecord(value)) {
    const keys = Object.keys(value);
    if (keys.length > PUSH_LIMITS.keys) return INVALID;
    const out: Record<string, unknown> = {};
    for (const keyName of keys) {
      // Assigning it would set the object's prototype: hostile JSON must not reach a flow that way.
      if (keyName === '__proto__') continue;
      const cleaned = cleanJson(value[keyName], depth + 1);
      if (cleaned === INVALID) return INVALID;
      out[stripControl(keyName)] = cleaned;
    }
    return out;
  }
  return INVALID;
}

// C0, DEL, C1, line/paragraph separators and bidirectional overrides: each can forge or hide log lines.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex
const CONTROL_ALL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function stripControl(text: string): string {
  return text.replace(CONTROL_ALL, '');
}
