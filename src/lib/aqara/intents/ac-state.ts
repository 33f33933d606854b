/**
 * An infrared air conditioner's state (remote type 2) in Aqara's acKey grammar, and the settings a
 * flow gives in words. The grammar: underscore-joined tokens of one capital letter and a number,
 * e.g. "P0_M0_T25_S2_D0". P is power and INVERTED (0 = on, 1 = off), M the mode, T the target
 * temperature in °C, S the fan speed, D the swing (0 swings, other values are fixed positions).
 * Answers may leave tokens out, and carry tokens this module has no word for (L, the light): those
 * are kept as they came, so sending a state back never drops what Aqara told us.
 */

export const AC_MODES = ['cool', 'heat', 'auto', 'fan', 'dry'] as const;
export const AC_FANS = ['auto', 'low', 'medium', 'high'] as const;
/** The range every public client clamps the target temperature to. */
export const AC_TEMPERATURE = { min: 16, max: 30 } as const;

export type AcMode = (typeof AC_MODES)[number];
export type AcFan = (typeof AC_FANS)[number];
export type AcPower = 'on' | 'off';

/** What a flow may set; any subset. */
export interface AcSettings {
  power?: AcPower;
  mode?: AcMode;
  temperature?: number;
  fan?: AcFan;
  swing?: boolean;
}

/** The state in words; null where Aqara did not say, or said something without a word here. */
export interface AcState {
  power: AcPower | null;
  mode: AcMode | null;
  temperature: number | null;
  fan: AcFan | null;
  swing: boolean | null;
}

/** Letter -> number, in the order they came; what acKey strings are made of. */
export type AcTokens = ReadonlyMap<string, number>;

const SETTING_NAMES: readonly (keyof AcSettings)[] = ['power', 'mode', 'temperature', 'fan', 'swing'];
/** The order real answers write the tokens in; others follow in the order they came. */
const TOKEN_ORDER = ['P', 'M', 'T', 'S', 'D'];
const POWER_ON = 0;
const POWER_OFF = 1;
const SWINGING = 0;
/** The fixed position a "no swing" sets when the state had none: the first one. */
const FIRST_FIXED_POSITION = 1;

/**
 * Reads an acState answer. Tokens that are not a letter and a number are skipped rather than failing
 * the whole state: a reply rougher than expected still tells what it can.
 */
export function parseAcTokens(text: unknown): AcTokens | undefined {
  if (typeof text !== 'string' || text.trim() === '') return undefined;
  const tokens = new Map<string, number>();
  for (const part of text.trim().split('_')) {
    const match = /^([A-Z])(\d{1,3})$/.exec(part);
    if (match && !tokens.has(match[1])) tokens.set(match[1], Number(match[2]));
  }
  return tokens.size > 0 ? tokens : undefined;
}

export function formatAcKey(tokens: AcTokens): string {
  const letters = [
    ...TOKEN_ORDER.filter((letter) => tokens.has(letter)),
    ...[...tokens.keys()].filter((letter) => !TOKEN_ORDER.includes(letter)),
  ];
  return letters.map((letter) => `${letter}${tokens.get(letter)}`).join('_');
}

function word<T>(words: readonly T[], index: number | undefined): T | null {
  return index === undefined ? null : (words[index] ?? null);
}

export function acStateOf(tokens: AcTokens): AcState {
  const power = tokens.get('P');
  const temperature = tokens.get('T');
  const swing = tokens.get('D');
  return {
    power: power === POWER_ON ? 'on' : power === POWER_OFF ? 'off' : null,
    mode: word(AC_MODES, tokens.get('M')),
    temperature: temperature === undefined ? null : temperature,
    fan: word(AC_FANS, tokens.get('S')),
    swing: swing === undefined ? null : swing === SWINGING,
  };
}

