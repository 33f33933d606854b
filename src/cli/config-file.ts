import { readFileSync } from 'node:fs';
import { isRecord } from '../lib/is-record';

/** The original system's config.json, so existing users can run the same file. */
export interface CliAqaraConfig {
  appId: string;
  appKey: string;
  keyId: string;
  baseUrl: string;
  scenes: Record<string, string>;
  /** Fields present in the file that are no longer used, to warn about. */
  ignored: string[];
}

export const ACTION_SCENES: Readonly<Record<string, string>> = {
  pin: 'tv_pin_entry',
  warn: 'tv_warning',
  off: 'tv_power_off',
};

function requiredString(section: Record<string, unknown>, key: string, path: string): string {
  const value = section[key];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new Error(`${path}: "aqara.${key}" is missing or empty`);
  }
  return value.trim();
}

export function loadCliConfig(path: string): CliAqaraConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'not valid JSON';
    throw new Error(`cannot read ${path} (${reason})`);
  }
  if (!isRecord(parsed) || !isRecord(parsed.aqara)) throw new Error(`${path}: no "aqara" section`);
  const section = parsed.aqara;
  const scenes: Record<string, string> = {};
  if (isRecord(section.scenes)) {
    for (const [name, id] of Object.entries(section.scenes)) {
      if (typeof id === 'string' && id.trim() !== '') scenes[name] = id.trim();
    }
  }
  return {
    appId: requiredString(section, 'app_id', path),
    appKey: requiredString(section, 'app_key', path),
    keyId: requiredString(section, 'key_id', path),
    baseUrl: requiredString(section, 'base_url', path),
    scenes,
    ignored: Object.hasOwn(section, 'access_token') ? ['access_token'] : [],
  };
}
