import type { PushMessage } from '../../lib/push/push-body';
import { checkPushSignature, checkPushToken, sameText } from '../../lib/push/push-checks';
import type { Logger } from '../../lib/logger';
import type { Translate } from '../node-red-api';
import { PushJournal, type PendingPush } from '../../lib/push/push-journal';
import type { AccountIdentity } from '../config/account-identity';
import { handOver, retainHandOver, type HandOverOutcome } from './hand-over';

/**
 * One per aqara-config id, owned by its ConfigRuntime like the token manager: Node-RED rebuilds the
 * config node on a full deploy, but a push arriving in between must still be written down and
 * acknowledged, then emitted to the new flow nodes. The hub takes a checked push body, writes it
 * to the journal, answers, and hands journaled pushes to the flow nodes that listen. A push is
 * marked emitted once Node-RED has given each message it caused to the next node (hand-over.ts),
 * not when node.send returns: Node-RED delivers on a later turn, and a crash in between would lose
 * it. A crash after the receive and before the mark emits it again after the restart (at least
 * once, with the same msgId), which beats losing it: Aqara never resends what got a 200.
 */

export interface PushHubSettings {
  /** Aqara's HTTP push is set up for this app. */
  enabled: boolean;
  /** Poll interval when no push arrives; 0 = never. */
  pollSeconds: number;
  /** The secret part of the push URL; undefined: the endpoint answers 404. */
  secret: string | undefined;
  /** Checks the `sign` header when Aqara sends one. */
  appKey: string;
  dbPath: string;
  logger: Logger;
  /** The config's message catalog: every line logged here is translated. */
  t: Translate;
  /** Makes the token manager fetch an access token, so the account's openId becomes known. */
  ensureIdentity: () => Promise<void>;
}

export type PushListener = (message: PushMessage) => void;

/** `closed`: the config stopped between the secret check and now. */
export type AcceptOutcome = 'accepted' | 'seen' | 'foreign' | 'bad-signature' | 'closed';

/** Listeners get pushes in slices this big, one slice per turn of the event loop. */
const DRAIN_SLICE = 100;
/** A warning of one kind at most this often per config: 10,000 hostile pushes make one line. */
const WARN_EVERY_MS = 60_000;
/** What a missing config is compared against, so an unknown id costs the same as a wrong secret. */
const DUMMY_SECRET = 'x'.repeat(43);

export class PushHub {
  settings: PushHubSettings | undefined;
  lastPushAt: number | undefined;
  private readonly listeners = new Set<PushListener>();
  /** Handed to the listeners, not yet received by the next nodes: a drain must not send them again. */
  private readonly inFlight = new Set<string>();
  private releaseHandOver: (() => void) | undefined;
  /**
   * Pushes journaled by this process since the last drain, in order: the drain hands these over
   * without reading back and re-parsing what it just wrote. The journal itself is read when it may
   * hold more: at the first listener, and after a drain that did not finish or a stale delivery.
   */
  private fresh: PendingPush[] = [];
  private readJournal = true;
  private drainsStarted = 0;
  private drainsFinished = 0;
  private drainWaiters: { after: number; resolve: () => void }[] = [];
  private draining = false;
  private drainAgain = false;
  private drainScheduled = false;
  private readonly warnedAt = new Map<string, { at: number; suppressed: number }>();

  constructor(
    readonly configId: string,
    private readonly identity: AccountIdentity,
  ) {}

  /** Constant time whatever the secrets' lengths; false while the config has no secret. */
  matchesSecret(given: string): boolean {
    const secret = this.settings?.secret;
    const match = sameText(given, secret ?? DUMMY_SECRET);
    return secret !== undefined && match;
  }

  /**
   * The push body is already parsed and bounded. Resolves once a new push is durable: only then
   * may it be acknowledged. Rejects when the journal cannot write it (the caller answers 5xx so
   * Aqara keeps it).
   */
  async accept(
    message: PushMessage,
    headers: Readonly<Record<string, string | string[] | undefined>>,
  ): Promise<AcceptOutcome> {
    const settings = this.settings;
    if (!settings) return 'closed';
    if (checkPushSignature(headers, settings.appKey) === 'invalid') {
      this.warn('signature');
      return 'bad-signature';
    }
    const identity = this.identity;
    if (identity.openId !== undefined && message.openId !== identity.openId) {
      this.warn('foreign');
      return 'foreign';
    }
    if (identity.accessTokens.length > 0 && checkPushToken(headers, identity.accessTokens) !== 'known') {
      // Not proof of forgery: another program on the same account may have refreshed since.
      this.warn('token');
    }
    const journal = PushJournal.open(settings.dbPath);
    const outcome = await journal.recordSoon(this.configId, message.msgId, message);
    this.lastPushAt = Date.now();
    if (outcome === 'seen') return 'seen';
    if (this.listeners.size > 0 && !this.readJournal)
      this.fresh.push({ msgId: message.msgId, receivedAt: this.lastPushAt, message });
    else this.readJournal = true;
    this.scheduleDrain();
    return 'accepted';
  }