/** The state with the settings applied: what is not set stays as it was. */
export function applyAcSettings(tokens: AcTokens, settings: AcSettings): AcTokens {
  const next = new Map(tokens);
  if (settings.power !== undefined) next.set('P', settings.power === 'on' ? POWER_ON : POWER_OFF);
  if (settings.mode !== undefined) next.set('M', AC_MODES.indexOf(settings.mode));
  if (settings.temperature !== undefined) next.set('T', settings.temperature);
  if (settings.fan !== undefined) next.set('S', AC_FANS.indexOf(settings.fan));
  if (settings.swing !== undefined) {
    const current = tokens.get('D');
    // "Stop swinging" keeps a fixed position the remote already had.
    const fixed = current !== undefined && current !== SWINGING ? current : FIRST_FIXED_POSITION;
    next.set('D', settings.swing ? SWINGING : fixed);
  }
  return next;
}

export type AcSettingsRead = { ok: true; settings: AcSettings } | { ok: false; reason: string };

const quoted = (values: readonly string[]): string => values.map((value) => `"${value}"`).join(', ');

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

function oneOf<T extends string>(
  value: unknown,
  words: readonly T[],
  name: string,
): { ok: true; value: T } | { ok: false; reason: string } {
  const text = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
  const found = words.find((candidate) => candidate === text);
  if (found) return { ok: true, value: found };
  return { ok: false, reason: `${name} must be one of ${quoted(words)}, not ${describe(value)}` };
}

function readTemperature(value: unknown): { ok: true; value: number } | { ok: false; reason: string } {
  const number =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\s*\d+\s*$/.test(value)
        ? Number(value)
        : NaN;
  const range = `${AC_TEMPERATURE.min}..${AC_TEMPERATURE.max}`;
  if (!Number.isInteger(number)) {
    return {
      ok: false,
      reason: `temperature must be a whole number of °C (${range}), not ${describe(value)}`,
    };
  }
  if (number < AC_TEMPERATURE.min || number > AC_TEMPERATURE.max) {
    return { ok: false, reason: `temperature ${number} °C is out of range ${range}` };
  }
  return { ok: true, value: number };
}

/**
 * Reads `{power, mode, temperature, fan, swing}` from a message. Every problem is reported together,
 * and an object with any problem is refused whole: a half-applied change would be a surprise.
 */
export function readAcSettings(value: unknown): AcSettingsRead {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: `air conditioner settings must be an object, not ${describe(value)}` };
  }
  const entries = Object.entries(value as Record<string, unknown>);
  const settings: AcSettings = {};
  const problems: string[] = [];
  for (const [name, raw] of entries) {
    switch (name) {
      case 'power': {
        if (raw === true || raw === false) settings.power = raw ? 'on' : 'off';
        else {
          const read = oneOf(raw, ['on', 'off'] as const, 'power');
          if (read.ok) settings.power = read.value;
          else problems.push(read.reason);
        }
        break;
      }
      case 'mode': {
        const read = oneOf(raw, AC_MODES, 'mode');
        if (read.ok) settings.mode = read.value;
        else problems.push(read.reason);
        break;
      }
      case 'temperature': {
        const read = readTemperature(raw);
        if (read.ok) settings.temperature = read.value;
        else problems.push(read.reason);
        break;
      }
      case 'fan': {
        const read = oneOf(raw, AC_FANS, 'fan');
        if (read.ok) settings.fan = read.value;
        else problems.push(read.reason);
        break;
      }
      case 'swing': {
        if (typeof raw === 'boolean') settings.swing = raw;
        else problems.push(`swing must be true or false, not ${describe(raw)}`);
        break;
      }
      default:
        problems.push(`unknown setting "${name}" (the settings are ${SETTING_NAMES.join(', ')})`);
    }
  }
  if (entries.length === 0) {
    problems.push(`no setting given: name at least one of ${SETTING_NAMES.join(', ')}`);
  }
  return problems.length > 0 ? { ok: false, reason: problems.join('; ') } : { ok: true, settings };
}
