import { isAqaraError } from '../lib/aqara/errors';
import type { TokenManager } from '../lib/tokens/manager';
import { NOT_CONFIGURED_STATUS_MESSAGE, type TokenState, type TokenStatus } from '../lib/tokens/status';
import { TokenStore, TokenStoreError } from '../lib/tokens/store';
import type { AqaraConfigNode } from '../runtime/config/config-node';
import { configRuntime, removeConfigRuntime } from '../runtime/config/config-registry';
import type { DeployedConfig } from '../runtime/config/config-runtime';
import { buildManagerSpec, ConfigProblemError, resolveDbPath } from '../runtime/config/config-spec';
import { readSceneMap } from '../runtime/config/scene-choice';
import { TokenEventHub } from '../runtime/config/token-events';
import { CLOSE_WAIT_MS } from '../runtime/config/token-manager-holder';
import { CONFIG_EDITOR_SETTINGS } from '../runtime/editor-settings';
import { nodeLogger } from '../runtime/node-logger';
import type { Node, NodeAPI, NodeDef, Translate } from '../runtime/node-red-api';
import { problemStatus, StatusFanout, tokenStateStatus } from '../runtime/node-status';
import { armHandOver, type MessageHooks } from '../runtime/push/hand-over';
import { setUpPush } from '../runtime/push/push-settings';
import { registerRoutes } from '../runtime/routes';
import { stoppingForDeploy, watchStopReason } from '../runtime/stop-reason';
import { NodeTypes } from '.';

interface AqaraConfigDef extends NodeDef {
  region?: unknown;
  baseUrl?: unknown;
  appId?: unknown;
  keyId?: unknown;
  scenes?: unknown;
  keepAliveDays?: unknown;
  rateLimit?: unknown;
  push?: unknown;
  pollSeconds?: unknown;
}

/** The writable shape while the constructor fills it in; flow nodes only see AqaraConfigNode. */
type ConfigNodeUnderConstruction = { -readonly [K in keyof AqaraConfigNode]: AqaraConfigNode[K] };

