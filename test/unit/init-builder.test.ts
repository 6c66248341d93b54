// The one init builder (src/init): both front-ends translate into the same mount list; the masks, read-only paths
// and the sealed toolbox are the same entries for an image box and an OCI container; an OCI mount renders as the
// steps runc takes (bind then remount for flags, tmpcopyup, propagation); the in-container hooks sit where
// runtime-spec puts them in the init script.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { kernelPathMounts, toolboxMounts } from '../../src/init/mounts.js';
import { mountStepLines } from '../../src/init/mount-steps.js';
import { ociInitMounts } from '../../src/runtime/oci-mounts.js';
import { buildLateMounts } from '../../src/rootfs/box-mounts.js';
import { createContainerLines, startContainerLines, type InitHooks } from '../../src/runtime/init-hooks.js';
import type { OciMount } from '../../src/oci/container.js';
import type { Toolbox } from '../../src/rootfs/toolbox.js';

const TOOLBOX: Toolbox = { loader: undefined, files: [{ name: 'setpriv', source: '/usr/bin/setpriv' }, { name: 'env', source: '/usr/bin/env' }] };
const mount = (m: Partial<OciMount>): OciMount => ({ destination: '/x', type: 'tmpfs', source: 'tmpfs', bind: 'none', flags: [], readonly: false, propagation: undefined, data: '', tmpcopyup: false, ...m }) as OciMount;

test('masks, read-only paths and the toolbox: the image box\'s late mounts hold exactly the shared entries', () => {
  const masked = [{ path: '/proc/kcore', kind: 'file' as const }, { path: '/sys/firmware', kind: 'directory' as const }];
  const readonly = [{ path: '/proc/sys', kind: 'directory' as const }];
  const shared = [...kernelPathMounts('/R', masked, readonly), ...toolboxMounts('/R', TOOLBOX)];
  const container = { dir: '/C', hostname: '/C/hostname', hosts: '/C/hosts', resolvConf: '/C/resolv.conf', preload: '/C/preload' } as never;
  const spec = { mounts: [], privileged: false } as never;
  const late = buildLateMounts(spec, { container, volumeSources: [], masked, readonly, toolbox: TOOLBOX, console: false }, '/R');
  for (const entry of shared) assert.ok(late.some((e) => JSON.stringify(e) === JSON.stringify(entry)), `image box has ${entry.target} ${entry.options}`);
  assert.equal(late.at(-1), toolboxMounts('/R', TOOLBOX).at(-1), 'the sealed toolbox directory comes last');
  assert.equal(toolboxMounts('/R', TOOLBOX).at(-1)!.options, 'rbind,ro');
  assert.equal(kernelPathMounts('/R', [], readonly)[0]!.options, 'bind,ro,nosuid,nodev,noexec', 'not recursive');
});

test('OCI mounts as steps: the mount point, a bind then its flags by remount, tmpcopyup, propagation, resolved targets', () => {
  const mounts = [
    mount({ destination: '/etc/hosts', type: 'bind', source: '/h/hosts', bind: 'rbind', flags: ['rw', 'ro', 'nosuid'] }),
    mount({ destination: '/run', flags: ['nosuid'], data: 'mode=755', tmpcopyup: true }),
    mount({ destination: '/data', type: 'bind', source: '/h/d', bind: 'bind', propagation: 'rslave' }),
  ];
  const entries = ociInitMounts('/R', mounts, { targets: ['/etc/hosts', '/run', '/real/data'], fileSources: [true, false, false], cgroupDirs: [], cgroupVersion: 1, cgroupRoot: '/sys/fs/cgroup' });
  const lines = entries.flatMap((e) => mountStepLines(e, '/R'));
  assert.equal(lines.slice(0, 4), ['# /etc/hosts: rbind of /h/hosts (rw,ro,nosuid)', 'step mkfile "$R/etc/hosts"', 'step mount -n --rbind /h/hosts "$R/etc/hosts"', 'step mount -n -o remount,bind,ro,nosuid "$R/etc/hosts"']);
  assert.ok(lines.includes('step mount -n -t tmpfs -o nosuid,mode=755 tmpfs "$S/copyup"'), lines.join('\n'));
  assert.ok(lines.includes('step mount -n --move "$S/copyup" "$R/run"'));
  assert.ok(lines.includes('step mount -n --bind /h/d "$R/real/data"'), 'the resolved target, not the destination as written');
  assert.equal(lines.at(-1), 'step mount -n --make-rslave "$R/real/data"');
});

test('hooks in the init: createContainer gets the state with the host pid and fails create; startContainer reports on fd 6', () => {
  const hooks: InitHooks = {
    createContainer: [{ path: '/usr/bin/hook', args: ['hook', 'a b'], env: ['X=1'], timeout: 5 }],
    createState: ['{"id":"c","pid":', ',"status":"creating"}'],
    startContainer: [{ path: '/bin/ldconfig', args: ['ldconfig'], env: [], timeout: undefined }],
    verdict: '/run/x/start-hooks.fifo',
  };
  const create = createContainerLines(hooks).join('\n');
  assert.match(create, /read -r hostpid _ < \/proc\/self\/stat/);
  assert.match(create, /state='\{"id":"c","pid":'"\$hostpid"',"status":"creating"\}'/);
  assert.match(create, /env -i -- X=1 perl -e .* 5 \/usr\/bin\/hook hook 'a b' 2>&3 5<&- 6>&- \|\| \{ echo 'failed: createContainer hook #0 \(\/usr\/bin\/hook\)' >&3; exit 125; \}/);
  const start = startContainerLines(hooks, ['/dev/.nsbox/env'], ['/dev/.nsbox/perl']).join('\n');
  assert.match(start, /\/dev\/.nsbox\/env -i -- \/dev\/.nsbox\/perl -e .* 0 \/bin\/ldconfig ldconfig 2>&6 6>&- \|\|/);
  assert.match(start, /exec 6>&-$/, 'the verdict is closed before the process: start stops waiting');
  assert.equal(spawnSync('sh', ['-n', '-c', `${create}\n${start}`]).status, 0, 'parses as sh');
  assert.equal(createContainerLines({ ...hooks, createContainer: [] }), []);
});

test.run();
