/** One line of the results table. Times are shown for context; the ratio is the figure that counts. */
export interface ResultRow {
  /** What was measured, e.g. "5,000 sequential scene runs". */
  measure: string;
  /** The package's figure, formatted (e.g. "1.52 s", "312 µs/call"). */
  ours: string;
  /** The baseline's figure measured in the same run, formatted. */
  baseline: string;
  /** e.g. "1.04 (1.01–1.08)": the median ratio and the spread over rounds. */
  ratio: string;
  /** e.g. "≤ 1.10"; empty when the row only informs. */
  goal: string;
  /** undefined for informational rows. */
  met: boolean | undefined;
}

export interface ScenarioResult {
  title: string;
  rows: ResultRow[];
  /** Markdown bullet lines: what the baseline is, how it was driven, anything odd seen while running. */
  notes: string[];
  /** Every raw number, kept in the JSON file next to the report. */
  raw: unknown;
}
