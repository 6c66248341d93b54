// `nsbox network create|ls|rm|gc`: the thin adapter between yargs and src/net/.

import { terminalJson } from '../format/terminal-text.js';
import type { Argv } from 'yargs';
import { NsboxError } from '../errors.js';
import type { NsboxCommand } from './command.js';
import { STATE_OPTION } from '../state/paths.js';

interface NetworkArgs {
  action: string;
  operands: (string | number)[];
  subnet: string | undefined;
  json: boolean;
  format: string | undefined;
  dryRun: boolean;
  force: boolean;
  filter: string[] | undefined;
  state: string | undefined;
}

export const command: NsboxCommand<NetworkArgs> = {
  usage: 'network <action> [operands..]',
  describe: 'manage networks: create NAME [--subnet CIDR] | ls [--json] | inspect NAME... | connect NAME BOX | disconnect NAME BOX | rm NAME... | prune [-f] | gc [--dry-run]',
  builder: (y: Argv) =>
    y
      .parserConfiguration({ 'populate--': true, 'halt-at-non-option': false })
      .positional('action', { type: 'string', describe: 'one of: create, ls, inspect, connect, disconnect, rm, prune, gc' })
      .positional('operands', { type: 'string', array: true, describe: 'network names (connect/disconnect: NETWORK BOX)' })
      .options(STATE_OPTION)
      .option('subnet', { type: 'string', describe: 'create: IPv4 subnet, e.g. 10.89.0.0/24 (default: the first free one of Docker\'s pools, 172.17-31.0.0/16 then 192.168.N.0/20)' })
      .option('json', { type: 'boolean', default: false, describe: 'ls: print JSON' })
      .option('format', { alias: 'f', type: 'string', describe: 'inspect: Go template, e.g. {{range .IPAM.Config}}{{.Subnet}}{{end}}' })
      // -f is --format (inspect) here; docker's prune -f is --force: see the handler
      .option('force', { type: 'boolean', default: false, describe: 'prune: do not ask first' })
      .option('filter', { type: 'string', array: true, describe: 'prune: not supported yet (refused)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'gc: list what would be released' })
      .example('$0 network create web', 'a user network on a free subnet; boxes on it find each other by name')
      .example('$0 network connect web mybox', 'add a running box to it (as eth1)')
      .example('$0 run --net web --hostname a -- ping -c1 b', 'a box on it') as unknown as Argv<NetworkArgs>,
  async handler(args) {
    const operands = (args.operands ?? []).map(String);
    const manage = await import('../net/manage-networks.js');
    switch (args.action) {
      case 'create': {
        if (operands.length !== 1) throw new NsboxError('usage: nsbox network create NAME [--subnet CIDR]');
        const record = await manage.createNetwork(operands[0]!, args.subnet);
        process.stdout.write(`${record.name}\n`);
        return 0;
      }
      case 'ls': {
        const rows = manage.listNetworks();
        process.stdout.write(args.json ? `${terminalJson(rows, 2)}\n` : manage.formatNetworkTable(rows));
        return 0;
      }
      case 'inspect':
        if (operands.length === 0) throw new NsboxError('usage: nsbox network inspect NAME...');
        process.stdout.write(await (await import('../format/inspect-output.js')).inspectOutput(args.format, () => manage.inspectNetworks(operands)));
        return 0;
      case 'connect':
      case 'disconnect': {
        if (operands.length !== 2) throw new NsboxError(`usage: nsbox network ${args.action} NETWORK BOX`);
        const [network, ref] = operands as [string, string];
        const { openBox, openStateFromArgs, refreshBox } = await import('../lifecycle/open-box.js');
        const { connectBox, disconnectBox, netEnvFor } = await import('../net/box-network.js');
        const state = openStateFromArgs(args);
        const box = refreshBox(openBox(state, ref));
        const env = netEnvFor(state.root);
        if (args.action === 'disconnect') disconnectBox({ id: box.record.id, name: box.record.name }, network, env);
        else {
          if (box.now.status !== 'running' || !box.record.init) throw new NsboxError(`cannot connect box ${ref}: it is not running`, { hint: 'start it first' });
          const mode = box.record.network?.mode;
          if (mode !== 'bridge' && mode !== 'user') throw new NsboxError(`cannot connect box ${ref}: it has ${mode === undefined ? 'the host\'s network' : `--net ${mode}`}`, { hint: 'only a box on a bridge or user network can join another one' });
          const where = await connectBox({ id: box.record.id, name: box.record.name, pid: box.record.init.pid }, network, env);
          process.stderr.write(`nsbox: ${ref} is on ${network} at ${where}\n`);
        }
        process.stdout.write(`${ref}\n`);
        return 0;
      }
      case 'rm':
        if (operands.length === 0) throw new NsboxError('usage: nsbox network rm NAME...');
        for (const name of operands) {
          manage.removeNetwork(name);
          process.stdout.write(`${name}\n`);
        }
        return 0;
      case 'prune': {
        if (operands.length > 0) throw new NsboxError('usage: nsbox network prune [-f]');
        const { runPrune } = await import('./prune.js');
        return runPrune('network', { force: args.force || args.format !== undefined, all: false, volumes: false, filter: args.filter ?? [], root: undefined, state: args.state });
      }
      case 'gc': {
        const { gcNetworks } = await import('../net/release.js');
        for (const line of gcNetworks(process.env, args.dryRun)) process.stdout.write(`${args.dryRun ? 'would release' : 'released'} ${line}\n`);
        return 0;
      }
      default:
        throw new NsboxError(`unknown network action ${JSON.stringify(args.action)}: use create, ls, inspect, connect, disconnect, rm, prune or gc`);
    }
  },
};
