import { AqaraError, isAqaraError } from '../aqara/errors';
import { REFRESH_TOKEN_EXPIRED_MESSAGE } from './messages';

/** Anything thrown during a refresh, as an AqaraError (the client only throws those; bugs do not). */
export function asRefreshError(error: unknown): AqaraError {
  return isAqaraError(error)
    ? error
    : new AqaraError(`token refresh failed: ${(error as Error).message}`, { kind: 'transient' });
}

/**
 * A refresh failure in words that say what happened and what the user can do.
 * `afterLostAnswer`: the previous refresh's answer was lost, which explains a token Aqara now calls dead.
 */
export function describeRefreshFailure(error: unknown, afterLostAnswer: boolean): AqaraError {
  if (!isAqaraError(error)) return asRefreshError(error);
  const aqara = error.code === undefined ? '' : ` (Aqara code ${error.code})`;
  const origin = { code: error.code, requestId: error.requestId, intent: error.intent };
  if (error.kind === 'refresh_token') {
    const why = afterLostAnswer
      ? ': an earlier refresh whose answer was lost most likely rotated it on Aqara'
      : '';
    return new AqaraError(`${REFRESH_TOKEN_EXPIRED_MESSAGE}${aqara}${why}`, {
      kind: 'refresh_token',
      ...origin,
    });
  }
  if (error.kind === 'app_credentials') {
    return new AqaraError(
      `Aqara rejected the app credentials during token refresh${aqara}: check App ID, Key ID, App Key and region; ` +
        'if they are right, the refresh token itself may be bad - paste a new one',
      { kind: 'app_credentials', ...origin },
    );
  }
  if (error.answerLost) {
    return new AqaraError(
      `token refresh answer was lost (${error.message}); Aqara may already have rotated the refresh token. ` +
        'The next call tries the stored token once; if Aqara refuses it, paste a new refresh token',
      { kind: 'transient', answerLost: true, intent: error.intent },
    );
  }
  return new AqaraError(`token refresh failed: ${error.message}`, {
    kind: error.kind,
    httpStatus: error.httpStatus,
    ...origin,
  });
}
