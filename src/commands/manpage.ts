// `nsbox manpage`: prints nsbox(1) in roff, from the same flags as --help (the Debian package installs it).

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { NSBOX_VERSION } from '../version.js';

export const command: NsboxCommand = {
  usage: 'manpage',
  describe: 'print the nsbox(1) man page (roff): nsbox manpage | man -l -',
  builder: (y: Argv) => y,
  async handler() {
    const [{ loadCommandTable }, { renderManPage }] = await Promise.all([import('../docs/command-table.js'), import('../docs/man-page.js')]);
    const date = process.env.SOURCE_DATE_EPOCH ? new Date(Number(process.env.SOURCE_DATE_EPOCH) * 1000) : new Date();
    process.stdout.write(renderManPage({ version: NSBOX_VERSION, date: date.toISOString().slice(0, 10), commands: await loadCommandTable() }));
    return 0;
  },
};
