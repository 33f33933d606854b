import type { DeviceService } from '../../lib/aqara/intents/device-service';
import type { TokenManager } from '../../lib/tokens/manager';
import { attachToConfig } from '../config/config-node';
import { ConfigProblemError } from '../config/config-spec';
import type { NodeText } from './device-input';
import { configRuntime } from '../config/config-registry';
import type { ConfigRuntime } from '../config/config-runtime';
import { deviceFailureStatus } from './device-status';
import type { Node, NodeAPI, NodeMessage, NodeStatus, SendFunction } from '../node-red-api';

/**
 * The frame every node that acts on a message shares: no config, bad input or an unusable config
 * ends the message with a clear error before any call; then one request to one of the account's
 * services (the device service unless the node names another: its IR or automation service, or
 * the token manager itself), whose failure turns the status red. The node supplies only what differs.
 */
export interface DeviceRequest<Input, Result, Service = DeviceService> {
  /** Reads the node's properties and the msg's overrides; throws a DeviceInputError on bad input. */
  read(msg: NodeMessage): Input;
  /** Which of the config's services the request runs on (default: the device service). */
  service?(runtime: ConfigRuntime, manager: TokenManager): Service;
  run(service: Service, input: Input): Promise<Result>;
  /** Fills the msg from the result and sends it; throwing or returning an Error fails the msg. */
  deliver(msg: NodeMessage, result: Result, input: Input, show: (status: NodeStatus) => void): Error | void;
  /** The node's own status word for a failure, when it has one (else the device nodes' words). */
  failureKey?(error: unknown): string | undefined;
}

export function handleDeviceRequests<Input, Result, Service = DeviceService>(
  RED: NodeAPI,
  node: Node,
  configId: unknown,
  text: NodeText,
  request: DeviceRequest<Input, Result, Service>,
): void {
  const t = text.t;
  const config = attachToConfig(RED, node, configId, t(`${text.type}.status.no-config`));
  let closed = false;
  // A request still running when the node is redeployed must not paint the new node's status.
  const show = (status: NodeStatus): void => {
    if (!closed) node.status(status);
  };
  const fail = (error: unknown): Error => {
    show(deviceFailureStatus(error, text, request.failureKey?.(error)));
    return error instanceof Error ? error : new Error(String(error));
  };

  node.on('input', (msg, send: SendFunction, done) => {
    if (!config) return done(new Error(t(`${text.type}.errors.no-config`)));
    let input: Input;
    try {
      input = request.read(msg);
    } catch (error) {
      return done(fail(error));
    }
    let service: Service;
    try {
      const manager = config.tokenManager();
      const runtime = configRuntime(config.id);
      // Without a selector Service is DeviceService (the type's default).
      service = request.service
        ? request.service(runtime, manager)
        : (runtime.deviceService(manager) as Service);
    } catch (error) {
      // The config's own red status already names the problem (e.g. "App Key missing").
      if (error instanceof ConfigProblemError) show(config.currentStatus());
      return done(error as Error);
    }
    request.run(service, input).then(
      (result) => {
        let problem: Error | void;
        try {
          problem = request.deliver(msg, result, input, show);
        } catch (error) {
          problem = error instanceof Error ? error : new Error(String(error));
        }
        if (problem) return done(fail(problem));
        send(msg);
        done();
      },
      (error: unknown) => done(fail(error)),
    );
  });

  node.on('close', (_removed, done) => {
    closed = true;
    done();
  });
}
