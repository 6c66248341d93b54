// Process entry for bin/nsbox: run main() and exit with its code.
import { main } from './cli.js';
import { exitWith, terminalFds } from './exit-main.js';

const terminals = terminalFds();

// bin/nsbox passes "--" first so that node itself leaves our flags alone; drop it.
const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();
// bin/nsbox-runtime puts this word first: the same bundle runs as the OCI runtime (runc's command line).
const runtime = argv[0] === '--nsbox-runtime';
if (runtime) argv.shift();
// The runtime's modules load only in runtime mode (loaded statically, they cost every nsbox command ~10 ms).
void (runtime ? import('./runtime/main.js').then((m) => m.runtimeMain(argv)) : main(argv)).then((code) => exitWith(code, terminals));
