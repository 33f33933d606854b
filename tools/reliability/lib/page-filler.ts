import Database from 'better-sqlite3';

/**
 * Makes `PRAGMA max_page_count` bite. SQLite only fails with SQLITE_FULL when a write needs a NEW page;
 * the token row is rewritten in place, so a capped database would accept every token write and the
 * "full disk" would never be seen. Filling the table's page with a filler row (another config id) until
 * a few bytes are left means any write that grows a row - taking the refresh lease does - needs a page
 * the cap refuses. Opened directly, not through TokenStore: this is the test reaching into the file.
 */

const FILLER_CONFIG_ID = 'zz-reliability-filler';

export interface PageFill {
  /** Free bytes left on the table's page. */
  freeBytes: number;
  pages: number;
}

export function fillTokenPage(dbPath: string, leaveFreeBytes = 16): PageFill {
  const db = new Database(dbPath, { timeout: 5000 });
  try {
    const freeBytes = (): number => {
      const rows = db
        .prepare<[], { unused: number }>(
          "SELECT unused FROM dbstat WHERE name = 'aqara_tokens' AND pagetype = 'leaf'",
        )
        .all();
      if (rows.length !== 1) throw new Error(`expected the token table on one page, found ${rows.length}`);
      return rows[0].unused;
    };
    db.prepare(
      `INSERT INTO aqara_tokens (config_id, refresh_token, updated_at, app_id) VALUES (?, 'x', ?, 'filler')
       ON CONFLICT(config_id) DO UPDATE SET refresh_token = 'x'`,
    ).run(FILLER_CONFIG_ID, new Date().toISOString());
    let length = 1;
    // The record header's size changes with the value's length, so a couple of rounds settle it.
    for (let round = 0; round < 6; round++) {
      const free = freeBytes();
      if (free <= leaveFreeBytes && free >= 0) break;
      length = Math.max(1, length + free - leaveFreeBytes);
      db.prepare('UPDATE aqara_tokens SET refresh_token = ? WHERE config_id = ?').run(
        'f'.repeat(length),
        FILLER_CONFIG_ID,
      );
    }
    const pages = db.pragma('page_count', { simple: true }) as number;
    return { freeBytes: freeBytes(), pages };
  } finally {
    db.close();
  }
}

/** Removes the filler row again, so later scenarios see an ordinary database. */
export function removeFiller(dbPath: string): void {
  const db = new Database(dbPath, { timeout: 5000 });
  try {
    db.prepare('DELETE FROM aqara_tokens WHERE config_id = ?').run(FILLER_CONFIG_ID);
  } finally {
    db.close();
  }
}
