import { type AqaraConfigNode, attachToConfig } from '../runtime/config/config-node';
import { TOKEN_STATUS_EDITOR_SETTINGS, WARN_DAYS } from '../runtime/editor-settings';
import { quoteSetting, readNumberSetting } from '../runtime/number-setting';
import type { TokenEvent } from '../runtime/config/token-events';
import { configRuntime } from '../runtime/config/config-registry';
import {
  expiresWithin,
  failureTopic,
  type NoticeTopic,
  reauthorizationReason,
} from '../runtime/config/token-notices';
import type { Node, NodeAPI, NodeDef, NodeMessage, Translate } from '../runtime/node-red-api';
import { NodeTypes } from '.';

interface AqaraTokenStatusDef extends NodeDef {
  config?: unknown;
  emitOnChange?: unknown;
  warnDays?: unknown;
}

/** How often the refresh-token expiry estimate is looked at when nothing else happens. */
const EXPIRY_CHECK_MS = 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

export = function (RED: NodeAPI): void {
  const t: Translate = (key, substitutions) => RED._(key, substitutions);

  /**
   * Sends a message by itself whenever the token situation changes, so a flow can notify a person
   * without polling. Everything it holds (the subscription, timers, the start-up hook) ends on close.
   */
  function sendNotices(node: Node, config: AqaraConfigNode, warnMs: number): void {
    const runtime = configRuntime(config.id);
    const memory = runtime.noticeMemory(node.id);
    let closed = false;

    const send = (topic: NoticeTopic, error?: string): void => {
      // The status object is built for users (the admin route returns it): it carries no secret.
      const msg: NodeMessage = { topic, payload: config.tokenStatus() };
      // Only the text: the error object would carry Aqara's request details a flow has no use for.
      if (error !== undefined) msg.error = error;
      node.send(msg);
    };

    /** Runs from timers and Node-RED's events: an exception there would take Node-RED down. */
    const guarded =
      <A extends unknown[]>(work: (...args: A) => void) =>
      (...args: A): void => {
        if (closed) return;
        try {
          work(...args);
        } catch (error) {
          node.error(t('aqara-token-status.errors.notice-failed', { reason: String(error) }));
        }
      };

    const checkExpiry = guarded((): void => {
      const now = Date.now();
      if (!expiresWithin(config.tokenStatus(), now, warnMs)) {
        memory.clear('refresh_token_expiring');
      } else if (memory.claim('refresh_token_expiring', now)) {
        send('refresh_token_expiring');
      }
    });

    const handle = guarded((event: TokenEvent): void => {
      switch (event.type) {
        case 'refreshed':
          memory.clear('refresh_failed', 'reauthorization_needed');
          send('refreshed');
          return;
        case 'refresh-failed': {
          const topic = failureTopic(event.error);
          // A failing refresh is retried on every call: announce the condition, not each attempt.
          if (memory.claim(topic, Date.now())) send(topic, event.error.message);
          return;
        }
        case 'state':
          // A pasted token makes the manager ready without a refresh: the failure is over too.
          if (event.state === 'ready') memory.clear('refresh_failed', 'reauthorization_needed');
          checkExpiry();
          return;
      }
    });

    // The manager emits from inside its refresh, before its state settles; a turn later the status
    // sent along says what the refresh led to (e.g. state "ready", or "expired").
    const unsubscribe = config.onTokenEvent((event) => setImmediate(() => handle(event)));
    const timer = setInterval(checkExpiry, EXPIRY_CHECK_MS);
    // A warning check is no reason to keep a stopping Node-RED alive.
    timer.unref();

    /**
     * What already holds when this node starts: a failure of a refresh that ended while no notifying
     * node listened (e.g. during the deploy), or a token that was never pasted, would go unannounced.
     */
    const checkAfterDeploy = guarded((): void => {
      const status = config.tokenStatus();
      const reason = reauthorizationReason(status);
      if (reason !== undefined && memory.claim('reauthorization_needed', Date.now())) {
        send('reauthorization_needed', reason);
      }
      checkExpiry();
    });

    // The first check waits until the deploy has started every node, or its message could reach a
    // node that does not exist yet and be lost.
    RED.events.once('flows:started', checkAfterDeploy);

    node.on('close', (removed, done) => {
      closed = true;
      unsubscribe();
      clearInterval(timer);
      RED.events.off('flows:started', checkAfterDeploy);
      // Kept across redeploys so a deploy does not repeat today's notices; a removed node has none.
      if (removed) runtime.forgetNoticeMemory(node.id);
      done();
    });
  }

  /** Answers any message with the config's token status, the same object GET /aqara/token-status returns. */
  function setUp(node: Node, def: AqaraTokenStatusDef): void {
    const config = attachToConfig(RED, node, def.config, t('aqara-token-status.status.no-config'));

    if (config && (def.emitOnChange === true || def.emitOnChange === 'true')) {
      const warnDays = readNumberSetting(def.warnDays, WARN_DAYS);
      if (!warnDays.valid) {
        node.warn(
          t('aqara-token-status.warnings.bad-warn-days', {
            value: quoteSetting(def.warnDays),
            max: WARN_DAYS.max,
            fallback: WARN_DAYS.fallback,
          }),
        );
      }
      sendNotices(node, config, warnDays.value * DAY_MS);
    }

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

  RED.nodes.registerType(NodeTypes.tokenStatus, AqaraTokenStatus, { settings: TOKEN_STATUS_EDITOR_SETTINGS });
};
