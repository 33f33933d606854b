import assert from 'node:assert/strict';
import { inspect } from 'node:util';

/** Fails if any secret appears in any of the texts; names the secret's kind, never its value. */
export function assertNoSecrets(texts: readonly string[], secrets: Record<string, readonly string[]>): void {
  for (const [kind, values] of Object.entries(secrets)) {
    for (const value of values) {
      if (value.length < 6) continue;
      const hit = texts.findIndex((text) => text.toLowerCase().includes(value.toLowerCase()));
      assert.equal(hit, -1, `a ${kind} appeared in captured text #${hit}`);
    }
  }
}

/** Every way an error could be shown to a user or written to a log. */
export function renderError(error: unknown): string[] {
  if (!(error instanceof Error)) return [String(error)];
  return [error.message, error.stack ?? '', inspect(error, { depth: 6 }), JSON.stringify(error)];
}
