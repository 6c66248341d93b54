// `nsbox inspect [-f FORMAT] BOX...`: each box in Docker's shape (Id, State, Config, HostConfig, NetworkSettings,
// ...; nsbox's own facts under Nsbox), as a JSON array, or each through a Go template like `docker inspect -f`.

import { terminalJson } from '../format/terminal-text.js';
import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { STATE_OPTION } from '../state/paths.js';
import { openBox, openStateFromArgs } from '../lifecycle/open-box.js';
import { deriveState } from '../state/status.js';
import { toDockerInspect } from '../lifecycle/inspect-json.js';
import { readLiveFacts } from '../lifecycle/inspect-live.js';
import { resolveBoxRef } from '../state/names.js';
import { describeUnreadable, findUnreadableBox } from '../lifecycle/unreadable-box.js';

interface InspectArgs {
  boxes: string[];
  format: string | undefined;
  state: string | undefined;
}

export const command: NsboxCommand<InspectArgs> = {
  usage: 'inspect <boxes..>',
  describe: 'print what nsbox knows about boxes, as JSON in Docker\'s shape (-f: through a Go template)',
  builder: (y: Argv) =>
    y
      .positional('boxes', { type: 'string', array: true })
      .option('format', { alias: 'f', type: 'string', describe: 'Go template, e.g. {{.NetworkSettings.IPAddress}} or {{json .State}}' })
      .example('$0 inspect -f \'{{.State.Pid}}\' web', 'the host PID of the box\'s command')
      .options(STATE_OPTION) as unknown as Argv<InspectArgs>,
  async handler(args) {
    // Parse the template before touching any box: a bad one is reported once.
    const format = args.format === undefined ? undefined : (await import('../format/template.js')).compileFormat(args.format);
    const state = openStateFromArgs(args);
    // Like docker inspect: every box that exists is printed, then the first unknown one fails the command.
    let failure: unknown;
    const out = args.boxes.map(String).flatMap((ref) => {
      try {
        const bad = findUnreadableBox(state, resolveBoxRef(state, ref));
        if (bad) {
          // Not hidden: what is known without the record, and a warning naming the file.
          process.stderr.write(`nsbox: warning: ${describeUnreadable(bad)}\n`);
          return [{ Id: bad.id, Name: '', State: { Status: 'unknown', Running: false, Pid: 0, Error: `state unreadable: ${bad.paths.record}: ${bad.reason}` } }];
        }
        const box = openBox(state, ref);
        const now = deriveState(box.record, box.paths);
        return [toDockerInspect({ ...box, now, live: readLiveFacts(box.record, now) })];
      } catch (error) {
        failure ??= error;
        return [];
      }
    });
    if (format) process.stdout.write(out.map((item) => `${format.render(item)}\n`).join(''));
    else if (out.length > 0 || !failure) process.stdout.write(`${terminalJson(out, 4)}\n`);
    if (failure) throw failure;
    return 0;
  },
};
