// Process entry for bin/nsbox: run main() and exit with its code.
import { main } from './cli.js';

// bin/nsbox passes "--" first so that node itself leaves our flags alone; drop it.
const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();
void main(argv).then((code) => {
  // Exit now rather than when node's loop drains: stdout/stderr writes are synchronous on Linux (files, pipes,
  // terminals), and nothing else of nsbox is pending once main() has returned.
  process.exit(code);
});
