import type { AdminFuzzOptions } from './scenarios/admin-fuzz';
import type { CloudFaultOptions } from './scenarios/cloud-faults';
import type { CrashOptions } from './scenarios/crash';
import type { DbFaultOptions } from './scenarios/db-faults';
import type { GracefulStopOptions } from './scenarios/graceful-stop';
import type { ProcessesOptions } from './scenarios/processes';
import type { PushCrashOptions } from './scenarios/push-crash';

/**
 * How big each scenario runs. FULL is `npm run test:reliability` (about ten minutes on two cores);
 * FAST is the subset inside `npm test`: the same scenarios and the same assertions at small counts.
 */
export interface Preset {
  crash: Omit<CrashOptions, 'seed'>;
  gracefulStop: Omit<GracefulStopOptions, 'seed'>;
  processes: ProcessesOptions[];
  cloudFaults: CloudFaultOptions;
  dbFaults: DbFaultOptions;
  adminFuzz: Omit<AdminFuzzOptions, 'seed'>;
  pushCrash: Omit<PushCrashOptions, 'seed'>;
}

export const FULL: Preset = {
  crash: { kills: 200 },
  gracefulStop: { stops: 10 },
  processes: [
    { processes: 2, callersPerProcess: 8, durationMs: 15_000, expireEveryMs: 1000, expectNoFailedRuns: true },
    { processes: 4, callersPerProcess: 8, durationMs: 15_000, expireEveryMs: 1000, expectNoFailedRuns: true },
    // Stress: revocations faster than a full round of serialised refreshes.
    { processes: 4, callersPerProcess: 8, durationMs: 10_000, expireEveryMs: 200, expectNoFailedRuns: false },
  ],
  cloudFaults: { runsPerFault: 30, slowRunsPerFault: 10 },
  // The product's default busy timeout: the lock rows wait it out for real.
  dbFaults: { busyTimeoutMs: 5000 },
  adminFuzz: { requests: 10_000 },
  pushCrash: { kills: 50 },
};

export const FAST: Preset = {
  crash: { kills: 20 },
  gracefulStop: { stops: 2 },
  processes: [
    { processes: 2, callersPerProcess: 4, durationMs: 3000, expireEveryMs: 1000, expectNoFailedRuns: true },
    { processes: 4, callersPerProcess: 4, durationMs: 3000, expireEveryMs: 1000, expectNoFailedRuns: true },
  ],
  cloudFaults: { runsPerFault: 2, slowRunsPerFault: 1 },
  dbFaults: { busyTimeoutMs: 300 },
  adminFuzz: { requests: 600 },
  pushCrash: { kills: 3 },
};
