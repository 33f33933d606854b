import type { AqaraError } from '../lib/aqara/errors';
import type { TokenState } from '../lib/tokens/manager';
import type { ConfigProblem } from './config/config-spec';
import type { Node, NodeStatus, Translate } from './node-red-api';

/*
 * What flow nodes show under themselves (Node-RED's node status), as opposed to the token status
 * object of src/lib/tokens/status.ts that the admin route and aqara-token-status return.
 */

/** Node-RED draws status text under the node; longer than this runs into its neighbours. */
export const MAX_STATUS_LENGTH = 20;

/** Cuts text to the status length. Used for anything built from user input (scene names). */
export function shortStatusText(text: string): string {
  return text.length <= MAX_STATUS_LENGTH ? text : `${text.slice(0, MAX_STATUS_LENGTH - 1)}…`;
}

/**
 * What a flow node shows for the token state of its config: green when scenes can run, yellow while
 * waiting for something that may resolve by itself or needs a first token, red when a person must act.
 */
export function tokenStateStatus(state: TokenState, t: Translate): NodeStatus {
  switch (state) {
    case 'ready':
      return { fill: 'green', shape: 'dot', text: t('aqara-config.status.ready') };
    case 'no_token':
      return { fill: 'yellow', shape: 'ring', text: t('aqara-config.status.no-token') };
    case 'refreshing':
      return { fill: 'yellow', shape: 'ring', text: t('aqara-config.status.refreshing') };
    case 'expired':
      return { fill: 'red', shape: 'ring', text: t('aqara-config.status.expired') };
    case 'auth_error':
      return { fill: 'red', shape: 'ring', text: t('aqara-config.status.auth-error') };
    case 'error':
      return { fill: 'red', shape: 'ring', text: t('aqara-config.status.error') };
  }
}

/** A config node that cannot build a token manager shows why, in red, on every node that uses it. */
export function problemStatus(problem: ConfigProblem, t: Translate): NodeStatus {
  return { fill: 'red', shape: 'ring', text: t(`aqara-config.status.${problem}`) };
}

/**
 * One config node's status, pushed to every flow node that registered with it (the pattern of
 * Node-RED's MQTT broker node). The last status is kept so a node that registers later, or that
 * showed something of its own for a while, can show the config's state again.
 */
export class StatusFanout {
  private readonly users = new Set<Node>();
  private last: NodeStatus = {};

  get current(): NodeStatus {
    return this.last;
  }

  add(user: Node): void {
    this.users.add(user);
    user.status(this.last);
  }

  remove(user: Node): void {
    this.users.delete(user);
  }

  publish(status: NodeStatus): void {
    this.last = status;
    for (const user of this.users) user.status(status);
  }

  /** Forgets every user, so a closed config node keeps no reference to the nodes of an old deploy. */
  clear(): void {
    this.users.clear();
  }
}

/**
 * The few words every flow node shows for an Aqara failure (its details go to done(err)). `callerKey`
 * is the node's own word for a request refused before or by Aqara as malformed.
 */
export function aqaraFailureKey(error: AqaraError, callerKey: string): string {
  if (error.code === 429) return 'rate-limited';
  if (error.answerLost) return 'no-answer';
  switch (error.kind) {
    case 'not_configured':
      return 'no-token';
    case 'refresh_token':
      return 'token-expired';
    case 'app_credentials':
    case 'access_token':
      return 'auth-error';
    case 'transient':
      return 'unreachable';
    case 'caller':
      return callerKey;
    case 'rejected':
      return 'refused';
    case 'storage':
      return 'storage-error';
  }
}
