import type { TokenManager } from '../../lib/tokens/manager';
import type { TokenStatus } from '../../lib/tokens/status';
import type { TokenEventListener } from './token-events';
import type { Node, NodeAPI, NodeStatus } from '../node-red-api';
import { NodeTypes } from '../../nodes';

/** What flow nodes see of a deployed aqara-config node. */
export interface AqaraConfigNode extends Node {
  /** The node's name, or its id when it has none: used in messages. */
  readonly label: string;
  /** Scene name -> Aqara scene id, as configured in this deploy. */
  readonly scenes: ReadonlyMap<string, string>;
  /** Flow nodes register to mirror the token state in their status, and deregister on close. */
  register(user: Node): void;
  deregister(user: Node): void;
  /** The token manager; throws ConfigProblemError (with a clear message) when the config is unusable. */
  tokenManager(): TokenManager;
  tokenStatus(): TokenStatus;
  /** The status the config currently gives its users, to return to after showing something else. */
  currentStatus(): NodeStatus;
  /**
   * Hears the token manager's state changes, refreshes and refresh failures for as long as this
   * config node runs (nothing when the config is unusable). Returns the unsubscribe, which a flow
   * node calls on its own close: a "nodes" deploy restarts it while the config keeps running.
   */
  onTokenEvent(listener: TokenEventListener): () => void;
  /** Live subscriptions (the config's own status mirror included): shows that none is left behind. */
  tokenEventSubscribers(): number;
}

/** The config node with this id, if one of the right type is deployed. */
export function findConfigNode(RED: NodeAPI, id: unknown): AqaraConfigNode | undefined {
  if (typeof id !== 'string' || id === '') return undefined;
  const node = RED.nodes.getNode(id);
  return node !== null && node.type === NodeTypes.config ? (node as AqaraConfigNode) : undefined;
}

/**
 * Registers a flow node with its config for the life of the node (deregistered on close, so no old
 * node is kept or updated after a redeploy). Without a config the node says so in red, right away.
 */
export function attachToConfig(
  RED: NodeAPI,
  node: Node,
  configId: unknown,
  noConfigText: string,
): AqaraConfigNode | undefined {
  const config = findConfigNode(RED, configId);
  if (!config) {
    node.status({ fill: 'red', shape: 'ring', text: noConfigText });
    return undefined;
  }
  config.register(node);
  node.on('close', (_removed, done) => {
    config.deregister(node);
    done();
  });
  return config;
}
