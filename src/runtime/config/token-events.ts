import type { AqaraError } from '../../lib/aqara/errors';
import type { TokenManager } from '../../lib/tokens/manager';
import type { TokenState } from '../../lib/tokens/status';

/** What a config node passes on from its token manager. */
export type TokenEvent =
  | { type: 'state'; state: TokenState }
  | { type: 'refreshed' }
  | { type: 'refresh-failed'; error: AqaraError };

export type TokenEventListener = (event: TokenEvent) => void;

/**
 * One config node's view of its manager's events. The manager outlives config nodes (it is kept
 * across redeploys), so flow nodes never listen to it directly: each config node instance adds
 * exactly one listener per event, forwards to its subscribers, and takes all of it away on close.
 * However many flow nodes subscribe and however often flows are redeployed, the manager's listener
 * count stays the same.
 */
export class TokenEventHub {
  private readonly listeners = new Set<TokenEventListener>();
  private detach: (() => void) | undefined;
  private readonly report: (error: unknown) => void;

  /** `report` hears of a subscriber that threw; the manager and the other subscribers carry on. */
  constructor(report: (error: unknown) => void) {
    this.report = report;
  }

  attach(manager: TokenManager): void {
    this.detach?.();
    const onState = (state: TokenState): void => this.publish({ type: 'state', state });
    const onRefreshed = (): void => this.publish({ type: 'refreshed' });
    const onFailed = (error: AqaraError): void => this.publish({ type: 'refresh-failed', error });
    manager.on('state', onState);
    manager.on('refreshed', onRefreshed);
    manager.on('refresh-failed', onFailed);
    this.detach = () => {
      manager.off('state', onState);
      manager.off('refreshed', onRefreshed);
      manager.off('refresh-failed', onFailed);
    };
  }

  /** Returns the unsubscribe; close() ends every subscription anyway. */
  subscribe(listener: TokenEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  /** Lets go of the manager and of every subscriber, so nothing of an old deploy is kept or called. */
  close(): void {
    this.detach?.();
    this.detach = undefined;
    this.listeners.clear();
  }

  /**
   * The manager emits from inside its refresh: a subscriber's exception must not reach it, or a
   * refresh that already rotated and saved the token would be reported to its caller as failed.
   */
  private publish(event: TokenEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.report(error);
      }
    }
  }
}
