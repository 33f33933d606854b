/**
 * The state string of an infrared air conditioner (remote type 2): underscore-joined tokens of one
 * capital letter and a number, e.g. "P0_M0_T25_S2_D0". P is power with 0 = ON and 1 = OFF (inverted,
 * as every public client reads it), M the mode, T the target temperature, S the fan speed, D the swing
 * (0 swing, other values fixed positions), L the light (seen in some answers). A click names only the
 * tokens it changes; the rest of the state stays.
 */

export type AcToken = 'P' | 'M' | 'T' | 'S' | 'D' | 'L';

/** Tokens in the order real answers write them. */
export const AC_TOKENS: readonly AcToken[] = ['P', 'M', 'T', 'S', 'D', 'L'];

/** Every token a full state carries; L only when the remote has a light. */
export const FULL_STATE_TOKENS: readonly AcToken[] = ['P', 'M', 'T', 'S', 'D'];

export type AcState = Partial<Record<AcToken, number>>;

/** What each token may hold: the temperature range is the one every public client clamps to. */
export const AC_RANGES: Readonly<Record<AcToken, { min: number; max: number; what: string }>> = {
  P: { min: 0, max: 1, what: 'power (0 on, 1 off)' },
  M: { min: 0, max: 4, what: 'mode (0 cool, 1 heat, 2 auto, 3 fan, 4 dry)' },
  T: { min: 16, max: 30, what: 'temperature' },
  S: { min: 0, max: 3, what: 'fan speed (0 auto .. 3 high)' },
  D: { min: 0, max: 9, what: 'swing' },
  L: { min: 0, max: 1, what: 'light' },
};

export type AcKeyParse = { ok: true; tokens: AcState } | { ok: false; reason: string };

/** Reads an acKey; anything off the grammar is refused whole, so a bad click changes nothing. */
export function parseAcKey(text: string): AcKeyParse {
  if (text === '') return { ok: false, reason: 'acKey is empty' };
  const tokens: AcState = {};
  for (const part of text.split('_')) {
    const match = /^([A-Z])(\d{1,3})$/.exec(part);
    if (!match) return { ok: false, reason: `acKey token "${part}" is not a letter and a number` };
    const letter = match[1];
    if (!isAcToken(letter)) return { ok: false, reason: `acKey token "${part}": unknown letter ${letter}` };
    const range = AC_RANGES[letter];
    if (tokens[letter] !== undefined) return { ok: false, reason: `acKey names ${letter} twice` };
    const value = Number(match[2]);
    if (value < range.min || value > range.max) {
      return { ok: false, reason: `acKey ${range.what} ${value} is out of range ${range.min}..${range.max}` };
    }
    tokens[letter] = value;
  }
  return { ok: true, tokens };
}

export function formatAcState(state: AcState, omit: readonly AcToken[] = []): string {
  return AC_TOKENS.filter((token) => state[token] !== undefined && !omit.includes(token))
    .map((token) => `${token}${state[token]}`)
    .join('_');
}

/** A state a remote can start from: every token of a full state present and in range. */
export function parseFullAcState(text: string): AcState {
  const parsed = parseAcKey(text);
  if (!parsed.ok) throw new Error(`invalid air conditioner state "${text}": ${parsed.reason}`);
  const missing = FULL_STATE_TOKENS.filter((token) => parsed.tokens[token] === undefined);
  if (missing.length > 0) throw new Error(`air conditioner state "${text}" lacks ${missing.join(', ')}`);
  return parsed.tokens;
}

function isAcToken(letter: string): letter is AcToken {
  return (AC_TOKENS as readonly string[]).includes(letter);
}
