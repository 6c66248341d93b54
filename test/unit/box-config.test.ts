// Unit: the settings a recorded box keeps (labels, restart policy, stop signal and timeout), Docker's restart rule
// and back-off, and --user resolved from the box's own passwd and group tables.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { boxConfigFromFlags, parseLabels, parseRestartPolicy, parseSignal, restartDelayMs, shouldRestart } from '../../src/lifecycle/box-config.js';
import { resolveUserFromTables, splitTable } from '../../src/rootfs/image-user.js';
import { NsboxError } from '../../src/errors.js';

const throwsNsbox = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof NsboxError && pattern.test(e.message));

test('flags: defaults, labels, policies, signals; Docker\'s refusals', () => {
  assert.equal(boxConfigFromFlags({}), { labels: {}, restartPolicy: { name: 'no', maximumRetryCount: 0 }, stopSignal: 'SIGTERM', stopTimeout: 10 });
  assert.equal(parseLabels(['a=b', 'c', 'd=e=f']), { a: 'b', c: '', d: 'e=f' });
  throwsNsbox(() => parseLabels(['=x']), /invalid --label/);
  assert.equal(parseRestartPolicy('on-failure:3'), { name: 'on-failure', maximumRetryCount: 3 });
  assert.equal(parseRestartPolicy('unless-stopped'), { name: 'unless-stopped', maximumRetryCount: 0 });
  throwsNsbox(() => parseRestartPolicy('always:2'), /only on-failure takes a retry count/);
  throwsNsbox(() => parseRestartPolicy('sometimes'), /invalid --restart/);
  assert.is(parseSignal('--stop-signal', 'usr1'), 'SIGUSR1');
  assert.is(parseSignal('--stop-signal', 'SIGINT'), 'SIGINT');
  assert.is(parseSignal('--stop-signal', '9'), 'SIGKILL');
  throwsNsbox(() => parseSignal('--stop-signal', 'NOPE'), /not a signal/);
  throwsNsbox(() => boxConfigFromFlags({ restart: 'always', rm: true, detach: true }), /conflicting options: --restart and --rm/);
  throwsNsbox(() => boxConfigFromFlags({ restart: 'always' }), /needs -d/);
  throwsNsbox(() => boxConfigFromFlags({ 'stop-timeout': '-1' }), /invalid --stop-timeout/);
  assert.is(boxConfigFromFlags({ detach: true, restart: 'no', 'stop-timeout': '3' }).stopTimeout, 3);
});

test('restart rule and back-off', () => {
  const onFailure2 = { name: 'on-failure', maximumRetryCount: 2 } as const;
  assert.ok(shouldRestart(onFailure2, 1, 0, false));
  assert.ok(shouldRestart(onFailure2, 1, 1, false));
  assert.not.ok(shouldRestart(onFailure2, 1, 2, false), 'N restarts at most');
  assert.not.ok(shouldRestart(onFailure2, 0, 0, false), 'a success is not a failure');
  assert.ok(shouldRestart({ name: 'on-failure', maximumRetryCount: 0 }, 3, 99, false), 'no count: no limit');
  assert.ok(shouldRestart({ name: 'always', maximumRetryCount: 0 }, 0, 5, false));
  assert.not.ok(shouldRestart({ name: 'always', maximumRetryCount: 0 }, 0, 5, true), 'stopped by hand');
  assert.not.ok(shouldRestart({ name: 'unless-stopped', maximumRetryCount: 0 }, 1, 0, true));
  assert.not.ok(shouldRestart({ name: 'no', maximumRetryCount: 0 }, 1, 0, false));
  assert.equal([0, 1, 2, 3].map(restartDelayMs), [100, 200, 400, 800]);
  assert.is(restartDelayMs(40), 60_000, 'at most a minute');
});

test('--user NAME[:GROUP] from the box\'s tables: primary group, supplementary groups, home; numeric ids', async () => {
  const tables = {
    passwd: splitTable('root:x:0:0:root:/root:/bin/sh\n# comment\nalice:x:1234:2345:Alice:/home/alice:/bin/sh\n'),
    group: splitTable('root:x:0:\nstaff:x:2345:\ndevs:x:3000:alice,bob\n'),
  };
  const read = (name: 'passwd' | 'group') => tables[name];
  assert.equal(await resolveUserFromTables('alice', read), { uid: 1234, gid: 2345, groups: [3000], home: '/home/alice' });
  assert.equal(await resolveUserFromTables('alice:devs', read), { uid: 1234, gid: 3000, groups: [], home: '/home/alice' });
  assert.equal(await resolveUserFromTables('1234:7', read), { uid: 1234, gid: 7, groups: [3000], home: '/home/alice' });
  assert.equal(await resolveUserFromTables('5000', read), { uid: 5000, gid: 0, groups: [], home: '/' });
  await resolveUserFromTables('bob', read, 'the box\'s').then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /no such user in the box's \/etc\/passwd/));
  await resolveUserFromTables('alice:nogroup', read).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /no such group/));
});

test.run();
