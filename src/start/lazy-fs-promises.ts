// The bundle's node:fs/promises (package.json's build: esbuild --alias): each function loads the real module at its
// first call. Imported statically, fs/promises (and the readline it brings) loaded at every image box start although
// a plain run calls none of it. tsc's output (the tests) imports the real module; the functions are the same.

import { promises } from 'node:fs';

type Promises = typeof promises;

/** fs.promises.NAME, looked up when called: fs.promises is a getter that loads the module on first use. */
function lazy<K extends keyof Promises>(name: K): Promises[K] {
  return ((...args: unknown[]) => (promises[name] as (...a: unknown[]) => unknown)(...args)) as Promises[K];
}

export const chmod = lazy('chmod');
export const chown = lazy('chown');
export const lchown = lazy('lchown');
export const link = lazy('link');
export const lstat = lazy('lstat');
export const lutimes = lazy('lutimes');
export const mkdir = lazy('mkdir');
export const open = lazy('open');
export const readFile = lazy('readFile');
export const readdir = lazy('readdir');
export const readlink = lazy('readlink');
export const realpath = lazy('realpath');
export const rename = lazy('rename');
export const rm = lazy('rm');
export const stat = lazy('stat');
export const symlink = lazy('symlink');
export const unlink = lazy('unlink');
export const utimes = lazy('utimes');
export const writeFile = lazy('writeFile');
