import { AqaraSimulator, DEFAULT_APP, DEFAULT_SCENES, type SimulatorScene } from '../../simulator/server';
import { HOST, SIMULATOR_PORT, SIMULATOR_STATE_FILE } from './demo-paths';

/**
 * The demo's stand-in for Aqara's cloud. Its token ledger is persisted, so the refresh token Node-RED
 * holds (rotated on every refresh) is still valid after the demo restarts.
 */

export const DEMO_APP = DEFAULT_APP;
/** The TV scenes the README and the aqara-test tool talk about. */
export const DEMO_SCENES: readonly SimulatorScene[] = DEFAULT_SCENES;

export interface DemoSimulator {
  simulator: AqaraSimulator;
  url: string;
  /** False when the fixed port was taken and the OS picked another one. */
  onPreferredPort: boolean;
}

export async function startDemoSimulator(): Promise<DemoSimulator> {
  const simulator = new AqaraSimulator({
    apps: [DEMO_APP],
    scenes: [...DEMO_SCENES],
    stateFile: SIMULATOR_STATE_FILE,
    host: HOST,
  });
  try {
    return { simulator, url: await simulator.start(SIMULATOR_PORT), onPreferredPort: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    return { simulator, url: await simulator.start(0), onPreferredPort: false };
  }
}
