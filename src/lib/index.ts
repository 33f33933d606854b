/**
 * The library under the Node-RED nodes, for programs that want Aqara scenes and durable tokens
 * without Node-RED (the aqara-test CLI is one).
 */
export { AqaraClient } from './aqara/client';
export type { AqaraClientOptions, AqaraResponse, TokenGrant } from './aqara/client';
export { AqaraError, isAqaraError, kindOfAqaraCode } from './aqara/errors';
export type { AqaraErrorKind } from './aqara/errors';
export type { IntentCaller } from './aqara/intents/caller';
export { isSceneNotFound, listAccountScenes, runScene, SceneCatalogError } from './aqara/intents/scenes';
export type { CatalogScene, SceneCatalog, SceneRun } from './aqara/intents/scenes';
export { AQARA_REGIONS, resolveBaseUrl } from './aqara/regions';
export type { AqaraRegion } from './aqara/regions';
export { RateLimiter, rateLimiterForApp } from './aqara/rate-limiter';
export { signRequest } from './aqara/sign';
export { TokenManager } from './tokens/manager';
export type { TokenManagerOptions, KeepAliveOutcome } from './tokens/manager';
export { NO_REFRESH_TOKEN_MESSAGE, REFRESH_TOKEN_EXPIRED_MESSAGE } from './tokens/messages';
export type { AccessTokenStatus, TokenState, TokenStatus } from './tokens/status';
export { defaultTokenDbPath, TokenStore } from './tokens/store';
export { PostgresTokenStore } from './tokens/postgres-store';
export type { AnyTokenStore, AsyncTokenStore, StoredToken, SyncTokenStore } from './tokens/token-store';
export type { Clock } from './clock';
export type { Logger } from './logger';
