import { inspect } from 'node:util';
import { AqaraError, type AqaraErrorKind } from '../../../src/lib/aqara/errors';

/**
 * What makes a failure "clear" for a user reading a Catch node or a log: an AqaraError with a known
 * kind and a short, human message that is not a stack trace, a bare type name or an object dump, and
 * that shows no secret in any form the error can be rendered in.
 */

const KINDS: ReadonlySet<AqaraErrorKind> = new Set<AqaraErrorKind>([
  'app_credentials',
  'access_token',
  'refresh_token',
  'not_configured',
  'transient',
  'caller',
  'rejected',
  'storage',
]);

export type Clarity = { clear: true } | { clear: false; why: string };

export function judgeError(error: unknown, secrets: readonly string[]): Clarity {
  if (!(error instanceof AqaraError)) {
    return { clear: false, why: `not an AqaraError (${error instanceof Error ? error.name : typeof error})` };
  }
  if (!KINDS.has(error.kind)) return { clear: false, why: `unknown kind ${String(error.kind)}` };
  const message = typeof error.message === 'string' ? error.message : '';
  if (message.trim() === '') return { clear: false, why: 'empty message' };
  if (message.length > 1000) return { clear: false, why: 'message longer than 1000 characters' };
  if (/\n\s+at\s/.test(message) || /^\s*at\s/.test(message))
    return { clear: false, why: 'message is a stack trace' };
  if (/\[object \w+\]|^undefined$|^null$|^Error$/.test(message.trim())) {
    return { clear: false, why: 'message is a placeholder, not words' };
  }
  if (!/[a-z]{3,}\s+[a-z]{2,}/i.test(message)) return { clear: false, why: 'message has no words' };
  const rendered = renderings(error).map((text) => text.toLowerCase());
  for (const secret of secrets) {
    if (secret.length >= 6 && rendered.some((text) => text.includes(secret.toLowerCase()))) {
      return { clear: false, why: 'a secret appears in the error' };
    }
  }
  return { clear: true };
}

/** Every way an error reaches a person: message, stack, util.inspect (Node-RED's log), JSON (msg.error). */
export function renderings(error: Error): string[] {
  let json = '';
  try {
    json = JSON.stringify(error);
  } catch {
    json = '';
  }
  return [error.message, error.stack ?? '', inspect(error, { depth: 6 }), json];
}
