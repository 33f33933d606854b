/**
 * What every scenario hands back: its figures (what the report tabulates) and its violations (broken
 * promises, each in words). The fast test asserts there are none; the full run prints them and fails.
 */
export interface ScenarioOutcome<F> {
  figures: F;
  violations: string[];
  /** Observations worth reading that are not failures (e.g. a limit of the method). */
  notes: string[];
  durationMs: number;
}

/** Collects violations without letting one scenario's long list drown the report. */
export class Findings {
  readonly violations: string[] = [];
  readonly notes: string[] = [];
  private readonly counts = new Map<string, number>();

  /** Records a broken promise; identical texts after the fifth are counted, not repeated. */
  violation(text: string): void {
    const seen = (this.counts.get(text) ?? 0) + 1;
    this.counts.set(text, seen);
    if (seen <= 5) this.violations.push(text);
    else if (seen === 6) this.violations.push(`(the violation above repeats; further copies not listed)`);
  }

  check(condition: boolean, text: string): void {
    if (!condition) this.violation(text);
  }

  note(text: string): void {
    if (!this.notes.includes(text)) this.notes.push(text);
  }
}

/** The outcome a scenario returns once it is done: its figures, what it found and how long it took. */
export function scenarioOutcome<F>(figures: F, findings: Findings, started: number): ScenarioOutcome<F> {
  return {
    figures,
    violations: findings.violations,
    notes: findings.notes,
    durationMs: performance.now() - started,
  };
}
