import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './bench-paths';

/** What the figures were measured on: ratios travel between machines better than times, but not perfectly. */
export interface MachineDescription {
  os: string;
  cpuModel: string;
  /** Logical cores the process may use (availableParallelism honours CPU affinity and cgroup limits). */
  cores: number;
  memoryGiB: number;
  node: string;
  nodeRed: string;
}

/** The distribution's own name when there is one: "Linux 6.8" alone does not say much. */
function osName(): string {
  const kernel = `${os.type()} ${os.release()} ${os.arch()}`;
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(release)?.[1];
    return pretty ? `${pretty} (${kernel})` : kernel;
  } catch {
    return kernel;
  }
}

/** The Node-RED the benchmarks start is the repository's devDependency, whatever is installed globally. */
function nodeRedVersion(): string {
  try {
    const manifest: unknown = JSON.parse(
      readFileSync(join(REPO_ROOT, 'node_modules', 'node-red', 'package.json'), 'utf8'),
    );
    const version = (manifest as { version?: unknown }).version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'not installed';
  }
}

export function describeMachine(): MachineDescription {
  const cpus = os.cpus();
  return {
    os: osName(),
    cpuModel: cpus[0]?.model.trim() || 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    nodeRed: nodeRedVersion(),
  };
}
