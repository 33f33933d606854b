import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { DEDUPE_WINDOW_MS, PushJournal, UNEMITTED_KEEP_MS } from '../../src/lib/push/push-journal';
import { TokenStore } from '../../src/lib/tokens/store';
import { makeTempDir } from '../../support/temp-dir';

test('a msgId is new once and seen after; pending until marked emitted; per config', async (t) => {
  const dir = makeTempDir();
  t.after(dir.remove);
  let now = 1_700_000_000_000;
  const journal = PushJournal.open(join(dir.path, 'tokens.db'), { now: () => now });
  assert.equal(journal.record('c1', 'm1', { v: 1 }), 'new');
  assert.equal(journal.record('c1', 'm1', { v: 1 }), 'seen');
  assert.equal(journal.record('c2', 'm1', { v: 2 }), 'new');
  const both = await Promise.all([
    journal.recordSoon('c1', 'm2', { v: 3 }),
    journal.recordSoon('c1', 'm2', { v: 3 }),
  ]);
  assert.deepEqual(both, ['new', 'seen']);
  assert.deepEqual(
    journal.pending('c1').map((entry) => [entry.msgId, entry.message]),
    [
      ['m1', { v: 1 }],
      ['m2', { v: 3 }],
    ],
  );
  journal.markEmitted('c1', ['m1']);
  assert.deepEqual(
    journal.pending('c1').map((entry) => entry.msgId),
    ['m2'],
  );
  // Within the window a redelivery is still recognised after emission.
  now += DEDUPE_WINDOW_MS - 1;
  assert.equal(journal.record('c1', 'm1', {}), 'seen');
  // After it, emitted rows are pruned; an unemitted one stays until the long limit.
  now += 2;
  journal.prune();
  assert.equal(journal.record('c1', 'm1', {}), 'new');
  assert.deepEqual(
    journal.pending('c1').map((entry) => entry.msgId),
    ['m2', 'm1'],
  );
  now += UNEMITTED_KEEP_MS + 1;
  journal.prune();
  assert.equal(journal.count('c1'), 0);
  journal.forget('c2');
  assert.equal(journal.count('c2'), 0);
});

test('the journal shares the token file without disturbing it, and keeps its private mode', (t) => {
  const dir = makeTempDir();
  t.after(dir.remove);
  const path = join(dir.path, 'nested', 'tokens.db');
  PushJournal.open(path).record('c1', 'm1', {});
  const store = TokenStore.open(path);
  store.write('c1', 'r'.repeat(32), 'app');
  assert.equal(store.read('c1')?.refreshToken, 'r'.repeat(32));
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir.path, 'nested')).mode & 0o777, 0o700);
});

const CHILD = join(__dirname, '..', 'fixtures', 'push-journal-child.ts');

function runChild(args: string[], until: (lines: string[]) => boolean, kill: boolean): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: string[] = [];
    let buffer = '';
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not finish: ${lines.join('|')}`));
    }, 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      lines.push(...parts);
      if (kill && until(lines)) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      clearTimeout(deadline);
      if (kill ? signal === 'SIGKILL' : code === 0) resolve(lines);
      else reject(new Error(`child ended with ${code ?? signal}`));
    });
  });
}

test('a process killed (SIGKILL) right after acknowledging emits nothing; the restart emits each once', async (t) => {
  const dir = makeTempDir();
  t.after(dir.remove);
  const db = join(dir.path, 'tokens.db');
  const ids = ['m1', 'm2', 'm3', 'm4', 'm5'];
  const acked = await runChild([db, 'ack', 'cfg', ...ids], (lines) => lines.length === ids.length, true);
  assert.deepEqual(
    acked,
    ids.map((id) => `acked ${id} new`),
  );

  const first = await runChild([db, 'drain', 'cfg'], () => false, false);
  assert.deepEqual(first, [...ids.map((id) => `emit ${id}`), 'done']);
  const second = await runChild([db, 'drain', 'cfg'], () => false, false);
  assert.deepEqual(second, ['done']);
  // Aqara redelivering one of them after the restart: acknowledged as seen, never pending again.
  const again = await runChild([db, 'ack', 'cfg', 'm3', 'm6'], (lines) => lines.length === 2, true);
  assert.deepEqual(again, ['acked m3 seen', 'acked m6 new']);
  const third = await runChild([db, 'drain', 'cfg'], () => false, false);
  assert.deepEqual(third, ['emit m6', 'done']);
});

test('a mark is one append to a private file beside the database, folded into the table later', (t) => {
  const dir = makeTempDir();
  t.after(dir.remove);
  const path = join(dir.path, 'tokens.db');
  const journal = PushJournal.open(path);
  for (const id of ['m1', 'm2', 'm3']) journal.record('c1', id, { id });
  journal.markEmitted('c1', ['m1']);
  const marks = `${path}.push-emitted`;
  assert.equal(statSync(marks).mode & 0o777, 0o600);
  assert.ok(statSync(marks).size > 0);
  assert.deepEqual(
    journal.pending('c1').map((entry) => entry.msgId),
    ['m2', 'm3'],
  );
  // A line cut short (a full disk) is skipped: that push stays pending, so it is emitted again.
  appendFileSync(marks, '["c1","m2",');
  journal.prune();
  assert.equal(statSync(marks).size, 0, 'folded into the table, then emptied');
  assert.deepEqual(
    journal.pending('c1').map((entry) => entry.msgId),
    ['m2', 'm3'],
  );
});

test('the marks file is never opened through a link: marking fails instead of writing elsewhere', (t) => {
  const dir = makeTempDir();
  t.after(dir.remove);
  const path = join(dir.path, 'tokens.db');
  const journal = PushJournal.open(path);
  journal.record('c1', 'm1', {});
  const elsewhere = join(dir.path, 'elsewhere.txt');
  writeFileSync(elsewhere, 'untouched\n');
  symlinkSync(elsewhere, `${path}.push-emitted`);
  assert.throws(() => journal.markEmitted('c1', ['m1']), /mark pushes as emitted/);
  assert.equal(readFileSync(elsewhere, 'utf8'), 'untouched\n');
  assert.deepEqual(
    journal.pending('c1').map((entry) => entry.msgId),
    ['m1'],
    'still pending: emitted again rather than lost',
  );
});
