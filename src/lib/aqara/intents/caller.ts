import type { AqaraResponse } from '../client';

/**
 * All an intents module needs: one authorized call. The token manager provides it (tokens, retries,
 * the quota guard), so the modules beside this file know Aqara's intents and nothing of tokens,
 * storage or Node-RED.
 */
export interface IntentCaller {
  call<T = unknown>(intent: string, data: unknown): Promise<AqaraResponse<T>>;
}
