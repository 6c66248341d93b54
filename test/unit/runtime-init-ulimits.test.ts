// The init's own ulimit lines for process.rlimits (init-ulimits.ts): only where setrlimit cannot refuse them, in
// dash's units and in an order that never puts the soft limit above the hard one; run for real with dash (lowering
// needs no privilege).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { initUlimitLines, parseProcLimits, type UlimitFacts } from '../../src/runtime/init-ulimits.js';
import type { OciRlimit } from '../../src/oci/container.js';

const own = parseProcLimits(['Limit                     Soft Limit           Hard Limit           Units', 'Max open files            20000                20000                files', 'Max processes             96363                96363                processes', 'Max core file size        0                    unlimited            bytes', 'Max stack size            8388608              unlimited            bytes', 'Max msgqueue size         819200               819200               bytes'].join('\n'));
const facts: UlimitFacts = { shell: 'dash', own, sysResource: false, nrOpen: 1048576 };
const lim = (name: OciRlimit['name'], soft: OciRlimit['soft'], hard: OciRlimit['hard']): OciRlimit => ({ name, soft, hard });

test('/proc/self/limits: numbers and unlimited, by prlimit\'s names', () => {
  assert.equal(own, { nofile: { soft: 20000, hard: 20000 }, nproc: { soft: 96363, hard: 96363 }, core: { soft: 0, hard: 'unlimited' }, stack: { soft: 8388608, hard: 'unlimited' }, msgqueue: { soft: 819200, hard: 819200 } });
});

test('equal soft and hard: one ulimit (both); a lowered hard limit: the soft one first; a kept or raised one: the hard one first; dash\'s units', () => {
  assert.equal(initUlimitLines([lim('nofile', 1024, 1024), lim('nproc', 32768, 32768)], facts), ['step ulimit -n 1024', 'step ulimit -p 32768']);
  assert.equal(initUlimitLines([lim('nofile', 100, 200)], facts), ['step ulimit -S -n 100', 'step ulimit -H -n 200']);
  assert.equal(initUlimitLines([lim('core', 0, 'unlimited')], facts), ['step ulimit -H -c unlimited', 'step ulimit -S -c 0']);
  assert.equal(initUlimitLines([lim('stack', 1048576, 2097152)], facts), ['step ulimit -S -s 1024', 'step ulimit -H -s 2048'], 'kbytes');
});

test('anything setrlimit could refuse, or dash cannot say, stays with prlimit from the host (undefined)', () => {
  assert.is(initUlimitLines([lim('nofile', 1024, 30000)], facts), undefined, 'a raise without CAP_SYS_RESOURCE');
  assert.equal(initUlimitLines([lim('nofile', 1024, 30000)], { ...facts, sysResource: true }), ['step ulimit -H -n 30000', 'step ulimit -S -n 1024'], 'with it');
  assert.is(initUlimitLines([lim('nofile', 2000000, 2000000)], { ...facts, sysResource: true }), undefined, 'above nr_open');
  assert.is(initUlimitLines([lim('nofile', 'unlimited', 'unlimited')], { ...facts, sysResource: true }), undefined);
  assert.is(initUlimitLines([lim('nofile', 300, 200)], facts), undefined, 'soft above hard');
  assert.is(initUlimitLines([lim('stack', 1000, 1000)], facts), undefined, 'not whole kbytes');
  assert.is(initUlimitLines([lim('msgqueue', 1024, 1024)], facts), undefined, 'no dash letter');
  assert.is(initUlimitLines([lim('nofile', 1024, 1024), lim('sigpending', 10, 10)], facts), undefined, 'all or none');
  assert.is(initUlimitLines([lim('nproc', 10, 10)], { ...facts, shell: 'bash' }), undefined, 'bash\'s -p is the pipe size');
  assert.is(initUlimitLines([], facts), undefined);
});

test('the lines run in dash set exactly the limits (this process\'s own, lowered)', () => {
  if (!existsSync('/usr/bin/dash') && !existsSync('/bin/dash')) return;
  const mine = parseProcLimits(readFileSync('/proc/self/limits', 'utf8'));
  const hard = mine.nofile!.hard;
  if (hard === 'unlimited' || hard < 300) return;
  const lines = initUlimitLines([lim('nofile', 100, 200), lim('core', 0, 0)], { shell: 'dash', own: mine, sysResource: false, nrOpen: 1048576 })!;
  const r = spawnSync('dash', ['-c', `step() { "$@" || exit 9; }\n${lines.join('\n')}\nulimit -S -n; ulimit -H -n; ulimit -H -c`], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, '100\n200\n0\n');
});

test.run();
