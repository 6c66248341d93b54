// Unit: -v HOST|NAME:CTR, Docker's --mount key=value syntax, and telling --mount SPEC from the bare namespace flag.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseMountSpec, parseVolume } from '../../src/rootfs/mount-flags.js';
import { rewriteMountFlag } from '../../src/spec/mount-flag.js';
import { RUN_OPTIONS } from '../../src/spec/run-flags.js';

test('-v: an absolute host path is created when missing; a NAME is a named volume', () => {
  assert.equal(parseVolume('/srv/x:/data:ro'), { kind: 'volume', host: '/srv/x', target: ['data'], readOnly: true, createMissing: true, flag: '-v /srv/x:/data:ro' });
  assert.equal(parseVolume('cache:/var/cache'), { kind: 'volume', host: 'cache', volume: 'cache', target: ['var', 'cache'], readOnly: false, flag: '-v cache:/var/cache' });
  assert.throws(() => parseVolume('rel/dir:/x'), /must be absolute, or a volume name/);
  assert.throws(() => parseVolume('a:/x:rx'), /mode must be ro or rw/);
});

test('--mount: bind, volume and tmpfs in Docker\'s key=value form', () => {
  assert.equal(parseMountSpec('type=bind,source=/srv,target=/s,readonly'), { kind: 'volume', host: '/srv', target: ['s'], readOnly: true, createMissing: false, flag: '--mount type=bind,source=/srv,target=/s,readonly' });
  assert.equal((parseMountSpec('type=volume,src=db,dst=/var/lib/db,ro=false') as { volume?: string }).volume, 'db');
  assert.is((parseMountSpec('source=db,destination=/d') as { volume?: string }).volume, 'db', 'type defaults to volume');
  assert.equal(parseMountSpec('type=tmpfs,target=/t,tmpfs-size=64m,tmpfs-mode=1770'), { kind: 'tmpfs', target: ['t'], options: 'nosuid,nodev,noexec,size=64m,mode=1770' });
  assert.throws(() => parseMountSpec('type=bind,source=/a,target=/x,bind-propagation=shared'), /bind-propagation is not supported/);
  assert.throws(() => parseMountSpec('type=bind,source=/a,src=/b,target=/x'), /give only one of source, src/);
  assert.throws(() => parseMountSpec('type=tmpfs,source=x,target=/t'), /takes no source/);
  assert.throws(() => parseMountSpec('type=volume,source=v,target=/x,readonly=maybe'), /readonly takes true or false/);
});

test('--mount SPEC becomes --mount-spec; a bare --mount and words after the command stay', () => {
  assert.equal(rewriteMountFlag(['--mount', 'type=bind,source=/a,target=/b', 'img', '--mount', 'type=x'], RUN_OPTIONS), ['--mount-spec=type=bind,source=/a,target=/b', 'img', '--mount', 'type=x']);
  assert.equal(rewriteMountFlag(['--mount=target=/t,type=tmpfs', '--mount', '--pid', '--', 'x'], RUN_OPTIONS), ['--mount-spec=target=/t,type=tmpfs', '--mount', '--pid', '--', 'x']);
  assert.equal(rewriteMountFlag(['-e', '--mount', 'img'], RUN_OPTIONS), ['-e', '--mount', 'img'], 'a value of -e is not a flag');
});

test.run();
