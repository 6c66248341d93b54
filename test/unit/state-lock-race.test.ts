// Unit (real race, no root): many processes find the same dead owner's lock at the same instant and try to take it
// over; exactly one may win each round, and the lock then names the winner. Also the network lock (src/net/state.ts),
// whose holder writes a file while it holds it: no two holders may ever overlap.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readBootId } from '../../src/state/proc-identity.js';

const LOCK_JS = fileURLToPath(new URL('../../src/state/lock.js', import.meta.url));
const NET_JS = fileURLToPath(new URL('../../src/net/state.js', import.meta.url));
const BASE = mkdtempSync(join(tmpdir(), 'nsbox-lock-race-'));
test.after(() => rmSync(BASE, { recursive: true, force: true }));

const CONTENDERS = 8;

/**
 * Run `code` in CONTENDERS node processes that all start their attempt at the same wall-clock moment. Each one's
 * first stdout line is its result; once every contender has answered, `released` (a file) is created, so a winner
 * that waits for it holds the lock until nobody can still be trying (a contender slowed past `at` by a loaded host
 * must not find the winner already gone: a dead owner's lock is rightly taken over again).
 */
async function race(code: string, env: Record<string, string>, released?: string): Promise<string[]> {
  const at = Date.now() + 1500; // every process has started by then (node takes ~50 ms each)
  const script = `const at = ${at}; while (Date.now() < at) {} ${code}`;
  const exits: Promise<void>[] = [];
  const answers = await Promise.all(
    Array.from({ length: CONTENDERS }, () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          if (out.includes('\n')) resolve(out.split('\n')[0]!.trim());
        });
        child.on('error', reject);
        exits.push(new Promise((done) => child.on('exit', () => {
          resolve(out.trim());
          done();
        })));
      }),
    ),
  );
  if (released) writeFileSync(released, '');
  await Promise.all(exits);
  return answers;
}

test('a dead owner\'s box lock: of 8 processes taking it over at once, exactly one wins (5 rounds)', async () => {
  for (let round = 0; round < 5; round++) {
    const dir = join(BASE, `box-${round}`);
    mkdirSync(dir);
    const path = join(dir, 'lock');
    // Our own pid with a start time it never had: a dead owner (pid reuse is told apart by the start time).
    writeFileSync(path, `${process.pid} 1 ${readBootId()}\n`);
    // The winner keeps holding (stays alive) until every contender has answered, so a late one cannot call it stale.
    const released = join(dir, 'released');
    const results = await race(
      `const { tryLock } = await import(${JSON.stringify(LOCK_JS)}); const { existsSync } = await import('node:fs'); const won = tryLock(${JSON.stringify(path)}); console.log(won ? 'won ' + process.pid : 'lost'); if (won) for (const t = Date.now() + 60000; !existsSync(${JSON.stringify(released)}) && Date.now() < t;) await new Promise((r) => setTimeout(r, 20));`,
      {},
      released,
    );
    const winners = results.filter((r) => r.startsWith('won'));
    assert.is(winners.length, 1, `round ${round}: ${results.join(', ')}`);
    assert.is(readFileSync(path, 'utf8').split(' ')[0], winners[0]!.split(' ')[1], 'the lock names the winner');
  }
});

test('the network lock of a dead holder: holders never overlap', async () => {
  const dir = join(BASE, 'net');
  mkdirSync(join(dir, 'lock'), { recursive: true });
  writeFileSync(join(dir, 'lock', 'owner'), `${process.pid} 1\n`); // dead: wrong start time
  const log = join(BASE, 'net.log');
  writeFileSync(log, '');
  // Each holder appends "in" and "out" around a pause; an overlap shows as two "in" in a row.
  await race(
    `const { withNetLock } = await import(${JSON.stringify(NET_JS)}); const { appendFileSync } = await import('node:fs');
     withNetLock(${JSON.stringify(dir)}, () => { appendFileSync(${JSON.stringify(log)}, 'in\\n'); const t = Date.now() + 30; while (Date.now() < t) {} appendFileSync(${JSON.stringify(log)}, 'out\\n'); });`,
    {},
  );
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  assert.is(lines.length, CONTENDERS * 2, lines.join(' '));
  for (let i = 0; i < lines.length; i += 2) assert.equal([lines[i], lines[i + 1]], ['in', 'out'], `holders overlapped: ${lines.join(' ')}`);
});

test.run();
