import { isRecord } from '../../lib/is-record';
import { type ErrorBody, reply } from './admin-replies';
import type { AdminErrorHandler, AdminHandler, AdminRequest } from '../node-red-api';

/**
 * The host a browser says the calling page came from, against the host the request was sent to.
 * With adminAuth off Node-RED answers every CORS preflight with `*`, so without this any web page
 * the user visits could store a refresh token of its choosing or list the account's scenes. Browsers
 * always send Origin on cross-origin requests and cannot forge it; curl and scripts send none.
 * X-Forwarded-Host is not trusted: a page may set any header the preflight lets through.
 */
function isCrossOrigin(req: AdminRequest): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  const host = req.headers.host;
  if (typeof origin !== 'string' || typeof host !== 'string') return true;
  try {
    const from = new URL(origin);
    // Through URL too, so a default port written out (":80") and letter case do not matter.
    return from.host !== new URL(`${from.protocol}//${host}`).host;
  } catch {
    // "null" (a sandboxed frame or a file) or anything unparsable names no host of ours.
    return true;
  }
}

export const refuseCrossOrigin: AdminHandler = (req, res, next) => {
  if (!isCrossOrigin(req)) return next();
  reply(res, 403, {
    error: 'Forbidden',
    code: 'CROSS_ORIGIN',
    details: 'the request came from a page of another site: only the Node-RED editor may use this route',
  });
};

/**
 * Node-RED's admin app parses JSON bodies before any route runs. A body it cannot parse becomes an
 * error that skips every route; without this handler express answers with an HTML page (and logs a
 * stack) whose SyntaxError text quotes part of the body, i.e. of the token.
 */
function bodyErrorReply(error: unknown): { status: number; body: ErrorBody } {
  const type = isRecord(error) && typeof error.type === 'string' ? error.type : '';
  const status = isRecord(error) && typeof error.status === 'number' ? error.status : 0;
  if (type === 'entity.parse.failed') {
    return {
      status: 400,
      body: {
        error: 'Invalid request body',
        code: 'INVALID_REQUEST',
        details: 'request body is not valid JSON',
      },
    };
  }
  if (type === 'entity.too.large') {
    return {
      status: 413,
      body: { error: 'Invalid request body', code: 'INVALID_REQUEST', details: 'request body is too large' },
    };
  }
  if (type === 'charset.unsupported' || type === 'encoding.unsupported') {
    return {
      status: 415,
      body: {
        error: 'Unsupported Media Type',
        code: 'UNSUPPORTED_MEDIA_TYPE',
        details: 'request body encoding is not supported',
      },
    };
  }
  return {
    status: status >= 400 && status < 500 ? status : 400,
    body: {
      error: 'Invalid request body',
      code: 'INVALID_REQUEST',
      details: 'request body could not be read',
    },
  };
}

/** Answers a body the admin app's parser refused as JSON, never as express's HTML page. */
export const jsonBodyErrors: AdminErrorHandler = (error, _req, res, next) => {
  if (res.headersSent) return next(error);
  const { status, body } = bodyErrorReply(error);
  reply(res, status, body);
};
