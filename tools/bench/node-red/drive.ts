import type { NodeRedProcess } from '../../../support/node-red-process';
import { postJson } from './admin';

/** What a driver function (flows.ts) answers when every message of a start request is done. */
interface RunAnswer {
  n: number;
  errors: number;
  firstError: string | null;
}

function isRunAnswer(value: unknown): value is RunAnswer {
  return typeof value === 'object' && value !== null && typeof (value as RunAnswer).errors === 'number';
}

export interface SliceOptions {
  /** Messages per start request. */
  messages: number;
  /** Messages in flight at once. */
  window: number;
  /** The access token a hand-written chain keeps in flow context; the package's chain needs none. */
  token?: string;
  /** Calls of the measured intent the simulator has seen so far: each message must cost exactly one. */
  calls: () => number;
}

/**
 * One slice of a throughput comparison: a start request to a driver's http-in, failed when any message
 * failed or when the simulator did not see exactly one call per message.
 */
export function sliceDriver(red: NodeRedProcess, path: string, options: SliceOptions): () => Promise<void> {
  const { messages, window, token, calls } = options;
  return async () => {
    const before = calls();
    const answer = await postJson(red, path, { n: messages, window, token });
    if (answer.status !== 200 || !isRunAnswer(answer.body)) {
      throw new Error(`${path}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    if (answer.body.errors > 0) {
      const quota = /rate limit/i.test(answer.body.firstError ?? '')
        ? " (the package's quota guard is still on: this build ignores the aqara-config rateLimit: 0 the flow sets)"
        : '';
      throw new Error(
        `${path}: ${answer.body.errors} of ${messages} messages failed${quota}, first: ${answer.body.firstError}`,
      );
    }
    const seen = calls() - before;
    if (seen !== messages) throw new Error(`${path}: the simulator saw ${seen} calls, expected ${messages}`);
  };
}
