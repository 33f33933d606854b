import { INTENT_PATTERN } from '../lib/aqara/intents/any-intent';
import { DEFAULT_RATE_LIMIT } from '../lib/aqara/rate-limiter';
import { AQARA_REGIONS, CUSTOM_REGION } from '../lib/aqara/regions';
import type { NumberRule } from './number-setting';
import type { NodeSettings } from './node-red-api';

/**
 * The limits and lists both sides of a node need: the runtime checks a deployed node's properties
 * with them, and the editor gets them through registerType's `settings` (RED.settings.<name> in
 * resources/aqara-editor.js), so each is written down once, here.
 */

/**
 * Refresh an idle refresh token older than this many days. Aqara's refresh token dies about 30 days
 * after its access token expires; keep-alive looks once an hour and a refresh may fail for a while
 * (Aqara or the network down), so an age close to 30 leaves no room to recover: 25 keeps five days.
 */
export const KEEP_ALIVE_DAYS: NumberRule = { min: 0, max: 25, fallback: 7 };

/** Calls per 5 minutes; the maximum is far above any Aqara quota, only so a typo cannot hold a huge window. */
export const RATE_LIMIT: NumberRule = { min: 0, max: 100_000, integer: true, fallback: DEFAULT_RATE_LIMIT };

/** aqara-token-status warns this many days ahead; the refresh token lives about 37 days in all. */
export const WARN_DAYS: NumberRule = { min: 0, max: 30, fallback: 7 };

/** aqara-device-in's poll interval when no push arrives, in whole seconds; 0 = never poll. */
export const POLL_SECONDS: NumberRule = { min: 0, max: 24 * 3600, integer: true, fallback: 60 };

/**
 * The shortest poll interval other than 0: every poll reads every watched resource, and Aqara's quota is
 * about 300 calls in 5 minutes. The runtime raises a shorter one to this; the dialog refuses it.
 */
export const MIN_POLL_SECONDS = 10;

/** The regions the config dialog offers, in this order: Aqara's own, then a custom URL. */
export const REGIONS: readonly string[] = [...Object.keys(AQARA_REGIONS), CUSTOM_REGION];

/**
 * Node-RED exports these to the editor as RED.settings.<name>; names must start with the node type in
 * camelCase. A settings.js entry of the same name would win in the editor only, so the names are
 * ones nobody sets by accident.
 */
export const CONFIG_EDITOR_SETTINGS: NodeSettings = {
  aqaraConfigRegions: { value: REGIONS, exportable: true },
  aqaraConfigLimits: {
    value: {
      keepAliveDays: KEEP_ALIVE_DAYS,
      rateLimit: RATE_LIMIT,
      pollSeconds: { ...POLL_SECONDS, least: MIN_POLL_SECONDS },
    },
    exportable: true,
  },
};

export const TOKEN_STATUS_EDITOR_SETTINGS: NodeSettings = {
  aqaraTokenStatusLimits: { value: { warnDays: WARN_DAYS }, exportable: true },
};

/** aqara-api's dialog checks an intent name with the pattern the runtime checks it with. */
export const API_EDITOR_SETTINGS: NodeSettings = {
  aqaraApiIntent: { value: { pattern: INTENT_PATTERN.source }, exportable: true },
};
