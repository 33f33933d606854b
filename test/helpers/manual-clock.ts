import type { Clock } from '../../src/lib/clock';

/**
 * A clock tests move by hand. sleep() resolves at once after advancing time, so back-off delays
 * cost no wall time while the code under test still sees them pass.
 */
export class ManualClock implements Clock {
  constructor(private current = Date.now()) {}
  readonly sleeps: number[] = [];
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(ms: number): void {
    this.current = ms;
  }
  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.current += ms;
    return new Promise((resolve) => setImmediate(resolve));
  }
}
