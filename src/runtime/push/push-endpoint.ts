import type { IncomingMessage, ServerResponse } from 'node:http';
import { parsePushBody } from '../../lib/push/push-body';
import { claimApp } from '../app-mark';
import { findConfigRuntime } from '../config/config-registry';
import type { NodeAPI } from '../node-red-api';
import type { PushHub } from './push-hub';

/**
 * Aqara's HTTP push lands here, on Node-RED's own web server (RED.httpNode, under httpNodeRoot;
 * registered in routes.ts):
 *   POST /aqara/push/<config id>/<push secret>
 * Unknown config and wrong secret get one and the same 404 (the secret compared in constant time);
 * over 1 MB 413, not a push 400, bad signature 401. A good push is written to the journal and
 * answered 200 before any flow sees it. Nothing of a body is ever logged or echoed.
 */

export const PUSH_PATH = '/aqara/push/:configId/:secret';
/** Aqara's pushes are a few kilobytes; this bounds what one request may make us hold. */
export const MAX_PUSH_BYTES = 1024 * 1024;

/** `_body`/`body`: set when a body parser ran first (Node-RED's admin app, mounted at the same root). */
type PushRequest = IncomingMessage & {
  params?: Record<string, string | undefined>;
  _body?: boolean;
  body?: unknown;
};
type PushHandler = (req: PushRequest, res: ServerResponse) => void;

/** RED.httpNode as far as used here: express's app, which NodeAPI's hand-written type leaves out. */
interface NodeApp {
  post(path: string, handler: PushHandler): void;
}

/** Puts the endpoint on Node-RED's node app (RED.httpNode), once per app. */
export function mountPushEndpoint(RED: NodeAPI): void {
  const app = (RED as NodeAPI & { httpNode?: NodeApp }).httpNode;
  // httpNodeRoot set to false turns Node-RED's node web server off: no push endpoint then.
  if (typeof app?.post === 'function' && claimApp(app)) app.post(PUSH_PATH, handlePush);
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  if (res.headersSent || res.writableEnded) return;
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

/** One answer for an unknown config and a wrong secret: neither may be told from the other. */
function notFound(req: PushRequest, res: ServerResponse): void {
  send(res, 404, 'Not Found');
  // What the sender still streams is not read into memory.
  req.resume();
}

function tooLarge(req: PushRequest, res: ServerResponse): void {
  res.setHeader('Connection', 'close');
  send(res, 413, 'Payload Too Large');
  res.once('finish', () => req.destroy());
}

const handlePush: PushHandler = (req, res) => {
  const configId = req.params?.configId ?? '';
  const secret = req.params?.secret ?? '';
  const hub = findConfigRuntime(configId)?.existingPushHub;
  // The secret is compared even for an unknown config, so the time taken says nothing either.
  const secretOk = hub !== undefined && hub.matchesSecret(secret);
  if (!hub || !secretOk || !hub.settings?.enabled) return notFound(req, res);

  // With httpAdminRoot and httpNodeRoot both '/', the admin app's JSON parser has read the body
  // already. Re-serialised it is the same push (the signature covers headers only).
  if (req._body === true || req.readableEnded) {
    const body = req.body;
    const text = Buffer.isBuffer(body)
      ? body.toString('utf8')
      : typeof body === 'string'
        ? body
        : JSON.stringify(body ?? null);
    if (Buffer.byteLength(text) > MAX_PUSH_BYTES) return send(res, 413, 'Payload Too Large');
    return answer(hub, text, req, res);
  }

  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_PUSH_BYTES) return tooLarge(req, res);

  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  req.on('data', (chunk: Buffer) => {
    if (refused) return;
    size += chunk.length;
    if (size > MAX_PUSH_BYTES) {
      refused = true;
      chunks.length = 0;
      tooLarge(req, res);
      return;
    }
    chunks.push(chunk);
  });
  req.on('error', () => undefined);
  req.on('end', () => {
    if (!refused) answer(hub, Buffer.concat(chunks, size).toString('utf8'), req, res);
  });
};

function answer(hub: PushHub, text: string, req: PushRequest, res: ServerResponse): void {
  const parsed = parsePushBody(text);
  if (!parsed.ok) return send(res, 400, 'Bad Request');
  hub.accept(parsed.message, req.headers).then(
    (outcome) => {
      if (outcome === 'bad-signature') send(res, 401, 'Unauthorized');
      else if (outcome === 'closed') send(res, 404, 'Not Found');
      else send(res, 200, '{"code":0,"message":"Success"}', 'application/json; charset=utf-8');
    },
    (error: unknown) => {
      // Not acknowledged, so Aqara keeps the push and sends it again.
      const settings = hub.settings;
      settings?.logger.error(
        settings.t('aqara-config.push.not-stored', {
          reason: error instanceof Error ? error.message : String(error),
        }),
      );
      send(res, 503, 'Service Unavailable');
    },
  );
}
