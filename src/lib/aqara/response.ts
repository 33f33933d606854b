/**
 * Reading Aqara's answer envelope `{code, requestId, message, msgDetails|messageDetail, result}`.
 * Kept apart from the HTTP client so the tolerance rules (which field names, which types) live in
 * one place and can change when Aqara's answers are seen to differ from the documentation.
 */
import { isRecord } from '../is-record';

/** The envelope fields as Aqara sent them, narrowed from unknown JSON. */
export interface AqaraEnvelope {
  code: number;
  requestId: string;
  message: string;
  detail?: string;
  result: unknown;
}

/**
 * Parses a response body. Returns undefined when the body is not an Aqara envelope at all
 * (not JSON, not an object, or no usable numeric `code`), so the caller can fall back to the
 * HTTP status to decide what went wrong.
 */
export function parseAqaraEnvelope(body: string): AqaraEnvelope | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isRecord(json)) return undefined;
  const code = readCode(json.code);
  if (code === undefined) return undefined;
  const envelope: AqaraEnvelope = {
    code,
    requestId: readText(json.requestId) ?? '',
    message: readText(json.message) ?? '',
    result: json.result,
  };
  // Aqara's documentation and its live answers disagree on this field's name; take either.
  const detail = readText(json.msgDetails) ?? readText(json.messageDetail);
  if (detail !== undefined && detail !== '') envelope.detail = detail;
  return envelope;
}

/** Codes are documented as numbers; a numeric string is accepted rather than reported as garbage. */
function readCode(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d{1,9}$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

/** Text fields may come as null, numbers or (for details) objects; anything else is rendered as JSON. */
function readText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}
