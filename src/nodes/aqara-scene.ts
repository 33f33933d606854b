import { AqaraError, isAqaraError } from '../lib/aqara/errors';
import { isSceneNotFound, runScene } from '../lib/aqara/intents/scenes';
import { attachToConfig } from '../runtime/config/config-node';
import { ConfigProblemError } from '../runtime/config/config-spec';
import { resolveScene, SceneChoiceError, type ResolvedScene } from '../runtime/config/scene-choice';
import { aqaraFailureKey, shortStatusText } from '../runtime/node-status';
import type { Node, NodeAPI, NodeDef, NodeStatus, Translate } from '../runtime/node-red-api';
import { NodeTypes } from '.';

interface AqaraSceneDef extends NodeDef {
  config?: unknown;
  scene?: unknown;
}

/** How long "ran <scene>" stays before the node shows its config's token state again. */
const SUCCESS_STATUS_MS = 3000;

/** A few words for the status: which kind of failure, never its details (those go to done(err)). */
function failureStatusKey(error: unknown): string {
  if (error instanceof SceneChoiceError) return error.reason === 'missing' ? 'no-scene' : 'unknown-scene';
  if (!isAqaraError(error)) return 'failed';
  if (isSceneNotFound(error)) return 'unknown-scene';
  return aqaraFailureKey(error, 'bad-request');
}

export = function (RED: NodeAPI): void {
  const t: Translate = (key, substitutions) => RED._(key, substitutions);

  /**
   * The error handed to done(err): the library's clear text, prefixed with the scene so a Catch node
   * knows which one failed. Aqara's kind and code stay on it (Node-RED copies `code` to msg.error.code).
   */
  function runFailure(error: unknown, target: ResolvedScene): Error {
    const scene = JSON.stringify(target.scene);
    if (isAqaraError(error)) {
      return new AqaraError(t('aqara-scene.errors.run-failed', { scene, reason: error.message }), {
        kind: error.kind,
        code: error.code,
        requestId: error.requestId,
        intent: error.intent,
        answerLost: error.answerLost,
      });
    }
    const reason = error instanceof Error ? error.message : String(error);
    return new Error(t('aqara-scene.errors.run-failed', { scene, reason }));
  }

  function setUp(node: Node, def: AqaraSceneDef): void {
    const sceneProperty = typeof def.scene === 'string' ? def.scene : '';
    const config = attachToConfig(RED, node, def.config, t('aqara-scene.status.no-config'));
    let restoreTimer: NodeJS.Timeout | undefined;
    let closed = false;
    /** "ran <scene>" per scene, translated once: a lookup cost about 60 µs on every run of a burst. */
    const ranTexts = new Map<string, string>();
    const ranText = (scene: string): string => {
      let text = ranTexts.get(scene);
      if (text === undefined) {
        text = shortStatusText(t('aqara-scene.status.ran', { scene }));
        // Scene names come from msg.scene too: a flow sending new names every time must not grow this.
        if (ranTexts.size >= 100) ranTexts.clear();
        ranTexts.set(scene, text);
      }
      return text;
    };

    const show = (status: NodeStatus): void => {
      if (restoreTimer) clearTimeout(restoreTimer);
      restoreTimer = undefined;
      if (!closed) node.status(status);
    };
    const showFailure = (error: unknown): void =>
      show({ fill: 'red', shape: 'ring', text: t(`aqara-scene.status.${failureStatusKey(error)}`) });

    node.on('input', (msg, send, done) => {
      if (!config) {
        done(new Error(t('aqara-scene.errors.no-config')));
        return;
      }
      let target: ResolvedScene;
      try {
        target = resolveScene(msg.scene, sceneProperty, config.scenes, t);
      } catch (error) {
        showFailure(error);
        done(error as Error);
        return;
      }
      let manager;
      try {
        manager = config.tokenManager();
      } catch (error) {
        // The config's own red status already names the problem (e.g. "App Key missing").
        if (error instanceof ConfigProblemError) show(config.currentStatus());
        else showFailure(error);
        done(error as Error);
        return;
      }
      runScene(manager, target.sceneId).then(
        ({ requestId, result }) => {
          msg.payload = { sceneId: target.sceneId, scene: target.scene, requestId, result };
          show({ fill: 'green', shape: 'dot', text: ranText(target.scene) });
          if (!closed) {
            restoreTimer = setTimeout(() => {
              restoreTimer = undefined;
              node.status(config.currentStatus());
            }, SUCCESS_STATUS_MS);
          }
          send(msg);
          done();
        },
        (error: unknown) => {
          showFailure(error);
          done(runFailure(error, target));
        },
      );
    });

    node.on('close', (_removed, done) => {
      closed = true;
      if (restoreTimer) clearTimeout(restoreTimer);
      restoreTimer = undefined;
      done();
    });
  }

  function AqaraScene(this: Node, def: AqaraSceneDef): void {
    RED.nodes.createNode(this, def);
    setUp(this, def);
  }

  RED.nodes.registerType(NodeTypes.scene, AqaraScene);
};
