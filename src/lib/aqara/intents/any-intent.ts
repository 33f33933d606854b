/**
 * Any intent of the Aqara Open API, for what no dedicated node covers (firmware, positions, IR
 * learning, whatever Aqara adds): signed, refreshed and counted like every other call, because it
 * goes through the same IntentCaller (the config's token manager and its quota guard).
 */
import type { AqaraResponse } from '../client';
import { kindByIntentPrefix } from '../quota-usage';
import type { IntentCaller } from './caller';

/**
 * Aqara's intent names: dot-separated words of letters and digits, each starting with a letter
 * (`query.ir.acState`, `config.scene.run`). Three words is the usual shape; the Matter intents have
 * four (`spec.config.trait.subscribe`), so a fourth is allowed.
 */
export const INTENT_PATTERN = /^[a-zA-Z][a-zA-Z0-9]*(\.[a-zA-Z][a-zA-Z0-9]*){1,3}$/;

/** Tokens belong to the token manager: an intent of this family would rotate them behind its back. */
const TOKEN_INTENTS = /^config\.auth\./i;

/** Why an intent is refused before anything is sent; the node words each. */
export type IntentProblem = 'missing' | 'shape' | 'tokens';

export function intentProblem(intent: unknown): IntentProblem | undefined {
  if (typeof intent !== 'string' || intent.trim() === '') return 'missing';
  if (!INTENT_PATTERN.test(intent)) return 'shape';
  if (TOKEN_INTENTS.test(intent)) return 'tokens';
  return undefined;
}

/**
 * Sends one intent whose name passed `intentProblem`. The quota guard counts it by its first word
 * (`query.*` and `fetch.*` as reads, anything else as a write); errors are the client's AqaraErrors,
 * with Aqara's code and message.
 */
export function callAnyIntent(caller: IntentCaller, intent: string, data: unknown): Promise<AqaraResponse> {
  return caller.call<unknown>(intent, data, kindByIntentPrefix(intent));
}
