import type Database from 'better-sqlite3';

/**
 * better-sqlite3 (a native addon) loads when the first database is opened, not when Node-RED loads
 * the package: a Node-RED with the package installed and no Aqara flow does not pay for it.
 */
export function openDatabase(path: string, options: Database.Options): Database.Database {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded late on purpose, see above
  const Sqlite = require('better-sqlite3') as typeof Database;
  return new Sqlite(path, options);
}
