// Finds the program a box will exec, so "not found" (127) and "not executable" (126) are nsbox's clear errors.

import { statSync, accessSync, constants } from 'node:fs';
import { NsboxError, EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND } from '../errors.js';

/** Resolve `program` the way execvp would (PATH search unless it has a slash); throws 126/127 NsboxErrors. */
export function resolveCommand(program: string, pathVar: string, cwd: string): string {
  if (program.includes('/')) {
    const path = program.startsWith('/') ? program : `${cwd}/${program}`;
    checkExecutable(program, path);
    return path;
  }
  let denied: string | undefined;
  for (const dir of pathVar.split(':')) {
    const path = `${dir || '.'}/${program}`;
    try {
      if (!statSync(path).isFile()) continue;
      accessSync(path, constants.X_OK);
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EACCES') denied ??= path;
    }
  }
  if (denied) throw new NsboxError(`${program}: not executable in the box (permission denied: ${denied})`, { exitCode: EXIT_NOT_EXECUTABLE });
  throw new NsboxError(`${program}: not found in the box`, { exitCode: EXIT_NOT_FOUND });
}

function checkExecutable(program: string, path: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new NsboxError(`${program}: not found in the box`, { exitCode: EXIT_NOT_FOUND });
  }
  if (!isFile) throw new NsboxError(`${program}: not executable in the box (is a directory)`, { exitCode: EXIT_NOT_EXECUTABLE });
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new NsboxError(`${program}: not executable in the box (permission denied)`, { exitCode: EXIT_NOT_EXECUTABLE });
  }
}
