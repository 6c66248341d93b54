// `nsbox cp --explain/--dry-run`: the copy as a sh script to read, the way `run --dry-run` prints its plan. The box's
// side is exact; the host's side depends on what the box answers (docker cp's rules), so it is shown with both.

import { quoteLiteralArgv } from '../plan/quote.js';
import { buildArchiveArgv, buildExtractArgv, type BoxSideInput } from './box-side.js';
import { hostArchiveArgv, hostExtractArgv } from './cp-rules.js';
import type { CopySpec } from './cp-spec.js';

/** The script: comments say why, each command is what cp runs. */
export function explainCopy(spec: CopySpec, input: BoxSideInput, hostTar: string): string {
  const lines = [`# nsbox cp: ${spec.direction === 'from-box' ? `${spec.box}:${spec.boxPath.given} -> ${spec.hostPath?.given ?? 'stdout'}` : `${spec.hostPath?.given ?? 'stdin'} -> ${spec.box}:${spec.boxPath.given}`}`];
  const box = spec.direction === 'from-box' ? buildArchiveArgv(input, spec.boxPath, spec.followLink) : buildExtractArgv(input, spec.boxPath, spec.archive);
  lines.push(
    '# The box\'s side, inside the box as nsbox exec enters it (read-only nsenter, every namespace of PID 1, no --root),',
    '# as the box\'s root with its bounding set, no_new_privs and seccomp filter: every box path resolves in the box\'s root.',
  );
  if (spec.direction === 'from-box') {
    lines.push(`${quoteLiteralArgv(box)} |`);
    lines.push('# nsbox checks and renames the archive (src/copy/archive-filter.ts: names below the copy, parents that are');
    lines.push('# directory members, hardlinks to its own files; devices and fifos skipped; setuid bits dropped unless -a) |');
    if (!spec.hostPath) lines.push('cat  # to stdout');
    else lines.push(`${quoteLiteralArgv(hostExtractArgv(hostTar, spec.hostPath.path, spec.archive))}  # or -C ${quoteLiteralArgv([spec.hostPath.dir])}: docker cp's rules, once the first member says whether SRC is a directory`);
  } else {
    const source = spec.hostPath ? hostArchiveArgv(hostTar, spec.hostPath.contents ? { dir: spec.hostPath.path, name: '' } : { dir: spec.hostPath.dir, name: spec.hostPath.name }) : ['cat'];
    lines.push(`${quoteLiteralArgv(source)} |`);
    lines.push('# nsbox names the top member by docker cp\'s rules from the box\'s answer (dir, file or missing), then sends "go" |');
    lines.push(quoteLiteralArgv(box));
  }
  return `${lines.join('\n')}\n`;
}
