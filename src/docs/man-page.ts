// nsbox(1) in roff, rendered from the command table (the same option declarations as --help).

import type { CommandDoc, OptionDoc } from './command-table.js';

export interface ManPageInput {
  readonly version: string;
  readonly date: string;
  readonly commands: readonly CommandDoc[];
}

/** Escapes text for roff: backslashes, leading dots/quotes, and dashes that must stay ASCII minus signs. */
export function roffEscape(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}

function flagSpelling(o: OptionDoc): string {
  const names = [...o.aliases.map((a) => (a.length === 1 ? `-${a}` : `--${a}`)), `--${o.name}`];
  const value = o.type.startsWith('boolean') ? '' : ` ${o.choices.length ? o.choices.join('|') : o.type.replace('...', '').toUpperCase()}`;
  return `\\fB${names.map(roffEscape).join('\\fR, \\fB')}\\fR${value ? `\\fI${roffEscape(value)}\\fR` : ''}`;
}

export function renderManPage(input: ManPageInput): string {
  const out: string[] = [
    `.TH NSBOX 1 "${input.date}" "nsbox ${input.version}" "User Commands"`,
    '.SH NAME',
    'nsbox \\- Linux containers composed from the stock system tools',
    '.SH SYNOPSIS',
    '.B nsbox',
    '.I command',
    '[\\fIflags\\fR] [\\fIargs\\fR]',
    '.SH DESCRIPTION',
    roffEscape(
      'nsbox builds each container ("box") as a plan of ordinary commands (unshare, nsenter, mount, pivot_root, setpriv, ip, cgroupfs writes), ' +
        'shows it to you with --explain, checks the result from /proc, and removes whatever it made when the box is removed or a step fails.',
    ),
    '.SH COMMANDS',
  ];
  for (const c of input.commands) {
    out.push('.SS', `.B ${roffEscape(c.usage)}`, '.PP', roffEscape(c.describe));
    let group = '';
    for (const o of c.options) {
      if (o.group !== group && o.group !== 'Options:') {
        group = o.group;
        out.push('.PP', `\\fI${roffEscape(group.replace(/:$/, ''))}\\fR`);
      }
      out.push('.TP', flagSpelling(o), roffEscape(o.describe || '(no description)'));
    }
    if (c.examples.length) {
      out.push('.PP', 'Examples:');
      for (const [cmd, desc] of c.examples) out.push('.RS', '.nf', roffEscape(cmd), '.fi', roffEscape(desc), '.RE');
    }
  }
  out.push(
    '.SH ENVIRONMENT',
    '.TP', '\\fBNSBOX_ROOT\\fR', roffEscape('image and container store (default /var/lib/nsbox)'),
    '.TP', '\\fBNSBOX_STATE\\fR', roffEscape('state of running boxes (default /run/nsbox)'),
    '.TP', '\\fBNSBOX_CGROUP_PARENT\\fR', roffEscape('default of --cgroup-parent'),
    '.SH EXIT STATUS',
    roffEscape('The command\'s own status; 125 when nsbox itself fails or the command line is wrong (an unknown command or flag), 126 when the command cannot be run, 127 when it is not found, 128+N when it is killed by signal N.'),
    '.SH SEE ALSO',
    '\\fBunshare\\fR(1), \\fBnsenter\\fR(1), \\fBsetpriv\\fR(1), \\fBpivot_root\\fR(8), \\fBnamespaces\\fR(7), \\fBcgroups\\fR(7)',
  );
  return `${out.join('\n')}\n`;
}
