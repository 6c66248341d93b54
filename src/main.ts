// Process entry for bin/nsbox: run main() and exit with its code.
import { closeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { main } from './cli.js';

// Which of fds 0-2 are terminals: one that is gone at exit (hung up: the terminal window was closed) must be let go.
const terminals = [0, 1, 2].filter((fd) => isatty(fd));

// bin/nsbox passes "--" first so that node itself leaves our flags alone; drop it.
const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();
// bin/nsbox-runtime puts this word first: the same bundle runs as the OCI runtime (runc's command line).
const runtime = argv[0] === '--nsbox-runtime';
if (runtime) argv.shift();
// The runtime's modules load only in runtime mode (loaded statically, they cost every nsbox command ~10 ms).
void (runtime ? import('./runtime/main.js').then((m) => m.runtimeMain(argv)) : main(argv)).then((code) => {
  // Exit now rather than when node's loop drains: stdout/stderr writes are synchronous on Linux (files, pipes,
  // terminals), and nothing else of nsbox is pending once main() has returned.
  // Node restores a terminal's modes at exit and aborts (an assertion, SIGABRT) when the terminal has been hung up;
  // a closed fd it skips. So a hung-up terminal is closed first (run -it, exec -it, attach, nsbox sh).
  for (const fd of terminals) if (!isatty(fd)) closeSync(fd);
  if (process.env.NSBOX_TRACE) process.stderr.write(`nsbox: trace +${performance.now().toFixed(1)}ms exit ${code}\n`);
  process.exit(code);
});
