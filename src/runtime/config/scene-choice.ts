import { looksLikeSceneId } from '../../lib/aqara/intents/scenes';
import type { Translate } from '../node-red-api';

/** Why no scene could be picked: none given (or not a string), or a name the config does not know. */
export class SceneChoiceError extends Error {
  readonly reason: 'missing' | 'unknown';

  constructor(reason: 'missing' | 'unknown', message: string) {
    super(message);
    this.reason = reason;
  }
}

/** A scene to run: Aqara's id, and what the user called it (the name, or the id when none was used). */
export interface ResolvedScene {
  sceneId: string;
  scene: string;
}

/**
 * The config node's `scenes` property as a map of name -> id. Anything that is not a non-empty string
 * pair is dropped: the property comes from flows.json, which people also edit by hand.
 */
export function readSceneMap(raw: unknown): ReadonlyMap<string, string> {
  const scenes = new Map<string, string>();
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return scenes;
  for (const [name, id] of Object.entries(raw)) {
    if (typeof id !== 'string') continue;
    const cleanName = name.trim();
    const cleanId = id.trim();
    if (cleanName !== '' && cleanId !== '') scenes.set(cleanName, cleanId);
  }
  return scenes;
}

/** Scene names come from the user; bounded so an error message stays readable. */
function quoted(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/**
 * Picks the scene for one message: `msg.scene` when present, else the node's property; a name from the
 * config's map, else a literal id. Throws a SceneChoiceError whose message tells the user what to fix.
 */
export function resolveScene(
  fromMessage: unknown,
  fromProperty: string,
  scenes: ReadonlyMap<string, string>,
  t: Translate,
): ResolvedScene {
  let requested: string;
  if (fromMessage === undefined || fromMessage === null) {
    requested = fromProperty.trim();
    if (requested === '') throw new SceneChoiceError('missing', t('aqara-scene.errors.no-scene'));
  } else if (typeof fromMessage === 'string') {
    requested = fromMessage.trim();
    if (requested === '') throw new SceneChoiceError('missing', t('aqara-scene.errors.empty-msg-scene'));
  } else {
    const type = Array.isArray(fromMessage) ? 'array' : typeof fromMessage;
    throw new SceneChoiceError('missing', t('aqara-scene.errors.msg-scene-type', { type }));
  }

  const id = scenes.get(requested);
  if (id !== undefined) return { sceneId: id, scene: requested };
  if (looksLikeSceneId(requested)) return { sceneId: requested, scene: requested };

  const names = [...scenes.keys()];
  if (names.length === 0)
    throw new SceneChoiceError(
      'unknown',
      t('aqara-scene.errors.unknown-scene-none', { name: quoted(requested) }),
    );
  throw new SceneChoiceError(
    'unknown',
    t('aqara-scene.errors.unknown-scene', { name: quoted(requested), names: names.join(', ') }),
  );
}
