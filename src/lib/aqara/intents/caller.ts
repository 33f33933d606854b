import type { AqaraResponse } from '../client';
import type { CallKind } from '../quota-usage';

/**
 * All an intents module needs: one authorized call. The token manager provides it (tokens, retries,
 * the quota guard), so the modules beside this file know Aqara's intents and nothing of tokens,
 * storage or Node-RED.
 * `kind` overrides what the quota guard counts the call as (its table's kind for the intent otherwise).
 */
export interface IntentCaller {
  call<T = unknown>(intent: string, data: unknown, kind?: CallKind): Promise<AqaraResponse<T>>;
}
