// `nsbox cp [-aL] BOX:SRC DEST|-` and `nsbox cp [-aL] SRC|- BOX:DEST`, as docker cp: the box's side is the toolbox's
// tar inside the running box (src/copy/box-side.ts), the host's side the host's tar, and between them one pass that
// names the copy by docker cp's rules and checks an archive the box made (src/copy/archive-filter.ts).

import { realpathSync } from 'node:fs';
import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { NsboxError } from '../errors.js';
import { STATE_OPTION } from '../state/paths.js';
import { openBox, openStateFromArgs, refreshBox } from '../lifecycle/open-box.js';
import { isFrozen } from '../lifecycle/freeze-box.js';
import { acquireLock } from '../state/lock.js';
import { closeInheritedFds } from '../exec/close-fds.js';
import { selfJoinFile } from '../cgroup/self-join.js';
import { HOST_PATH } from '../host/host-env.js';
import { findTool, requireTool } from '../host/tools.js';
import { buildCopySpec } from '../copy/cp-spec.js';
import type { BoxSideInput } from '../copy/box-side.js';
import { checkInitNamespaces } from '../lifecycle/init-namespaces-check.js';
import { copyFromBox, copyToBox, readInitFacts } from '../copy/run-copy.js';
import { explainCopy } from '../copy/explain-copy.js';

interface CpArgs {
  src: string;
  dest: string;
  archive: boolean;
  followLink: boolean;
  quiet: boolean;
  explain: boolean;
  dryRun: boolean;
  state: string | undefined;
}

export const command: NsboxCommand<CpArgs> = {
  usage: 'cp <src> <dest>',
  describe: 'copy files between a running box and the host (BOX:PATH on one side; - is a tar stream), as docker cp',
  builder: (y: Argv) =>
    y
      .positional('src', { type: 'string', describe: 'BOX:SRC_PATH, a host path, or - (a tar on stdin)' })
      .positional('dest', { type: 'string', describe: 'BOX:DEST_PATH, a host path, or - (a tar on stdout)' })
      .option('archive', { alias: 'a', type: 'boolean', default: false, describe: 'keep uid/gid (and setuid/setgid bits) from the source' })
      .option('follow-link', { alias: 'L', type: 'boolean', default: false, describe: 'copy what a symlink SRC points to, not the link' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'accepted for docker cp (nsbox cp prints nothing on success)' })
      .option('explain', { type: 'boolean', default: false, describe: 'print the copy as a sh script on stderr, then run it' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'print the copy as a sh script on stdout and stop' })
      .options(STATE_OPTION)
      .example('nsbox cp web:/etc/nginx/nginx.conf .', 'a file out of the box')
      .example('nsbox cp ./site/. web:/usr/share/nginx/html', 'a directory\'s contents into the box')
      .example('nsbox cp web:/var/log - | tar -t', 'a tar stream of the box\'s directory') as unknown as Argv<CpArgs>,
  async handler(args) {
    const spec = buildCopySpec(String(args.src), String(args.dest), { archive: args.archive, followLink: args.followLink });
    if (spec.direction === 'from-box' && !spec.hostPath && process.stdout.isTTY && !args.dryRun) {
      throw new NsboxError('refusing to write a tar archive to a terminal', { hint: 'redirect stdout, or give a host path' });
    }
    if (spec.direction === 'to-box' && !spec.hostPath && process.stdin.isTTY && !args.dryRun) {
      throw new NsboxError('refusing to read a tar archive from a terminal', { hint: 'pipe one in: tar -cf - DIR | nsbox cp - BOX:DEST' });
    }
    const tool = (name: string): string => requireTool(name, (n) => findTool(n, HOST_PATH));
    const tools = { nsenter: realpathSync(tool('nsenter')), unshare: tool('unshare'), mount: tool('mount'), sh: tool('sh') };
    const hostTar = tool('tar');
    // Only 0-2 go into the box: an inherited fd of a host file or directory would be a way out (CVE-2024-21626).
    closeInheritedFds();
    const box = openBox(openStateFromArgs({ state: args.state }), spec.box);
    const label = box.record.name ?? box.record.id.slice(0, 12);
    const verb = spec.direction === 'from-box' ? 'copy from' : 'copy to';
    // Held until the box side has answered (then it is in the box's cgroup): an rm racing us kills it too.
    const lock = await acquireLock(box.paths.lock, `box ${spec.box}`);
    let input: BoxSideInput;
    try {
      const { record, now } = refreshBox(box);
      if (now.status !== 'running' || !record.init) {
        throw new NsboxError(`cannot ${verb} box ${label}: it is ${now.status === 'running' ? 'starting' : now.status}`, {
          hint: `nsbox cp works inside a running box (its own root resolves every path): nsbox start ${label}`,
        });
      }
      if (isFrozen(record)) throw new NsboxError(`cannot ${verb} box ${label}: it is paused`, { hint: `nsbox unpause ${label}` });
      if (!record.toolbox) throw new NsboxError(`cannot ${verb} box ${label}: it runs on the host's root (no image), so its files are the host's: use cp`);
      if (!record.toolbox.files.some((f) => f.name === 'tar')) {
        throw new NsboxError(`cannot ${verb} box ${label}: it was started by an older nsbox (no tar in its toolbox); restart it`);
      }
      checkInitNamespaces(record.init.pid, record.namespaces.mount, `${verb} box ${label}`);
      input = { facts: readInitFacts(record.init.pid), toolbox: record.toolbox, cgroupJoinFiles: (record.cgroup?.dirs ?? []).map((d) => selfJoinFile(d, record.cgroup!.version)), tools };
    } catch (error) {
      lock.release();
      throw error;
    }
    if (args.dryRun || args.explain) {
      const script = explainCopy(spec, input, hostTar);
      if (args.dryRun) {
        lock.release();
        process.stdout.write(script);
        return 0;
      }
      process.stderr.write(script);
    }
    const run = { spec, input, hostTar, label, answered: () => lock.release() };
    try {
      return spec.direction === 'from-box' ? await copyFromBox(run) : await copyToBox(run);
    } finally {
      lock.release();
    }
  },
};
