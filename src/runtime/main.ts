// nsbox-runtime's entry: the runc command line -> one operation; the one place errors are printed (stderr, and
// as {"level":"error","msg":...,"time":...} lines in --log with --log-format json: nothing else goes there).

import { appendFileSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { NsboxError } from '../errors.js';
import { NSBOX_VERSION as VERSION } from '../version.js';
import { parseRuntimeArgv, type RuntimeGlobals } from './argv.js';
import { checkId, statePaths } from './state.js';
import { listenFdsOf, parsePreserveFds } from './preserve-fds.js';
import { keepToolFactsIn } from '../host/tools.js';

// Each command loads only its own modules: callers run state, start, kill and delete once per container (and podman
// polls state), so those must not pay for create's planner, seccomp compiler and child_process/crypto/stream.
const lifecycle = () => import('./lifecycle.js');

const USAGE = `usage: nsbox-runtime [--root DIR] [--log FILE] [--log-format text|json] COMMAND [OPTIONS] ID
commands: create, start, state, kill, delete, list, ps, exec, run, pause, resume, update, features, spec, explain`;

/** Runs one runtime command; resolves to the exit code. */
export async function runtimeMain(argv: readonly string[]): Promise<number> {
  let globals: RuntimeGlobals | undefined;
  // bin/nsbox-runtime's list of the caller's fds (preserve-fds.ts): read once, passed on to nothing the runtime starts.
  const callerFds = process.env.NSBOX_CALLER_FDS;
  delete process.env.NSBOX_CALLER_FDS;
  try {
    const inv = parseRuntimeArgv(argv);
    globals = inv.globals;
    if (inv.version) {
      writeStdout(`nsbox-runtime version ${VERSION}\nspec: 1.0.2\n`);
      return 0;
    }
    if (inv.command === undefined) {
      writeStdout(`${USAGE}\n`);
      return 0;
    }
    const g = inv.globals;
    keepToolFactsIn(g.root);
    const f = inv.flags;
    const s = (name: string) => (typeof f[name] === 'string' ? (f[name] as string) : undefined);
    const id = () => checkId(inv.args[0]);
    const out = writeStdout;
    switch (inv.command) {
      case 'create':
      case 'run': {
        const preserveFds = parsePreserveFds(s('preserve-fds'));
        const listenFds = listenFdsOf(process.env);
        const { createContainer } = await import('./create.js');
        const created = await createContainer(g, id(), { bundle: s('bundle') ?? process.cwd(), pidFile: s('pid-file'), consoleSocket: s('console-socket'), foreground: inv.command === 'run' && f.detach !== true, preserveFds, listenFds, callerFds });
        if (inv.command === 'create') return 0;
        const { startContainer, deleteContainer } = await lifecycle();
        try {
          await startContainer(g.root, created.state.id);
        } catch (error) {
          await created.terminal?.stop();
          throw error;
        }
        if (!created.exited) return 0;
        const code = await (await import('./run-foreground.js')).waitForRun(created.state.init, created.exited, created.terminal);
        await deleteContainer(g.root, created.state.id, true);
        return code;
      }
      case 'start':
        await (await lifecycle()).startContainer(g.root, id());
        return 0;
      case 'state':
        (await lifecycle()).printState(g.root, id(), out);
        return 0;
      case 'kill':
        (await lifecycle()).killContainer(g.root, id(), inv.args[1], f.all === true);
        return 0;
      case 'delete':
        await (await lifecycle()).deleteContainer(g.root, id(), f.force === true);
        return 0;
      case 'list':
        (await lifecycle()).listContainers(g.root, s('format'), f.quiet === true, out);
        return 0;
      case 'ps':
        await (await lifecycle()).psContainer(g.root, id(), s('format'), inv.args.slice(1), out);
        return 0;
      case 'pause':
      case 'resume':
        await (await lifecycle()).pauseContainer(g.root, id(), inv.command === 'pause');
        return 0;
      case 'update':
        await (await lifecycle()).updateContainer(g.root, id(), s('resources'), f);
        return 0;
      case 'exec':
        return await (await import('./exec.js')).execInContainer(g.root, id(), {
          processFile: s('process'),
          detach: f.detach === true,
          pidFile: s('pid-file'),
          tty: f.tty === true,
          consoleSocket: s('console-socket'),
          cwd: s('cwd'),
          env: (f.env as readonly string[] | undefined) ?? [],
          user: s('user'),
          preserveFds: parsePreserveFds(s('preserve-fds')),
          callerFds,
          args: inv.args.slice(1),
        });
      case 'features': {
        const { ociFeatures, probeFeatureHost } = await import('../oci/features.js');
        out(`${JSON.stringify(ociFeatures(probeFeatureHost()), null, 2)}\n`);
        return 0;
      }
      case 'spec': {
        // As runc spec: config.json in the bundle directory (default: here), never over an existing one.
        const file = join(s('bundle') ?? process.cwd(), 'config.json');
        try {
          writeFileSync(file, (await import('../oci/default-config.js')).renderDefaultConfig(), { flag: 'wx', mode: 0o644 });
        } catch (error) {
          throw new NsboxError((error as NodeJS.ErrnoException).code === 'EEXIST' ? `File ${file} exists. Remove it first` : `cannot write ${file}: ${(error as Error).message}`);
        }
        return 0;
      }
      case 'explain':
        try {
          out(readFileSync(statePaths(g.root, id()).plan, 'utf8'));
        } catch {
          throw new NsboxError(`container "${inv.args[0]}" does not exist`);
        }
        return 0;
      default:
        throw new NsboxError(`${inv.command}: not supported by nsbox-runtime yet`);
    }
  } catch (error) {
    reportError(error, globals);
    return 1;
  }
}

/** stdout without process.stdout (whose stream machinery costs more than `state` itself); EAGAIN: a non-blocking pipe is full. */
function writeStdout(text: string): void {
  const bytes = Buffer.from(text);
  for (let off = 0; off < bytes.length; ) {
    try {
      off += writeSync(1, bytes, off);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

function reportError(error: unknown, globals: RuntimeGlobals | undefined): void {
  const message = error instanceof NsboxError ? error.message + (error.cleanupError ? ` (and cleaning up failed: ${error.cleanupError.message})` : '') : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`nsbox-runtime: ${message}\n`);
  if (error instanceof NsboxError && error.hint) process.stderr.write(`hint: ${error.hint}\n`);
  if (!globals?.log) return;
  const time = new Date().toISOString();
  const line = globals.logFormat === 'json' ? JSON.stringify({ level: 'error', msg: message.split('\n')[0], time }) : `time="${time}" level=error msg=${JSON.stringify(message.split('\n')[0])}`;
  try {
    appendFileSync(globals.log, `${line}\n`);
  } catch {
    // the log is the caller's: stderr has the message anyway
  }
}
