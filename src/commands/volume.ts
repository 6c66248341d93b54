// `nsbox volume create|ls|rm|inspect`: named volumes under the store root (src/image/volumes.ts).

import { terminalJson } from '../format/terminal-text.js';
import type { Argv } from 'yargs';
import { randomBytes } from 'node:crypto';
import { NsboxError } from '../errors.js';
import type { NsboxCommand } from './command.js';
import { PRUNE_OPTIONS } from './prune-flags.js';
import { resolveStoreRoot } from '../image/store.js';
import { createVolume, inspectVolume, listVolumes, removeVolume } from '../image/volumes.js';

interface VolumeArgs {
  action: string;
  names: (string | number)[];
  root: string | undefined;
  json: boolean;
  format: string | undefined;
  force: boolean;
  all: boolean;
  filter: string[] | undefined;
}

const ACTIONS = ['create', 'ls', 'rm', 'inspect', 'prune'] as const;

export const command: NsboxCommand<VolumeArgs> = {
  usage: 'volume <action> [names..]',
  describe: 'manage named volumes (ROOT/volumes/NAME/_data): create [NAME] | ls | rm NAME... | inspect NAME... | prune [-a] [-f]',
  builder: (y: Argv) =>
    y
      .positional('action', { type: 'string', describe: `one of: ${ACTIONS.join(', ')}` })
      .positional('names', { type: 'string', array: true, describe: 'volume names' })
      .option('root', { type: 'string', describe: 'image store directory (default $NSBOX_ROOT, else /var/lib/nsbox)' })
      .option('json', { type: 'boolean', default: false, describe: 'ls: print JSON' })
      .option('format', { alias: 'f', type: 'string', describe: 'inspect: Go template, e.g. {{.Mountpoint}} (rm, prune: -f is --force, as in docker)' })
      // -f is --format (inspect) here; docker's rm -f and prune -f are --force: see the handler
      .option('force', { type: 'boolean', default: false, describe: 'prune: do not ask first' })
      .option('all', PRUNE_OPTIONS.all!)
      .option('filter', PRUNE_OPTIONS.filter!)
      .example('nsbox volume create data', 'then: nsbox run -v data:/data busybox ...')
      .example('nsbox run --mount type=volume,source=data,target=/data busybox ls /data', "Docker's --mount form") as unknown as Argv<VolumeArgs>,
  async handler(args) {
    const names = (args.names ?? []).map(String);
    const root = resolveStoreRoot(args.root);
    switch (args.action) {
      case 'create': {
        if (names.length > 1) throw new NsboxError(`usage: nsbox volume create [NAME] (got ${names.length} names)`);
        const name = names[0] ?? randomBytes(32).toString('hex'); // Docker's anonymous volume names
        await createVolume(root, name);
        process.stdout.write(`${name}\n`);
        return 0;
      }
      case 'ls': {
        if (names.length > 0) throw new NsboxError('usage: nsbox volume ls');
        const volumes = await listVolumes(root);
        if (args.json) process.stdout.write(`${terminalJson(volumes, 2)}\n`);
        else process.stdout.write(['DRIVER  VOLUME NAME', ...volumes.map((v) => `local   ${v.Name}`)].join('\n') + '\n');
        return 0;
      }
      case 'rm': {
        // `volume rm -f NAME` (docker's force): -f took NAME as its --format value
        const targets = args.format ? [args.format, ...names] : names;
        if (targets.length === 0) throw new NsboxError('usage: nsbox volume rm NAME...');
        const [{ boxesUsingVolume }, { describeState, resolveStateRoot }] = await Promise.all([import('../lifecycle/boxes-using.js'), import('../state/paths.js')]);
        for (const name of targets) {
          // a created box has no container directory yet (what removeVolume reads): its record names the volume
          const users = boxesUsingVolume(describeState(resolveStateRoot(undefined)), name).filter((r) => r.phase !== 'started').map((r) => r.name ?? r.id.slice(0, 12));
          if (users.length > 0) throw new NsboxError(`cannot remove volume ${name}: in use by box ${users.join(', ')}`, { hint: `remove the box first: nsbox rm ${users.join(' ')}` });
          await removeVolume(root, name);
          process.stdout.write(`${name}\n`);
        }
        return 0;
      }
      case 'prune': {
        if (names.length > 0) throw new NsboxError('usage: nsbox volume prune [-a] [-f]');
        const { runPrune } = await import('./prune.js');
        // -f parsed as an empty --format: docker's --force
        return runPrune('volume', { force: args.force || args.format !== undefined, all: args.all, volumes: true, filter: args.filter ?? [], root: args.root, state: undefined });
      }
      case 'inspect': {
        if (names.length === 0) throw new NsboxError('usage: nsbox volume inspect NAME...');
        process.stdout.write(await (await import('../format/inspect-output.js')).inspectOutput(args.format, async () => {
          const out = [];
          for (const name of names) out.push(await inspectVolume(root, name));
          return out;
        }));
        return 0;
      }
      default:
        throw new NsboxError(`unknown volume action ${JSON.stringify(args.action)}: use ${ACTIONS.join(', ')}`);
    }
  },
};
