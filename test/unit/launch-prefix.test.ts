// The launch wrappers nsbox does itself at spawn: `setsid --` and `env [-i] NAME=VALUE...` at the head of the argv.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { launchEnvironment, peelLaunchPrefix, withToolPaths } from '../../src/exec/launch-prefix.js';

test('env -i and setsid at the head become spawn options, in either order', () => {
  const cleared = peelLaunchPrefix(['env', '-i', 'PATH=/usr/bin:/bin', 'A=b=c', 'setsid', '--', 'setpriv', '--pdeathsig', 'KILL', '--', 'unshare']);
  assert.equal(cleared, { argv: ['setpriv', '--pdeathsig', 'KILL', '--', 'unshare'], env: { clear: true, vars: { PATH: '/usr/bin:/bin', A: 'b=c' } }, setsid: true });
  assert.equal(launchEnvironment(cleared, { HOME: '/root', PATH: '/x' }), { PATH: '/usr/bin:/bin', A: 'b=c' });
  assert.equal(peelLaunchPrefix(['setsid', '--', 'env', '-i', 'X=1', 'cgexec', '-g', 'pids:/a', '--', 'true']), { argv: ['cgexec', '-g', 'pids:/a', '--', 'true'], env: { clear: true, vars: { X: '1' } }, setsid: true });
});

test('env without -i adds its variables to nsbox\'s environment (a host-root box keeps the caller\'s)', () => {
  const added = peelLaunchPrefix(['env', 'NSBOX_INIT=echo hi', 'setsid', '--', 'setpriv', '--', 'unshare']);
  assert.equal(added, { argv: ['setpriv', '--', 'unshare'], env: { clear: false, vars: { NSBOX_INIT: 'echo hi' } }, setsid: true });
  assert.equal(launchEnvironment(added, { HOME: '/root', NSBOX_INIT: 'old' }), { HOME: '/root', NSBOX_INIT: 'echo hi' });
  assert.is(launchEnvironment(peelLaunchPrefix(['setsid', '--', 'true']), { HOME: '/root' }), undefined, 'no env: spawn keeps nsbox\'s own');
});

test('anything else stays a process: a wrapper not at the head, env with options, setsid without --', () => {
  const keep = (argv: string[]) => assert.equal(peelLaunchPrefix(argv), { argv, env: undefined, setsid: false }, argv.join(' '));
  keep(['cgexec', '-g', 'pids:/a', '--', 'env', '-i', 'PATH=/bin', 'setsid', '--', 'true']);
  keep(['setsid', '/bin/sh', '-c', 'x']);
  keep(['env', '-i', '-u', 'X', 'true']);
  keep(['env', '-u', 'X', 'true']);
  keep(['env', '-i', 'PATH=/bin']);
  keep(['setsid', '--']);
  keep(['/bin/sh', '-c', '{script:supervisor}']);
  // a supervised box: env and the supervisor's setsid go, what the supervisor runs stays
  assert.equal(peelLaunchPrefix(['env', 'NSBOX_BOX=x y', 'setsid', '--', '/bin/sh', '-c', 's', 'nsbox-supervisor']), {
    argv: ['/bin/sh', '-c', 's', 'nsbox-supervisor'],
    env: { clear: false, vars: { NSBOX_BOX: 'x y' } },
    setsid: true,
  });
});

test('withToolPaths: a host-root launch\'s tools by path, through wrappers that keep PATH and the files, never past env or nsenter', () => {
  const find = (name: string) => (['setpriv', 'unshare', 'cgexec', 'env', 'nsenter', 'true', 'sh'].includes(name) ? `/usr/bin/${name}` : undefined);
  assert.equal(withToolPaths(['setpriv', '--pdeathsig', 'KILL', '--', 'unshare', '--pid', '--', '/bin/sh', '-c', 'x', '--', 'true'], find),
    ['/usr/bin/setpriv', '--pdeathsig', 'KILL', '--', '/usr/bin/unshare', '--pid', '--', '/bin/sh', '-c', 'x', '--', 'true']);
  // env may set another PATH, nsenter may enter another mount namespace: what they run is theirs to find
  assert.equal(withToolPaths(['cgexec', '-g', 'pids:/a', '--', 'env', '-i', 'PATH=/bin', 'setsid', '--', 'true'], find), ['/usr/bin/cgexec', '-g', 'pids:/a', '--', '/usr/bin/env', '-i', 'PATH=/bin', 'setsid', '--', 'true']);
  assert.equal(withToolPaths(['nsenter', '--target', '{holder}', '--user', '--', 'setpriv', '--', 'unshare'], find), ['/usr/bin/nsenter', '--target', '{holder}', '--user', '--', 'setpriv', '--', 'unshare']);
  assert.equal(withToolPaths(['nosuchtool', '--', 'true'], find), ['nosuchtool', '--', 'true'], 'unknown: left to execvp (its ENOENT names it)');
});

test.run();
