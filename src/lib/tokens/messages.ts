/** Exact texts users search for (docs/http-api.md): never reword them. */
export const NO_REFRESH_TOKEN_MESSAGE = 'no refresh token configured - please add one using the admin API';
export const REFRESH_TOKEN_EXPIRED_MESSAGE = 'refresh token has expired - please update it manually';
