import type { FaultRule, SimulatorFault } from './types';

interface QueuedRule {
  fault: SimulatorFault;
  intent?: string;
  remaining: number;
}

/**
 * Faults are queued rules rather than a global switch so a test can script a sequence
 * ("the next refresh is lost, then everything works") and know exactly which request it hit.
 */
export class FaultQueue {
  private rules: QueuedRule[] = [];

  add(rule: FaultRule): void {
    const times = rule.times ?? 1;
    // A zero or fractional count would silently never fire or fire an unexpected number of times.
    if (!(times === Infinity || (Number.isInteger(times) && times >= 1))) {
      throw new RangeError('FaultRule.times must be a positive integer or Infinity');
    }
    validateFault(rule.fault);
    this.rules.push({ fault: { ...rule.fault }, intent: rule.intent, remaining: times });
  }

  clear(): void {
    this.rules = [];
  }

  /** The first rule matching this intent fires once and is used up when its count reaches zero. */
  take(intent: string): SimulatorFault | undefined {
    const index = this.rules.findIndex((rule) => rule.intent === undefined || rule.intent === intent);
    if (index < 0) return undefined;
    const rule = this.rules[index];
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules.splice(index, 1);
    return rule.fault;
  }

  get size(): number {
    return this.rules.length;
  }
}

function validateFault(fault: SimulatorFault): void {
  if (fault.kind === 'delay' && !(Number.isFinite(fault.ms) && fault.ms >= 0)) {
    throw new RangeError('delay fault needs a finite ms >= 0');
  }
  if (fault.kind === 'code' && !Number.isInteger(fault.code)) {
    throw new RangeError('code fault needs an integer code');
  }
}
