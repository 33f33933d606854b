import { NodeRedProcess, type NodeRedSettings } from '../../lib/node-red-process';
import { BENCH_SETTINGS, makeUserDir, type UserDir } from './user-dir';
import type { FlowNode } from './flows';

/** A running Node-RED child with its own user directory; stop() ends the process and removes the folder. */
export interface BenchNodeRed {
  red: NodeRedProcess;
  userDir: UserDir;
  stop(): Promise<void>;
}

export async function startNodeRed(options: {
  withPackage: boolean;
  flows?: FlowNode[];
  /** Merged over BENCH_SETTINGS. */
  settings?: NodeRedSettings;
}): Promise<BenchNodeRed> {
  const userDir = makeUserDir(options);
  let red: NodeRedProcess;
  try {
    red = await NodeRedProcess.start({
      userDir: userDir.path,
      settings: { ...BENCH_SETTINGS, ...options.settings },
    });
  } catch (error) {
    userDir.remove();
    throw error;
  }
  return {
    red,
    userDir,
    async stop() {
      await red.stop();
      userDir.remove();
    },
  };
}
