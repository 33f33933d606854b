import { attachToConfig } from './config-node';
import type { Translate } from './status';
import type { Node, NodeAPI, NodeDef } from './types';

interface AqaraTokenStatusDef extends NodeDef {
  config?: unknown;
}

export = function (RED: NodeAPI): void {
  const t: Translate = (key, substitutions) => RED._(key, substitutions);

  /** Answers any message with the config's token status, the same object GET /aqara/token-status returns. */
  function setUp(node: Node, def: AqaraTokenStatusDef): void {
    const config = attachToConfig(RED, node, def.config, t('aqara-token-status.status.no-config'));

    node.on('input', (msg, send, done) => {
      if (!config) {
        done(new Error(t('aqara-token-status.errors.no-config')));
        return;
      }
      try {
        msg.payload = config.tokenStatus();
      } catch (error) {
        done(error as Error);
        return;
      }
      send(msg);
      done();
    });
  }

  function AqaraTokenStatus(this: Node, def: AqaraTokenStatusDef): void {
    RED.nodes.createNode(this, def);
    setUp(this, def);
  }

  RED.nodes.registerType('aqara-token-status', AqaraTokenStatus);
};
