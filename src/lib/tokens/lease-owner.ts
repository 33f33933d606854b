import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/** Lease owners made by this process: a holder with our identity and pid but not in here died before us. */
const ownLeaseOwners = new Set<string>();

/** Stands for a namespace or boot this process cannot name: it never equals anything, so proves nothing. */
const UNKNOWN = '?';

function readProcText(read: () => string): string {
  try {
    return read().trim() || UNKNOWN;
  } catch {
    return UNKNOWN;
  }
}

/**
 * What makes a pid mean the same process to two processes: the same host, the same pid namespace and
 * the same boot. Containers with host networking share the hostname but not the pid namespace, and two
 * machines with a default hostname (and the initial pid namespace's fixed inode) differ only in their
 * boot id. Where /proc cannot say, nothing is proved and a lease is waited out.
 */
const pidScope = ((): string => {
  const namespace = readProcText(() => readlinkSync('/proc/self/ns/pid').replace(/^pid:\[(\d+)\]$/, '$1'));
  const boot = readProcText(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8'));
  return `${hostname()}/${namespace}/${boot}`;
})();

/**
 * A lease owner names its pid scope and pid, `host/pidns/boot/pid/instance`, so a lease left by a
 * killed process can be taken over at once when that is provable.
 */
export function newLeaseOwner(instance: string): string {
  const owner = `${pidScope}/${process.pid}/${instance}`;
  ownLeaseOwners.add(owner);
  return owner;
}

/**
 * Alive unless provably dead: any doubt (another host, namespace or boot, an older format) waits for
 * expiry. A holder on another host of a shared database is never provably dead from here.
 */
export function isLeaseHolderAlive(holder: string): boolean {
  const parts = holder.split('/');
  if (parts.length !== 5) return true;
  const [host, namespace, boot, pidText] = parts;
  if (`${host}/${namespace}/${boot}` !== pidScope || pidScope.includes(UNKNOWN)) return true;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return true;
  // A restarted container often gets the same pid again: the old process's lease is not ours.
  if (pid === process.pid) return ownLeaseOwners.has(holder);
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
