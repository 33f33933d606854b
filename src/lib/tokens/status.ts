/** The token-status shape of the admin route and of aqara-token-status (see docs/http-api.md). */
export type AccessTokenStatus = 'not_cached' | 'cached_no_expiry' | 'expired' | 'valid';

/** What a flow node's status mirrors. */
export type TokenState = 'ready' | 'no_token' | 'refreshing' | 'expired' | 'auth_error' | 'error';

export const NOT_CONFIGURED_STATUS_MESSAGE =
  'No refresh token configured. Use POST /aqara/refresh-token to add one.';

export interface TokenStatus {
  configured: boolean;
  message?: string;
  refresh_token_updated_at?: string;
  access_token_status?: AccessTokenStatus;
  /** Seconds until the access token really expires; null when no token or no expiry is known. */
  access_token_expires_in_seconds?: number | null;
  /**
   * When the stored refresh token will die if nobody refreshes it: its last update plus the access
   * token's lifetime plus Aqara's 30 days. An estimate: Aqara does not report it.
   */
  refresh_token_expires_at?: string;
  /** The last refresh or storage failure, in words, or null after a success. */
  last_error: string | null;
  state: TokenState;
  /**
   * Why the config cannot be used at all (e.g. `missing-app-key`), when that is so: then `state` is
   * `error` without any token being at fault, and the editor says which field to fill in instead.
   */
  problem?: string;
}
