import { createHash } from 'node:crypto';
import { writeSync } from 'node:fs';

/**
 * The line protocol between reliability child processes (tools/reliability/children/*.ts) and the
 * scenarios: one JSON object per stdout line. Tokens are never printed, only fingerprints, because
 * the child's output is a log like any other and the suite itself checks logs for secrets.
 */

export interface ChildEvent {
  ev: string;
  /** process.hrtime in ms: CLOCK_MONOTONIC on Linux, so comparable between the parent and its children. */
  t: number;
  [key: string]: unknown;
}

/** A short, one-way name for a token, so parent and child can talk about the same token without showing it. */
export function fingerprint(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

/**
 * Written with writeSync: a line must be on the pipe before the next statement runs, so that a
 * SIGKILL a moment later cannot swallow the record of what the child had already done.
 */
export function emit(ev: string, fields: Record<string, unknown> = {}): void {
  writeSync(1, `${JSON.stringify({ ev, t: monotonicMs(), ...fields })}\n`);
}

/** What a child reports about a failure: the error's public fields, never its cause (which may hold a request). */
export function describeFailure(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { name: typeof error, message: String(error) };
  const fields = error as Error & {
    kind?: unknown;
    code?: unknown;
    answerLost?: unknown;
    httpStatus?: unknown;
  };
  return {
    name: error.name,
    message: error.message,
    kind: fields.kind,
    code: fields.code,
    httpStatus: fields.httpStatus,
    answerLost: fields.answerLost,
  };
}
