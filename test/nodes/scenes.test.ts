import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { looksLikeSceneId } from '../../src/lib/aqara/intents/scenes';
import { readSceneMap, resolveScene, SceneChoiceError } from '../../src/runtime/config/scene-choice';

const t = (key: string, subs?: Record<string, string | number>): string =>
  `${key} ${JSON.stringify(subs ?? {})}`;

describe('scene lookup', () => {
  it('reads only non-empty string pairs from the scenes property, trimmed', () => {
    const map = readSceneMap({ ' a ': ' AL.1 ', b: 2, c: '', '': 'AL.3', d: null, e: 'AL.5' });
    assert.deepEqual(
      [...map],
      [
        ['a', 'AL.1'],
        ['e', 'AL.5'],
      ],
    );
    for (const junk of [null, undefined, 'x', 42, ['AL.1']]) assert.equal(readSceneMap(junk).size, 0);
  });

  it('a scene called __proto__ is just a name', () => {
    const map = readSceneMap(JSON.parse('{"__proto__": "AL.9"}'));
    assert.equal(map.get('__proto__'), 'AL.9');
    assert.deepEqual(resolveScene('__proto__', '', map, t), { sceneId: 'AL.9', scene: '__proto__' });
  });

  it('tells ids from names', () => {
    for (const id of ['AL.123', 'al.123', 'lumi.158d0001', 'x.y']) assert.ok(looksLikeSceneId(id), id);
    for (const name of ['tv_warning', 'movie night', 'AL123']) assert.ok(!looksLikeSceneId(name), name);
  });

  it('msg.scene wins over the property; a name beats an id-looking text', () => {
    const map = readSceneMap({ 'night.mode': 'AL.7', day: 'AL.8' });
    assert.deepEqual(resolveScene(undefined, 'day', map, t), { sceneId: 'AL.8', scene: 'day' });
    assert.deepEqual(resolveScene('night.mode', 'day', map, t), { sceneId: 'AL.7', scene: 'night.mode' });
    assert.deepEqual(resolveScene(null, ' AL.5 ', map, t), { sceneId: 'AL.5', scene: 'AL.5' });
  });

  it('says what is missing or unknown', () => {
    const map = readSceneMap({ a: 'AL.1' });
    const reason = (fn: () => unknown): string => {
      try {
        fn();
      } catch (error) {
        assert.ok(error instanceof SceneChoiceError);
        return `${error.reason}: ${error.message}`;
      }
      throw new Error('did not throw');
    };
    assert.match(
      reason(() => resolveScene(undefined, '  ', map, t)),
      /^missing: aqara-scene\.errors\.no-scene/,
    );
    assert.match(
      reason(() => resolveScene('', 'a', map, t)),
      /^missing: aqara-scene\.errors\.empty-msg-scene/,
    );
    assert.match(
      reason(() => resolveScene(['a'], 'a', map, t)),
      /^missing: .*msg-scene-type.*"type":"array"/,
    );
    assert.match(
      reason(() => resolveScene('b', '', map, t)),
      /^unknown: .*unknown-scene .*"name":"\\"b\\"","names":"a"/,
    );
    assert.match(
      reason(() => resolveScene('b', '', new Map(), t)),
      /^unknown: .*unknown-scene-none/,
    );
  });
});
