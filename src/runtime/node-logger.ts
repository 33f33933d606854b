import type { Logger } from '../lib/logger';
import type { Node } from './node-red-api';

/**
 * Routes the library's log lines to a node's own log, so Node-RED prefixes them with the node's type
 * and name. `error` uses node.error without a message, which logs but never triggers Catch nodes:
 * a failed background refresh is not a flow message's failure.
 */
export function nodeLogger(node: Node): Logger {
  return {
    debug: (message) => node.debug(message),
    info: (message) => node.log(message),
    warn: (message) => node.warn(message),
    error: (message) => node.error(message),
  };
}
