/**
 * Reading Aqara's answer envelope `{code, requestId, message, msgDetails|messageDetail, result}`.
 * Kept apart from the HTTP client so the tolerance rules (which field names, which types) and the
 * cleaning of Aqara's text live in one place and can change when Aqara's answers are seen to differ
 * from the documentation.
 */
import { isRecord } from '../is-record';

/** The envelope fields as Aqara sent them, narrowed from unknown JSON; text fields already cleaned. */
export interface AqaraEnvelope {
  code: number;
  requestId: string;
  message: string;
  detail?: string;
  result: unknown;
}

/** Aqara's own text is shown to users; keep it readable and bounded. */
export const MAX_AQARA_TEXT = 300;
/** Real request ids are about 30 characters ("2960.1209.16505260858914145"). */
export const MAX_AQARA_ID = 100;

/**
 * What Aqara puts in the detail field when there is no detail: JSON null, or the text of a null
 * from whichever language rendered it.
 */
const NO_DETAIL = new Set(['', 'null', 'none', 'undefined', 'nil']);

/**
 * Real 108 answers echo the token they refused ("Parameter AccessToken illegal,
 * accessToken:<token>"). The token we sent is masked as a secret; this catches any other token
 * named that way (another process's, or one Aqara changed in the echo).
 */
const NAMED_TOKEN = /\b((?:access|refresh)_?token)(\s*[:=]\s*)[^\s,;"'}\]]+/gi;

/** C0, DEL, C1 and the Unicode line and paragraph separators some log viewers break lines on. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * Parses a response body. Returns undefined when the body is not an Aqara envelope at all
 * (not JSON, not an object, or no usable numeric `code`), so the caller can fall back to the
 * HTTP status to decide what went wrong. Every text taken from it is passed through
 * cleanAqaraText with this request's secrets: this is the one door Aqara's text comes in by.
 */
export function parseAqaraEnvelope(body: string, secrets: readonly string[] = []): AqaraEnvelope | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isRecord(json)) return undefined;
  const code = readCode(json.code);
  if (code === undefined) return undefined;
  const text = (value: unknown, max: number): string => cleanAqaraText(readText(value) ?? '', secrets, max);
  const envelope: AqaraEnvelope = {
    code,
    requestId: text(json.requestId, MAX_AQARA_ID),
    message: text(json.message, MAX_AQARA_TEXT),
    result: json.result,
  };
  // Aqara's documentation and its live answers disagree on this field's name; take either, and
  // take the other when one holds only a rendered null.
  const detail = [json.msgDetails, json.messageDetail]
    .map((value) => text(value, MAX_AQARA_TEXT))
    .find((value) => !NO_DETAIL.has(value.toLowerCase()));
  if (detail !== undefined) envelope.detail = detail;
  return envelope;
}

/**
 * Makes text from Aqara safe to log and show: every secret of the request is masked in any letter
 * case (the signed string is lowercased, and Aqara may echo a token or key back), tokens named in
 * the text are masked too, control and line-separator characters become spaces so a message cannot
 * forge extra log lines, and the result is bounded. Masking comes before cutting, so a cut can
 * never leave the start of a secret behind.
 */
export function cleanAqaraText(text: string, secrets: readonly string[] = [], max = MAX_AQARA_TEXT): string {
  if (text === '') return text;
  let out = text;
  // Runs on every answer: a regular expression is built only for a secret that is really there.
  let lower = out.toLowerCase();
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret === '' || !lower.includes(secret.toLowerCase())) continue;
    out = out.replace(new RegExp(escapeRegExp(secret), 'gi'), '***');
    lower = out.toLowerCase();
  }
  out = out.replace(NAMED_TOKEN, '$1$2***').replace(CONTROL, ' ').trim();
  return out.length > max ? `${out.slice(0, max)}…` : out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
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
