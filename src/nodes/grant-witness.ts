import type { TokenGrant } from '../lib/aqara/client';
import type { TokenClient } from '../lib/tokens/manager';

/**
 * What the push endpoint needs to know of a config's Aqara account without asking the token
 * manager for it: the account's openId (pushes for another account are dropped) and the access
 * tokens it was given lately (Aqara's push `token` header names one). Both come from the refresh
 * answers, watched on their way from the client to the manager. Memory only, like the tokens.
 */

export interface AccountIdentity {
  openId: string | undefined;
  /** Newest last; a few, since a push sent just before a refresh carries the previous one. */
  accessTokens: readonly string[];
}

const KEPT_TOKENS = 4;
const identities = new Map<string, { openId: string | undefined; accessTokens: string[] }>();

export function witnessGrants(configId: string, client: TokenClient): TokenClient {
  return {
    refreshToken: async (refreshToken) => {
      const grant: TokenGrant = await client.refreshToken(refreshToken);
      const entry = identities.get(configId) ?? { openId: undefined, accessTokens: [] };
      if (grant.openId !== undefined) entry.openId = grant.openId;
      entry.accessTokens = [
        ...entry.accessTokens.filter((token) => token !== grant.accessToken),
        grant.accessToken,
      ].slice(-KEPT_TOKENS);
      identities.set(configId, entry);
      return grant;
    },
    request<T>(intent: string, data: unknown, accessToken?: string) {
      return client.request<T>(intent, data, accessToken);
    },
  };
}

/** Undefined until the config's first refresh in this process. */
export function identityOf(configId: string): AccountIdentity | undefined {
  return identities.get(configId);
}

/** A removed config's identity goes with it (also used by tests). */
export function forgetIdentity(configId: string): void {
  identities.delete(configId);
}
