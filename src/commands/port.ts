// `nsbox port BOX [PRIVATE_PORT[/PROTO]]`: the box's published ports, as `docker port` prints them.

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { STATE_OPTION } from '../state/paths.js';
import { openBox, openStateFromArgs } from '../lifecycle/open-box.js';
import { deriveState } from '../state/status.js';
import { listPortLines, parsePrivatePort } from '../lifecycle/port-lines.js';

interface PortArgs {
  box: string;
  port: string | undefined;
  state: string | undefined;
}

export const command: NsboxCommand<PortArgs> = {
  usage: 'port <box> [port]',
  describe: 'list the box\'s published ports (or where one private port is published)',
  builder: (y: Argv) =>
    y
      .positional('box', { type: 'string' })
      .positional('port', { type: 'string', describe: 'PRIVATE_PORT[/tcp|udp]' })
      .example('$0 port web 80', '0.0.0.0:8080')
      .options(STATE_OPTION) as unknown as Argv<PortArgs>,
  async handler(args) {
    const privatePort = args.port === undefined ? undefined : parsePrivatePort(String(args.port));
    const box = openBox(openStateFromArgs(args), String(args.box));
    const running = deriveState(box.record, box.paths).status === 'running';
    process.stdout.write(listPortLines(box.record, running, privatePort).map((l) => `${l}\n`).join(''));
    return 0;
  },
};