  /** A flow node hears every push of this config until it calls the returned function. */
  listen(listener: PushListener): () => void {
    this.listeners.add(listener);
    this.releaseHandOver ??= retainHandOver();
    this.readJournal = true;
    // Pushes acknowledged while nobody listened (a redeploy, a restart) go out now.
    this.scheduleDrain();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size > 0) return;
      // Deliveries still under way settle on their own; the hooks go once they have.
      this.releaseHandOver?.();
      this.releaseHandOver = undefined;
    };
  }

  /** Pushes handed over whose messages have not reached the next node yet (tests, status). */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /**
   * Resolves once what is pending now has been handed to the listeners (the next drain has run):
   * a device watch lets its new nodes hear pending pushes before it reads their start values.
   */
  whenDrained(): Promise<void> {
    if (!this.draining && !this.drainScheduled) return Promise.resolve();
    // The drain under way may have read what is pending before the newest arrived: one more.
    if (this.draining) this.drainAgain = true;
    const after = this.drainsStarted + 1;
    return new Promise((resolve) => this.drainWaiters.push({ after, resolve }));
  }

  private drainFinished(): void {
    this.drainsFinished += 1;
    const done = this.drainWaiters.filter((waiter) => waiter.after <= this.drainsFinished);
    if (done.length === 0) return;
    this.drainWaiters = this.drainWaiters.filter((waiter) => waiter.after > this.drainsFinished);
    for (const waiter of done) waiter.resolve();
  }

  private scheduleDrain(): void {
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.drainsStarted += 1;
    const settings = this.settings;
    if (!settings || this.listeners.size === 0) return this.drainFinished();
    this.draining = true;
    let finished = false;
    try {
      if (!this.identity.known) {
        // Without the account's openId a push for another account could not be told apart.
        try {
          await settings.ensureIdentity();
        } catch {
          settings.logger.warn(settings.t('aqara-config.push.no-identity'));
          return;
        }
      }
      const journal = PushJournal.open(settings.dbPath);
      let pending = this.fresh;
      this.fresh = [];
      if (this.readJournal) {
        // Everything accepted so far is committed, so the journal holds what `fresh` held too.
        this.readJournal = false;
        pending = journal.pending(this.configId);
      }
      for (let start = 0; start < pending.length; start += DRAIN_SLICE) {
        if (this.listeners.size === 0) return;
        const slice = pending.slice(start, start + DRAIN_SLICE);
        const openId = this.identity.openId;
        // Nothing of these reached a node (dropped, filtered, no wires): no crash can lose them.
        const done: string[] = [];
        for (const entry of slice) {
          if (this.inFlight.has(entry.msgId)) continue;
          const message = entry.message as PushMessage;
          if (openId !== undefined && message.openId !== openId) {
            this.warn('foreign');
            done.push(entry.msgId);
            continue;
          }
          const outcome = handOver(
            () => this.callListeners(message, settings),
            (late) => this.settled(entry.msgId, late),
          );
          if (outcome === 'pending') this.inFlight.add(entry.msgId);
          else if (outcome === 'stale') this.readJournal = this.drainAgain = true;
          else done.push(entry.msgId);
        }
        journal.markEmitted(this.configId, done);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      finished = true;
    } catch (error) {
      settings.logger.error(
        settings.t('aqara-config.push.journal-failed', {
          reason: error instanceof Error ? error.message : String(error),
        }),
      );
    } finally {
      this.draining = false;
      // What was taken from `fresh` and not handed over is still pending in the journal.
      if (!finished) this.readJournal = true;
      if (this.drainAgain) {
        this.drainAgain = false;
        this.scheduleDrain();
      }
      this.drainFinished();
    }
  }

  private callListeners(message: PushMessage, settings: PushHubSettings): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(message);
      } catch (error) {
        settings.logger.error(
          settings.t('aqara-config.push.listener-failed', {
            type: error instanceof Error ? error.name : typeof error,
          }),
        );
      }
    }
  }

  /** Called from Node-RED's postReceive hook (or the give-up sweep): must not throw. */
  private settled(msgId: string, outcome: HandOverOutcome): void {
    this.inFlight.delete(msgId);
    // Reached a node closed by a deploy: still pending in the journal, sent again to the new flow.
    if (outcome === 'stale') {
      this.readJournal = true;
      return this.scheduleDrain();
    }
    const settings = this.settings;
    if (!settings) return;
    try {
      PushJournal.open(settings.dbPath).markEmitted(this.configId, [msgId]);
    } catch (error) {
      settings.logger.error(
        settings.t('aqara-config.push.journal-failed', {
          reason: error instanceof Error ? error.message : String(error),
        }),
      );
    }
  }

  /** One line per kind per minute, saying how many were not logged in between. */
  private warn(kind: 'signature' | 'foreign' | 'token'): void {
    const settings = this.settings;
    if (!settings) return;
    const now = Date.now();
    const last = this.warnedAt.get(kind);
    if (last && now - last.at < WARN_EVERY_MS) {
      last.suppressed += 1;
      return;
    }
    this.warnedAt.set(kind, { at: now, suppressed: 0 });
    // Literal keys, so the catalog check sees each one.
    const text =
      kind === 'signature'
        ? settings.t('aqara-config.push.signature')
        : kind === 'foreign'
          ? settings.t('aqara-config.push.foreign')
          : settings.t('aqara-config.push.token');
    settings.logger.warn(
      last && last.suppressed > 0
        ? settings.t('aqara-config.push.more', { text, count: last.suppressed })
        : text,
    );
  }

  /** The config was removed: its journal rows go with it. */
  forgetJournal(): void {
    const settings = this.settings;
    if (!settings) return;
    try {
      PushJournal.open(settings.dbPath).forget(this.configId);
    } catch {
      // Nothing to keep for a removed config; an unreadable database is reported elsewhere.
    }
  }
}
