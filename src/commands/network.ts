// `nsbox network create|ls|rm|gc`: the thin adapter between yargs and src/net/.

import type { Argv } from 'yargs';
import { NsboxError } from '../errors.js';
import type { NsboxCommand } from './command.js';

interface NetworkArgs {
  action: string;
  operands: (string | number)[];
  subnet: string | undefined;
  json: boolean;
  dryRun: boolean;
}

export const command: NsboxCommand<NetworkArgs> = {
  usage: 'network <action> [operands..]',
  describe: 'manage networks: create NAME --subnet CIDR | ls [--json] | rm NAME... | gc [--dry-run]',
  builder: (y: Argv) =>
    y
      .parserConfiguration({ 'populate--': true, 'halt-at-non-option': false })
      .positional('action', { type: 'string', describe: 'one of: create, ls, rm, gc' })
      .positional('operands', { type: 'string', array: true, describe: 'network names' })
      .option('subnet', { type: 'string', describe: 'create: IPv4 subnet, e.g. 10.89.0.0/24 (must not overlap a route or another network)' })
      .option('json', { type: 'boolean', default: false, describe: 'ls: print JSON' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'gc: list what would be released' })
      .example('$0 network create web --subnet 10.89.0.0/24', 'a user network; boxes on it find each other by name')
      .example('$0 run --net web --hostname a -- ping -c1 b', 'a box on it') as unknown as Argv<NetworkArgs>,
  async handler(args) {
    const operands = (args.operands ?? []).map(String);
    const manage = await import('../net/manage-networks.js');
    switch (args.action) {
      case 'create': {
        if (operands.length !== 1) throw new NsboxError('usage: nsbox network create NAME --subnet CIDR');
        const record = await manage.createNetwork(operands[0]!, args.subnet);
        process.stdout.write(`${record.name}\n`);
        return 0;
      }
      case 'ls': {
        const rows = manage.listNetworks();
        process.stdout.write(args.json ? `${JSON.stringify(rows, null, 2)}\n` : manage.formatNetworkTable(rows));
        return 0;
      }
      case 'rm':
        if (operands.length === 0) throw new NsboxError('usage: nsbox network rm NAME...');
        for (const name of operands) {
          manage.removeNetwork(name);
          process.stdout.write(`${name}\n`);
        }
        return 0;
      case 'gc': {
        const { gcNetworks } = await import('../net/release.js');
        for (const line of gcNetworks(process.env, args.dryRun)) process.stdout.write(`${args.dryRun ? 'would release' : 'released'} ${line}\n`);
        return 0;
      }
      default:
        throw new NsboxError(`unknown network action ${JSON.stringify(args.action)}: use create, ls, rm or gc`);
    }
  },
};
