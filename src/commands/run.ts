// `nsbox run [flags] -- CMD [ARG...]`: a command in new namespaces on the host's root filesystem.

import type { NsboxCommand } from './command.js';
import { RUN_OPTIONS } from '../spec/run-flags.js';
import { commandArgv, runBox, titleOf } from './box-command.js';

export const command: NsboxCommand = {
  usage: 'run',
  describe: 'Run a command in new namespaces (only the ones you ask for, like unshare)',
  builder: (y) =>
    y
      .usage('nsbox run [flags] -- CMD [ARG...]')
      .options(RUN_OPTIONS)
      .example('$0 run --uts --hostname demo -- hostname', 'a hostname of its own')
      .example('$0 run --pid --mount-proc -- ps ax', 'PID 1, seeing only itself')
      .example('$0 run --user --uid-map 0:100000:65536 -- id', 'root inside, uid 100000 on the host'),
  handler: (args) => runBox(args, commandArgv(args, 'run'), false, titleOf(process.argv.slice(2))),
};
