/** What a numeric node property may hold, and what to use when it holds nothing usable. */
export interface NumberRule {
  min: number;
  max: number;
  /** Whole numbers only. */
  integer?: boolean;
  fallback: number;
}

export interface NumberReading {
  value: number;
  /** False when something was there but not a number within the rule: the caller says so. */
  valid: boolean;
}

/** Plain decimals only: Number() would also take '0x1f', '1e3' and ' ' (as 0), which nobody types here. */
const DECIMAL = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/;

/**
 * A numeric property as flows.json holds it: the editor saves what was typed (a string), a
 * hand-written flow may hold a number, and a flow saved before the property existed holds nothing.
 * Nothing (or an empty field) quietly means the fallback; anything else out of the rule is flagged.
 */
export function readNumberSetting(raw: unknown, rule: NumberRule): NumberReading {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
    return { value: rule.fallback, valid: true };
  }
  let value: number;
  if (typeof raw === 'number') value = raw;
  else if (typeof raw === 'string' && DECIMAL.test(raw)) value = Number(raw);
  else return { value: rule.fallback, valid: false };
  const fits =
    Number.isFinite(value) &&
    value >= rule.min &&
    value <= rule.max &&
    (!rule.integer || Number.isInteger(value));
  return fits ? { value, valid: true } : { value: rule.fallback, valid: false };
}

/** A property value quoted in a warning: short, and never an object's whole content. */
export function quoteSetting(raw: unknown): string {
  const text = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : typeof raw;
  return JSON.stringify(text.length > 20 ? `${text.slice(0, 20)}…` : text);
}
