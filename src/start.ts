// Process entry of bin/nsbox: runs a bundle through V8's code cache, so a start compiles almost none of it again
// (Node 20 has no module.enableCompileCache). A run, sh or create line runs from the box bundle (nsbox-box.cjs: the
// fast path only); what it does not take, and every other line, from the full bundle (nsbox.cjs). Loads only fs,
// path, vm and module.
// (A start-up snapshot, `node --snapshot-blob`, measured slower on Node 20: the README says why.)

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire, wrap } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { bundleFor, codeCacheFile, FULL_BUNDLE, type CodeCacheFile } from './start/code-cache.js';
import { restoreSavedEnv } from './start/saved-env.js';

/** What the box bundle exports (src/box-main.ts). */
interface BoxBundle {
  startBox(words: readonly string[]): boolean;
}

restoreSavedEnv(process.env);
const dir = dirname(process.argv[1]!);
const args = process.argv.slice(2);
const words = args[0] === '--' ? args.slice(1) : args;
const first = bundleFor(words);
if (first === FULL_BUNDLE) load(join(dir, FULL_BUNDLE)).keepCache();
else {
  const box = load(join(dir, first));
  // A line the box bundle leaves alone compiled only its choice: that cache would serve the next box start badly.
  if ((box.exports as BoxBundle).startBox(words)) box.keepCache();
  else load(join(dir, FULL_BUNDLE)).keepCache();
}

/** One bundle run: its exports, and keepCache() to write its code cache at exit when it had none V8 took. */
interface Loaded {
  readonly exports: unknown;
  keepCache(): void;
}

function load(bundle: string): Loaded {
  // The bundles have no import() (esbuild --supported:dynamic-import=false turns each into a require): a vm.Script
  // made from a code cache loses its dynamic-import host options in Node 20 (core-start tests that they have none).
  if (process.env.NSBOX_NO_CODE_CACHE) return { exports: createRequire(bundle)(bundle), keepCache: () => {} };
  return runCached(bundle);
}

function runCached(bundle: string): Loaded {
  // latin1: no UTF-8 decoding of the bundle (~1 ms); it is ASCII (esbuild escapes the rest; core-start checks).
  const source = readFileSync(bundle, 'latin1');
  const cache = codeCacheFile(bundle, statSync(bundle), args);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(join(cache.dir, cache.name));
  } catch {
    // the first run of this subcommand since the build: written at exit
  }
  const script = new Script(wrap(source), { filename: bundle, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  return {
    exports: module.exports,
    // V8 refuses a cache of another node or other flags: write it afresh at exit, when it holds every function this
    // run compiled. (Each bundle's command starts asynchronously: this comes before any exit.)
    keepCache: () => {
      if (cachedData === undefined || script.cachedDataRejected) process.once('exit', () => writeCache(cache, script));
    },
  };
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
