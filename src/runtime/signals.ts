// kill's SIGNAL argument as runc takes it: a number, or a name with or without SIG, any case; default TERM.

import { constants } from 'node:os';
import { NsboxError } from '../errors.js';

export function parseSignal(value: string | undefined): NodeJS.Signals {
  if (value === undefined || value === '') return 'SIGTERM';
  const table = constants.signals as Record<string, number>;
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    const name = Object.keys(table).find((k) => table[k] === n);
    if (name === undefined) throw new NsboxError(`invalid signal ${JSON.stringify(value)}`);
    return name as NodeJS.Signals;
  }
  const upper = value.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  if (table[name] === undefined) throw new NsboxError(`invalid signal ${JSON.stringify(value)}`);
  return name as NodeJS.Signals;
}