/** Any failure while building the manager becomes a ConfigProblemError, so users get one kind of answer. */
function asProblem(error: unknown, t: Translate, label: string): ConfigProblemError {
  if (error instanceof ConfigProblemError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  if (isAqaraError(error) && error.kind === 'storage') {
    return new ConfigProblemError('storage', t('aqara-config.errors.storage', { name: label, reason }));
  }
  // e.g. the client refusing an App ID with characters Aqara never uses; its messages carry no secret.
  return new ConfigProblemError(
    'bad-settings',
    t('aqara-config.errors.bad-settings', { name: label, reason }),
  );
}

export = function (RED: NodeAPI): void {
  // What the package sets up in Node-RED once, with the config node type that every feature hangs on.
  registerRoutes(RED);
  // The close handler below needs to know whether the runtime stops for a deploy or for good.
  watchStopReason(RED.events);
  // Pushes are marked emitted once Node-RED's messaging hooks saw them received (hand-over.ts);
  // RED.hooks is in every supported Node-RED, left out of NodeAPI's hand-written type.
  armHandOver(RED as NodeAPI & { hooks?: MessageHooks });
  const t: Translate = (key, substitutions) => RED._(key, substitutions);

  function setUp(node: ConfigNodeUnderConstruction, def: AqaraConfigDef): void {
    const runtime = configRuntime(def.id);
    const label = typeof def.name === 'string' && def.name.trim() !== '' ? def.name.trim() : def.id;
    const fanout = new StatusFanout();
    let manager: TokenManager | undefined;
    let problem: ConfigProblemError | undefined;
    let dbPath: string | undefined;

    try {
      dbPath = resolveDbPath(RED.settings, t);
      const spec = buildManagerSpec(
        {
          id: def.id,
          label,
          region: def.region,
          baseUrl: def.baseUrl,
          appId: def.appId,
          keyId: def.keyId,
          appKey: node.credentials?.appKey,
          keepAliveDays: def.keepAliveDays,
          rateLimit: def.rateLimit,
        },
        dbPath,
        t,
        (message) => node.warn(message),
      );
      manager = runtime.tokens.acquire(spec, node, nodeLogger(node));
    } catch (error) {
      problem = asProblem(error, t, label);
      // Said once at deploy; every message sent to a user node repeats it through done(err).
      node.warn(problem.message);
      // Only the log names the database's full path and SQLite's own words.
      if (error instanceof TokenStoreError) node.log(error.logDetail);
    }

    // The only listeners this node puts on the manager; the hub forwards to the status fan-out and to
    // flow nodes that asked for token events (aqara-token-status), and is closed with this node.
    const events = new TokenEventHub((error) =>
      node.error(
        t('aqara-config.errors.subscriber-failed', {
          reason: error instanceof Error ? error.message : String(error),
        }),
      ),
    );
    const showState = (state: TokenState): void => fanout.publish(tokenStateStatus(state, t));
    events.subscribe((event) => {
      if (event.type === 'state') showState(event.state);
    });
    if (manager) {
      events.attach(manager);
      showState(manager.state);
    } else if (problem) {
      fanout.publish(problemStatus(problem.problem, t));
    }

    /** Without a manager the stored token can still be reported, so the editor shows what is there. */
    const unusableStatus = (reason: ConfigProblemError): TokenStatus => {
      let stored: Date | undefined;
      try {
        if (dbPath !== undefined && reason.problem !== 'storage')
          stored = TokenStore.open(dbPath).read(def.id)?.updatedAt;
      } catch {
        // The problem reported below is what matters; an unreadable database adds nothing.
      }
      if (!stored) {
        return {
          configured: false,
          message: NOT_CONFIGURED_STATUS_MESSAGE,
          last_error: reason.message,
          state: 'error',
          problem: reason.problem,
        };
      }
      return {
        configured: true,
        refresh_token_updated_at: stored.toISOString(),
        access_token_status: 'not_cached',
        access_token_expires_in_seconds: null,
        last_error: reason.message,
        state: 'error',
        problem: reason.problem,
      };
    };

    node.label = label;
    node.scenes = readSceneMap(def.scenes);
    node.register = (user: Node) => fanout.add(user);
    node.deregister = (user: Node) => fanout.remove(user);
    node.currentStatus = () => fanout.current;
    node.onTokenEvent = (listener) => events.subscribe(listener);
    node.tokenEventSubscribers = () => events.subscribers;
    // Without a manager there is always a problem; the fallback only satisfies the type checker.
    const why = (): ConfigProblemError =>
      problem ?? new ConfigProblemError('bad-settings', t('aqara-config.errors.unusable', { name: label }));
    node.tokenManager = () => {
      if (manager) return manager;
      throw why();
    };
    node.tokenStatus = () => (manager ? manager.status() : unusableStatus(why()));

    const deployedView: DeployedConfig = {
      id: def.id,
      label,
      tokenStatus: () => node.tokenStatus(),
      setRefreshToken: async (token) => node.tokenManager().pasteRefreshToken(token),
      tokenManager: () => node.tokenManager(),
    };
    runtime.deploy(deployedView);

    // Aqara's HTTP push for this config (push endpoint, journal, device-in listeners).
    setUpPush(runtime.pushHub(), def, node, manager, dbPath, node.credentials?.appKey ?? '', t);

    node.on('close', (removed, done) => {
      // Read at once: the runtime says why it stops just before it closes the nodes.
      const forDeploy = stoppingForDeploy(RED.events);
      // The manager may outlive this node (redeploy): nothing of this node may stay attached to it.
      events.close();
      runtime.undeploy(deployedView);
      fanout.clear();
      // A refresh in flight must get to store its rotated token, or Aqara rotates it with nobody left
      // to save it. A removed config closes its manager (and everything else it held), and a Node-RED
      // that is shutting down exits right after the flows stop: both wait (under Node-RED's 15 s close
      // limit). A deploy does not: the runtime keeps the manager (or lets a replaced one finish), so
      // the refresh still ends in the database, and the deploy is not held up for as long as Aqara
      // takes to answer.
      if (removed) {
        void removeConfigRuntime(def.id).then(() => done());
        return;
      }
      const refreshDone = manager && !forDeploy ? manager.idle(CLOSE_WAIT_MS) : Promise.resolve();
      void refreshDone.then(() => {
        runtime.tokens.release(node, false);
        done();
      });
    });
  }

  function AqaraConfig(this: ConfigNodeUnderConstruction, def: AqaraConfigDef): void {
    RED.nodes.createNode(this, def);
    setUp(this, def);
  }

  RED.nodes.registerType(NodeTypes.config, AqaraConfig, {
    // A password credential is never sent back to the editor and never written to flows.json.
    // pushSecret is part of the push URL the dialog shows for pasting into Aqara's console, hence text.
    credentials: { appKey: { type: 'password' }, pushSecret: { type: 'text' } },
    settings: CONFIG_EDITOR_SETTINGS,
  });
};
