import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { isAqaraError } from '../../lib/aqara/errors';
import { resolveBaseUrl } from '../../lib/aqara/regions';
import { defaultTokenDbPath } from '../../lib/tokens/store';
import { KEEP_ALIVE_DAYS, RATE_LIMIT } from '../editor-settings';
import { quoteSetting, readNumberSetting } from '../number-setting';
import type { Translate } from '../node-red-api';

/** Why a deployed aqara-config cannot talk to Aqara; each has a short status text and a clear message. */
export type ConfigProblem =
  'missing-app-id' | 'missing-key-id' | 'missing-app-key' | 'bad-url' | 'bad-settings' | 'storage';

/**
 * Carries a problem to every node that uses the config: its message is what `done(err)` reports,
 * its problem picks the status text. The message names the field, never its value.
 */
export class ConfigProblemError extends Error {
  readonly problem: ConfigProblem;

  constructor(problem: ConfigProblem, message: string) {
    super(message);
    this.problem = problem;
  }
}

/** Everything a token manager is built from. Two equal specs may share one manager. */
export interface ManagerSpec {
  configId: string;
  appId: string;
  keyId: string;
  appKey: string;
  baseUrl: string;
  dbPath: string;
  /** Refresh an idle refresh token older than this; 0 turns keep-alive off. */
  keepAliveMaxAgeMs: number;
  /** Calls per 5 minutes allowed for this Aqara app; 0 turns the client-side limit off. */
  rateLimit: number;
}

/** The config node's properties as the editor saved them, plus its decrypted App Key. */
export interface ConfigInput {
  id: string;
  label: string;
  region?: unknown;
  baseUrl?: unknown;
  appId?: unknown;
  keyId?: unknown;
  appKey?: unknown;
  keepAliveDays?: unknown;
  rateLimit?: unknown;
}

const DAY_MS = 24 * 3600 * 1000;

export interface DbPathSettings {
  readonly userDir?: unknown;
  readonly aqaraConfigDbPath?: unknown;
}

/**
 * `settings.aqaraConfigDbPath` wins; otherwise the file sits in the user directory, next to flows.json,
 * so it is backed up and moved with it. Without a userDir (only in odd embeddings) Node-RED itself
 * would use ~/.node-red, so that is the fallback.
 */
export function resolveDbPath(settings: DbPathSettings, t: Translate): string {
  const configured = settings.aqaraConfigDbPath;
  if (configured !== undefined && configured !== null && configured !== '') {
    if (typeof configured !== 'string') {
      throw new ConfigProblemError('storage', t('aqara-config.errors.bad-db-setting'));
    }
    return resolve(configured);
  }
  const userDir =
    typeof settings.userDir === 'string' && settings.userDir !== ''
      ? settings.userDir
      : join(homedir(), '.node-red');
  return defaultTokenDbPath(userDir);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

/**
 * Keep-alive age and rate limit. Flows saved before these existed have neither: the defaults apply.
 * A value that makes no sense must not stop the config (scenes would stop running over a tuning
 * knob), so the default applies and `warn` says which value was ignored.
 */
function readTuning(
  input: ConfigInput,
  t: Translate,
  warn: (message: string) => void,
): { keepAliveMaxAgeMs: number; rateLimit: number } {
  const days = readNumberSetting(input.keepAliveDays, KEEP_ALIVE_DAYS);
  if (!days.valid) {
    warn(
      t('aqara-config.warnings.bad-keep-alive-days', {
        name: input.label,
        value: quoteSetting(input.keepAliveDays),
        max: KEEP_ALIVE_DAYS.max,
        fallback: KEEP_ALIVE_DAYS.fallback,
      }),
    );
  }
  const limit = readNumberSetting(input.rateLimit, RATE_LIMIT);
  if (!limit.valid) {
    warn(
      t('aqara-config.warnings.bad-rate-limit', {
        name: input.label,
        value: quoteSetting(input.rateLimit),
        max: RATE_LIMIT.max,
        fallback: RATE_LIMIT.fallback,
      }),
    );
  }
  return { keepAliveMaxAgeMs: Math.round(days.value * DAY_MS), rateLimit: limit.value };
}

/**
 * Checks a config node's settings and says exactly which one is missing or wrong (thrown), or which
 * optional one was ignored (through `warn`).
 */
export function buildManagerSpec(
  input: ConfigInput,
  dbPath: string,
  t: Translate,
  warn: (message: string) => void = () => undefined,
): ManagerSpec {
  const appId = text(input.appId);
  const keyId = text(input.keyId);
  const appKey = text(input.appKey);
  const name = { name: input.label };
  if (appId === '')
    throw new ConfigProblemError('missing-app-id', t('aqara-config.errors.missing-app-id', name));
  if (keyId === '')
    throw new ConfigProblemError('missing-key-id', t('aqara-config.errors.missing-key-id', name));
  if (appKey === '')
    throw new ConfigProblemError('missing-app-key', t('aqara-config.errors.missing-app-key', name));
  let baseUrl: string;
  try {
    baseUrl = resolveBaseUrl(
      typeof input.region === 'string' ? input.region : undefined,
      text(input.baseUrl),
    );
  } catch (error) {
    // regions.ts words the reason (unknown region, bad URL) without echoing credentials in a URL.
    const reason = isAqaraError(error) ? error.message : String(error);
    throw new ConfigProblemError('bad-url', t('aqara-config.errors.bad-url', { ...name, reason }));
  }
  return { configId: input.id, appId, keyId, appKey, baseUrl, dbPath, ...readTuning(input, t, warn) };
}
