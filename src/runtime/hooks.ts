// config.json's hooks (runtime-spec config.md "POSIX-platform Hooks"): each is run with its own argv and
// environment, the container's state JSON on stdin; a failing hook fails the operation (poststop: only warns).
// These run on the host, in the runtime's namespaces: prestart, createRuntime, poststart, poststop. createContainer
// and startContainer run inside the container, from its init (init-hooks.ts).

import { spawn } from 'node:child_process';
import { NsboxError } from '../errors.js';
import type { OciHookPhase } from '../oci/container.js';
import { stateJson, type RuntimeState } from './state.js';

export async function runHooks(root: string, state: RuntimeState, names: readonly OciHookPhase[], status?: 'created' | 'running' | 'stopped'): Promise<void> {
  for (const name of names) {
    for (const [i, hook] of (state.hooks[name] ?? []).entries()) {
      const input = JSON.stringify(stateJson(root, state, status));
      const result = await runOne(hook.path, hook.args, hook.env, input, hook.timeout);
      if (result !== '') {
        const error = new NsboxError(`${name} hook #${i} (${hook.path}) failed: ${result}`);
        if (name === 'poststop') process.stderr.write(`nsbox-runtime: warning: ${error.message}\n`);
        else throw error;
      }
    }
  }
}

/** '' on success, else the reason. */
function runOne(path: string, argv: readonly string[], env: readonly string[], input: string, timeout: number | undefined): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(path, argv.slice(1), { argv0: argv[0], env: Object.fromEntries(env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])), stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    const timer = timeout ? setTimeout(() => child.kill('SIGKILL'), timeout * 1000) : undefined;
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin!.on('error', () => {});
    child.stdin!.end(input);
    child.on('error', (e) => resolve(e.message));
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve(code === 0 ? '' : `${signal ? `killed by ${signal}` : `exit status ${code}`}${stderr.trim() ? `: ${stderr.trim().split('\n')[0]}` : ''}`);
    });
  });
}
