// The bundle's node:crypto (package.json's build: esbuild --alias): crypto loads at the first hash or random
// bytes, not at every image box start (the store's and seccomp's modules import it statically). tsc's output (the
// tests) imports the real module.

import { createRequire } from 'node:module';
import type * as Crypto from 'node:crypto';

let real: typeof Crypto | undefined;
/** The real module (not through the alias: a computed require that esbuild leaves alone). */
function crypto(): typeof Crypto {
  real ??= createRequire(process.argv[1] ?? `${process.cwd()}/`)('node:crypto') as typeof Crypto;
  return real;
}

export const createHash: typeof Crypto.createHash = (...args: Parameters<typeof Crypto.createHash>) => crypto().createHash(...args);
export const randomBytes = ((...args: [number]) => crypto().randomBytes(...args)) as typeof Crypto.randomBytes;
