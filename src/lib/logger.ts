/**
 * The library logs through this interface so Node-RED can route lines to node.log/warn/error
 * and tests can capture every line to prove no secret is ever written.
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
