// Process entry of bin/nsbox: runs the bundle (dist/bundle/nsbox.cjs) through V8's code cache, so a start compiles
// almost none of it again (Node 20 has no module.enableCompileCache). Loads only fs, path, vm and module.

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire, wrap } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { codeCacheFile, type CodeCacheFile } from './start/code-cache.js';
import { restoreSavedEnv } from './start/saved-env.js';

restoreSavedEnv(process.env);
const bundle = join(dirname(process.argv[1]!), 'nsbox.cjs');
// The bundle has no import() (esbuild --supported:dynamic-import=false turns each into a require): a vm.Script made
// from a code cache loses its dynamic-import host options in Node 20 (core-start tests that the bundle has none).
if (process.env.NSBOX_NO_CODE_CACHE) createRequire(bundle)(bundle);
else runCached();

function runCached(): void {
  // latin1: no UTF-8 decoding of 650 kB (~1 ms); the bundle is ASCII (esbuild escapes the rest; core-start checks).
  const source = readFileSync(bundle, 'latin1');
  const cache = codeCacheFile(bundle, statSync(bundle), process.argv.slice(2));
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(join(cache.dir, cache.name));
  } catch {
    // the first run of this subcommand since the build: written at exit
  }
  const script = new Script(wrap(source), { filename: bundle, cachedData });
  // V8 refuses a cache of another node or other flags: write it afresh at exit, when it holds every function this
  // run compiled.
  if (cachedData === undefined || script.cachedDataRejected) process.once('exit', () => writeCache(cache, script));
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
}

/** A temp file and a rename (a parallel start reads the old cache or the new one); older builds' caches go. */
function writeCache(cache: CodeCacheFile, script: Script): void {
  const temp = join(cache.dir, `.${cache.name}.${process.pid}`);
  try {
    mkdirSync(cache.dir, { recursive: true, mode: 0o755 });
    writeFileSync(temp, script.createCachedData(), { mode: 0o644 });
    renameSync(temp, join(cache.dir, cache.name));
    for (const name of readdirSync(cache.dir)) if (name !== cache.name && name.startsWith(cache.prefix)) rmSync(join(cache.dir, name), { force: true });
  } catch {
    // not writable (an unprivileged user, a read-only install): the next start compiles again
    rmSync(temp, { force: true });
  }
}
