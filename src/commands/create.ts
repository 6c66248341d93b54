// `nsbox create [run flags] IMAGE [CMD...]` (or `-- CMD` on the host's root), as docker create: the box is recorded
// with its name, flags and launch recipe, state "created", and nothing runs; `nsbox start BOX` runs it as it runs a
// stopped box (lifecycle/relaunch.ts: the one way a recorded box starts again), `start -a`/`-ai` attach to it.
// cli.ts parses the words as run's (runBoxFast) and marks them create-only; this module is the --help and the
// yargs route for the same.

import type { NsboxCommand } from './command.js';
import { RUN_OPTIONS } from '../spec/run-flags.js';
import { CREATE_ONLY } from '../lifecycle/run-options.js';
import { commandArgv, runBox, titleOf } from './box-command.js';

export const command: NsboxCommand = {
  usage: 'create',
  describe: 'create a box with run\'s flags without starting it (state "created"; nsbox start runs it)',
  builder: (y) =>
    y
      .usage('nsbox create [flags] IMAGE [CMD...]\nnsbox create [flags] -- CMD [ARG...]')
      .options(RUN_OPTIONS)
      .example('$0 create --name web busybox httpd -f', 'then: nsbox start web, nsbox start -a web')
      .example('$0 create -it --name shell busybox sh', 'then: nsbox start -ai shell'),
  // The same route as run's yargs handler (cli.ts's fast path takes the usual command lines, images included).
  handler: (args) => runBox({ ...args, detach: true, [CREATE_ONLY]: true } as typeof args, commandArgv(args, 'create'), false, titleOf(process.argv.slice(2))),
};
