import http from 'node:http';
import { performance } from 'node:perf_hooks';

/**
 * Aqara's side of the push endpoint for the bench and the reliability suite: POSTs of push bodies on
 * a keep-alive pool to 127.0.0.1 only, each with its own timeout, timed from the first byte sent to
 * the end of the answer (what Aqara waits for before it counts the push as acknowledged).
 */

const REQUEST_TIMEOUT_MS = 10_000;

export interface PushAnswer {
  /** The HTTP status, or 0 when the connection failed or timed out. */
  status: number;
  ms: number;
}

/** A resource report the way Aqara pushes one (see simulator/push.ts), carrying `value` as its only change. */
export function reportBody(
  msgId: string,
  openId: string,
  report: { subjectId: string; resourceId: string; value: string; time: number },
): string {
  return JSON.stringify({
    msgId,
    openId,
    msgType: 'resource_report',
    data: [
      {
        subjectId: report.subjectId,
        resourceId: report.resourceId,
        value: report.value,
        time: String(report.time),
        statusCode: 0,
        triggerSource: { type: 1, time: String(Math.floor(report.time / 1000)) },
      },
    ],
  });
}

export class PushSender {
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(baseUrl: string, maxSockets: number) {
    this.base = new URL(baseUrl);
    if (this.base.protocol !== 'http:' || !['127.0.0.1', 'localhost'].includes(this.base.hostname))
      throw new Error('pushes go to http://127.0.0.1 only');
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  post(path: string, body: string): Promise<PushAnswer> {
    const started = performance.now();
    return new Promise((resolve) => {
      let settled = false;
      const done = (status: number): void => {
        if (settled) return;
        settled = true;
        resolve({ status, ms: performance.now() - started });
      };
      const req = http.request(
        {
          host: this.base.hostname,
          port: this.base.port,
          path: new URL(path.replace(/^\//, ''), this.base).pathname,
          method: 'POST',
          agent: this.agent,
          timeout: REQUEST_TIMEOUT_MS,
          headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => done(res.statusCode ?? 0));
          res.on('error', () => done(0));
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => done(0));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * Sends `bodies` with `window` requests in flight, in order of the list; stops early once `deadline`
 * (performance.now()) has passed or `stop()` says so. Every answer is handed to `onAnswer` with its
 * index. Resolves with the number of requests sent.
 */
export async function sendAll(
  sender: PushSender,
  path: (index: number) => string,
  bodies: readonly string[],
  window: number,
  deadline: number,
  onAnswer: (index: number, answer: PushAnswer) => void,
  stop: () => boolean = () => false,
): Promise<number> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < bodies.length && performance.now() < deadline && !stop()) {
      const index = next;
      next += 1;
      onAnswer(index, await sender.post(path(index), bodies[index]));
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, bodies.length) }, worker));
  return next;
}
