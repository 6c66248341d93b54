// Process entry for bin/nsbox: run main() and exit with its code.
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
