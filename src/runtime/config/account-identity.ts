import type { TokenGrant } from '../../lib/aqara/client';
import type { TokenClient } from '../../lib/tokens/manager';

/**
 * What the push endpoint needs to know of a config's Aqara account without asking the token
 * manager for it: the account's openId (pushes for another account are dropped) and the access
 * tokens it was given lately (Aqara's push `token` header names one). Both come from the refresh
 * answers, watched on their way from the client to the manager. Memory only, like the tokens.
 */

/** Newest last; a few, since a push sent just before a refresh carries the previous one. */
const KEPT_TOKENS = 4;

export class AccountIdentity {
  /** Undefined until the config's first refresh in this process. */
  openId: string | undefined;
  accessTokens: readonly string[] = [];
  private witnessed = false;

  /** Whether a refresh answer has been seen since this process started (or the identity was forgotten). */
  get known(): boolean {
    return this.witnessed;
  }

  /** The client the token manager uses, with every refresh answer noted on its way. */
  witness(client: TokenClient): TokenClient {
    return {
      refreshToken: async (refreshToken) => {
        const grant: TokenGrant = await client.refreshToken(refreshToken);
        if (grant.openId !== undefined) this.openId = grant.openId;
        this.accessTokens = [
          ...this.accessTokens.filter((token) => token !== grant.accessToken),
          grant.accessToken,
        ].slice(-KEPT_TOKENS);
        this.witnessed = true;
        return grant;
      },
      request<T>(intent: string, data: unknown, accessToken?: string) {
        return client.request<T>(intent, data, accessToken);
      },
    };
  }

  forget(): void {
    this.openId = undefined;
    this.accessTokens = [];
    this.witnessed = false;
  }
}
