// Runs the nsbox CLI (bin/nsbox, the way users run it) as a subprocess for integration tests.

import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

/** Absolute path of bin/nsbox in this checkout (tests run from dist/test/...). */
export const NSBOX = resolve(dirname(fileURLToPath(import.meta.url)), '../../../bin/nsbox');

export interface Result {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Run nsbox to completion. execve(2) of bin/nsbox (or its /bin/sh) fails with ETXTBSY while any process holds the
 * file open for writing, which a fork elsewhere on the host can do for an instant: that start is tried again a few
 * times, as src/commands/exec.ts does (seen once in CI). Nothing ran then, so nothing is repeated.
 */
export function nsbox(args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Result {
  for (let attempt = 1; ; attempt++) {
    const r = spawnSync(NSBOX, args, {
      encoding: 'utf8',
      input: options.input ?? '',
      env: options.env ?? process.env,
      timeout: options.timeoutMs ?? 30_000,
    });
    if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ETXTBSY' && attempt < 5) {
      process.stderr.write(`nsbox test helper: ${NSBOX}: ETXTBSY, starting it again (${attempt})\n`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20 * attempt);
      continue;
    }
    if (r.error) throw r.error;
    return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
  }
}

/** Asserts that a run exited 0 (the message names the step, its exit code and stderr); returns its stdout. */
export function ok(r: Result, what: string): string {
  assert.is(r.code, 0, `${what}: exit ${r.code}, stderr: ${r.stderr}`);
  return r.stdout;
}

/** Start nsbox in the background; the caller must wait for or kill it. */
export function startNsbox(args: readonly string[], env: NodeJS.ProcessEnv = process.env): ChildProcess & { output: () => string } {
  const child = spawn(NSBOX, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  return Object.assign(child, { output: () => out });
}

/** Resolves when `predicate(output)` holds, or rejects after timeoutMs. */
export async function waitForOutput(child: { output: () => string }, predicate: (out: string) => boolean, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate(child.output())) return child.output();
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for output; got: ${child.output()}`);
}

/** Wait for a started child to exit. */
export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
}

export const isRoot = process.getuid?.() === 0;
