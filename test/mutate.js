#!/usr/bin/env node
// Mutation check for the security tests (`npm run test:mutate`): each mutation breaks one protection in a copy of
// this checkout (extraction that follows links, fds kept, a writable toolbox, ...), rebuilds the copy and re-runs
// the tests that guard that protection there. A mutation is CAUGHT when one of them fails. Slow (a build and
// several integration files per mutation): never part of `npm test`. The copy is removed at the end (and on
// Ctrl-C); this checkout is never modified.
//   node test/mutate.js [--list] [ID...]      (root: the guarding tests are privileged integration tests)
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync, execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * id, what it breaks, the edits ([file, exact text, replacement]: a text that is no longer there makes the row
 * "NOT APPLIED", so a refactor cannot silently turn a mutation into a no-op), and the tests that must catch it
 * (["unit"|"integration", file filter]).
 */
const MUTATIONS = [
  {
    id: 'extract-dotdot',
    what: 'extraction accepts ".." in member names',
    edits: [['src/image/member-path.ts', `if (parts.includes('..')) throw hostileMember(name, 'the path contains ".."');`, '']],
    tests: [['integration', 'image-hostile']],
  },
  {
    id: 'extract-follows-symlinks',
    what: 'extraction follows a symlinked parent directory',
    edits: [['src/image/safe-fs.ts', `    } else if (info.isSymbolicLink()) {
      throw hostileMember(member, \`its parent "\${parts.slice(0, parts.indexOf(part) + 1).join('/')}" is a symlink\`);
    } else if`, '    } else if (info.isSymbolicLink()) {\n      // followed\n    } else if']],
    tests: [['integration', 'image-hostile']],
  },
  {
    id: 'hardlink-through-symlink',
    what: 'a hardlink target may be reached through a symlink',
    // Both checks go: with only the symlink one removed, "is not a directory" (lstat) still refuses the member, so the
    // guard would not really be absent. Here a symlinked parent is followed, as link(2) itself would.
    edits: [['src/image/safe-fs.ts', `    if (info.isSymbolicLink()) throw hostileMember(member, \`"\${shown}" is a symlink\`);
    if (!info.isDirectory()) throw hostileMember(member, \`"\${shown}" is not a directory\`);`, `    if (!info.isDirectory() && !info.isSymbolicLink()) throw hostileMember(member, \`"\${shown}" is not a directory\`);`]],
    tests: [['integration', 'image-hostile']],
  },
  {
    id: 'file-written-through-symlink',
    what: 'a file member is written through an existing symlink (no unlink, no O_NOFOLLOW|O_EXCL)',
    edits: [
      ['src/image/extract-layer.ts', `      await removeEntry(path, existing);
      const handle = await createFileNoFollow(path, 0o600);`, `      const handle = await createFileNoFollow(path, 0o600);`],
      ['src/image/safe-fs.ts', 'constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW', 'constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC'],
    ],
    tests: [['integration', 'image-hostile']],
  },
  {
    id: 'overlay-unescaped',
    what: 'overlay options joined without escaping , : = (store paths with them)',
    edits: [['src/rootfs/image-init-script.ts', `return path.replace(/[\\\\,:=]/g, '\\\\$&');`, 'return path;']],
    tests: [['unit', 'overlay-options'], ['integration', 'image-edges']],
  },
  {
    id: 'toolbox-writable',
    what: 'the toolbox (host setpriv, umount) is bind-mounted read-write',
    edits: [['src/rootfs/box-mounts.ts', `options: 'bind,ro,nosuid,nodev', why: \`Toolbox:`, `options: 'bind,nosuid,nodev', why: \`Toolbox:`]],
    tests: [['integration', 'image-run']],
  },
  {
    id: 'no-proc-masks',
    what: "Docker's masked /proc paths are not masked",
    edits: [['src/rootfs/gather-facts.ts', 'masked: probeKernelPaths(MASKED_PATHS),', 'masked: probeKernelPaths(MASKED_PATHS).slice(0, 0),']],
    tests: [['integration', 'image-run']],
  },
  {
    id: 'sys-writable',
    what: '/sys is mounted read-write in image boxes',
    edits: [['src/rootfs/box-mounts.ts', `options: spec.privileged ? 'nosuid,nodev,noexec' : 'ro,nosuid,nodev,noexec',`, `options: 'nosuid,nodev,noexec',`]],
    tests: [['integration', 'image-edges']],
  },
  {
    id: 'ro-volume-writable',
    what: '-v SRC:DST:ro is mounted read-write',
    edits: [['src/rootfs/box-mounts.ts', "options: `bind,nodev${m.readOnly ? ',ro' : ''}`", "options: 'bind,nodev'"]],
    tests: [['integration', 'image-edges'], ['integration', 'image-run']],
  },
  {
    id: 'exec-keeps-fds',
    what: 'inherited fds (no close-on-exec) reach the box',
    edits: [['src/exec/close-fds.ts', `      closeSync(fd);
      closed.push(fd);`, '      void closeSync;']],
    tests: [['integration', 'core-exit-signals'], ['integration', 'image-run'], ['integration', 'contain']],
  },
  {
    id: 'rm-through-mounts',
    what: 'removing a container dir does not unmount what is mounted inside',
    edits: [['src/exec/runner.ts', "for (const target of mounts) await hostRunner.exec(['umount', '-l', target]).catch(() => undefined);", '']],
    tests: [['integration', 'lifecycle-edges']],
  },
  {
    id: 'pid-reuse',
    what: 'liveness by PID only (a reused PID is taken for the box)',
    edits: [['src/state/proc-identity.ts', 'return Number(fields[19]) === who.startTime && fields[0]', 'return fields[0]']],
    tests: [['integration', 'lifecycle-edges']],
  },
  {
    id: 'cgroup-reused',
    what: 'a box cgroup that exists already is joined (not refused at plan time)',
    edits: [['src/cgroup/plan-cgroup.ts', '  refusePreexistingCgroups(layout);', '  void refusePreexistingCgroups;']],
    tests: [['integration', 'cgroup-preexisting']],
  },
  {
    id: 'cgroup-undo-any',
    what: "teardown removes whatever cgroup is at the box's path (no inode check)",
    edits: [['src/cgroup/remove.ts', 'if (ino !== undefined && statSync(dir).ino !== ino) {', 'if (ino === -1 && statSync(dir).ino !== ino) {']],
    tests: [['integration', 'cgroup-preexisting']],
  },
  {
    id: 'unreadable-hidden',
    what: 'a box whose state.json is unreadable is skipped by ps and rm (its processes live on)',
    edits: [['src/lifecycle/unreadable-box.ts', 'return listBoxIds(state).flatMap((id) => (known.has(id) ? [] : findUnreadableBox(state, id) ?? []));', 'return listBoxIds(state).flatMap(() => []);'],
      ['src/lifecycle/unreadable-box.ts', 'return reason === undefined || !existsSync(paths.dir) ? undefined : { id, paths, reason };', 'void reason;\n  return undefined;']],
    tests: [['integration', 'lifecycle-edges']],
  },
  {
    id: 'state-not-atomic',
    what: 'state.json written in place (no temp file + rename)',
    edits: [
      ['src/state/atomic-file.ts', "import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';", "import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync, writeFileSync } from 'node:fs';"],
      ['src/state/atomic-file.ts', 'export function writeFileAtomic(path: string, text: string): void {', 'export function writeFileAtomic(path: string, text: string): void {\n  if (path) {\n    writeFileSync(path, text);\n    return;\n  }'],
    ],
    tests: [['unit', 'atomic-file']],
  },
  {
    id: 'env-before-cap-drop',
    what: 'the image Env is exported by the init script before the mounts and the capability drop',
    edits: [['src/rootfs/image-init-script.ts', `    '# 1. The root: the image\\'s layers`, `    ...Object.entries(input.env).map(([k, v]) => \`export \${k}=\${quoteWord(v)}\`),\n    '# 1. The root: the image\\'s layers`]],
    tests: [['integration', 'containment-env'], ['integration', 'image-run']],
  },
  {
    id: 'no-seccomp',
    what: 'no seccomp filter is loaded (every box unconfined)',
    edits: [['src/rootfs/final-exec.ts', '  const s = input.seccomp;', "  const s = undefined as FinalExecInput['seccomp'];"]],
    tests: [['integration', 'image-seccomp'], ['integration', 'containment']],
  },
  {
    id: 'caps-kept',
    what: "the box keeps every capability (no bounding-set drop)",
    edits: [[['src/rootfs/final-exec.ts', 'src/rootfs/image-init-script.ts'], 'args.push(`--bounding-set=${formatBoundingSet(input.capabilities)}`, \'--inh-caps=-all\');', "args.push('--inh-caps=-all'); void formatBoundingSet;"]],
    tests: [['integration', 'image-run']],
  },
];

const args = process.argv.slice(2);
if (args.includes('--list')) {
  for (const m of MUTATIONS) console.log(`${m.id.padEnd(30)} ${m.what}`);
  process.exit(0);
}
const chosen = args.length ? MUTATIONS.filter((m) => args.includes(m.id)) : MUTATIONS;
if (process.getuid?.() !== 0) console.log('note: not root: the privileged tests skip or fail; run as root for a real check');

// A copy of the working tree (tracked and untracked files, as they are now), sharing node_modules.
const work = mkdtempSync(join(tmpdir(), 'nsbox-mutate-'));
let cleaned = false;
const cleanUp = () => {
  if (cleaned) return;
  cleaned = true;
  rmSync(work, { recursive: true, force: true });
};
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => { cleanUp(); process.exit(130); });

const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: here, encoding: 'utf8' }).split('\0').filter(Boolean);
for (const file of files) {
  if (file === 'node_modules' || !existsSync(join(here, file))) continue;
  cpSync(join(here, file), join(work, file), { recursive: true, verbatimSymlinks: true });
}
symlinkSync(resolve(here, 'node_modules'), join(work, 'node_modules'));
console.log(`copy of ${here} in ${work}`);

const env = { ...process.env, NSBOX_TEST_NO_SKIP: '1', FORCE_COLOR: '0' };
delete env.NSBOX_CGROUP_PARENT; // test/run.js picks its own per run

function build() {
  const r = spawnSync('npm', ['run', 'build'], { cwd: work, encoding: 'utf8', env });
  return r.status === 0 ? undefined : `${r.stdout}${r.stderr}`.trim().split('\n').slice(-5).join(' | ');
}

/** Runs each guarding test file; returns the first failure's summary, or undefined when all pass. */
function runTests(tests) {
  for (const [suite, filter] of tests) {
    let fail = runTestFile(suite, filter);
    // Only a leak: on a shared host that may be another suite's mount coming or going mid-test, not the mutation.
    // The file runs once more and its second verdict counts.
    if (fail?.includes(' leaked: ')) fail = runTestFile(suite, filter);
    if (fail !== undefined) return fail;
  }
  return undefined;
}

/** One test file: undefined when it passes (or does not exist here), else its first failure's summary. */
function runTestFile(suite, filter) {
  const r = spawnSync(process.execPath, ['test/run.js', suite, filter], { cwd: work, encoding: 'utf8', env, timeout: 1_200_000 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (!/^\d+ passed, \d+ failed/m.test(out)) return `${suite}/${filter}: no summary (status ${r.status})`;
  const ran = Number(/^(\d+) passed/m.exec(out)[1]) + Number(/^\d+ passed, (\d+) failed/m.exec(out)[1]);
  if (ran === 0) return undefined; // no such file here (e.g. a suite another branch adds): not a catch
  if (r.status === 0) return undefined;
  const failed = /FAIL {2}"([^"]+)"\n\s*([^\n]*)/.exec(out);
  const name = failed?.[1] ?? /FAIL (\S+)/.exec(out)?.[1] ?? '?';
  return `${suite}/${filter}: "${name}"${failed?.[2] ? ` (${failed[2].trim().slice(0, 160)})` : ''}`;
}

const rows = [];
const baselineFiles = [...new Map(chosen.flatMap((m) => m.tests).map((t) => [t.join('/'), t])).values()];
console.log(`baseline: build and ${baselineFiles.length} test files unmutated...`);
const baseBuild = build();
if (baseBuild) {
  console.log(`baseline build failed: ${baseBuild}`);
  process.exit(1);
}
// A shared host makes a test fail now and then for reasons of its own (another suite's mount appearing
// mid-test): a file failing its baseline is retried once; one that still fails cannot tell a mutation apart, so it
// is dropped from every guard list (and named in the report).
const unusable = new Map();
for (const file of baselineFiles) {
  let fail = runTests([file]);
  if (fail) {
    console.log(`baseline: ${fail}; retrying`);
    fail = runTests([file]);
  }
  if (fail) {
    unusable.set(file.join('/'), fail);
    console.log(`baseline: ${file.join('/')} fails unmutated, not used as a guard: ${fail}`);
  }
}
for (const m of chosen) m.tests = m.tests.filter((t) => !unusable.has(t.join('/')));
console.log('baseline done');

for (const m of chosen) {
  const originals = new Map();
  let applied = true;
  for (const [where, find, replace] of m.edits) {
    // A list of files: the edit goes to the first one holding the text (code that moved between branches).
    const candidates = (Array.isArray(where) ? where : [where]).map((f) => join(work, f)).filter(existsSync);
    const path = candidates.find((f) => readFileSync(f, 'utf8').includes(find)) ?? candidates[0] ?? join(work, String(where));
    if (!existsSync(path)) {
      applied = false;
      break;
    }
    const text = readFileSync(path, 'utf8');
    if (!originals.has(path)) originals.set(path, text);
    if (!text.includes(find)) {
      applied = false;
      break;
    }
    writeFileSync(path, text.replace(find, replace));
  }
  let result;
  if (!applied) result = 'NOT APPLIED (the source changed: update test/mutate.js)';
  else {
    const broken = build();
    if (broken) result = `build failed: ${broken}`;
    else {
      const started = Date.now();
      const caught = runTests(m.tests);
      result = caught ? `caught by ${caught}` : 'NOT CAUGHT';
      result += ` (${Math.round((Date.now() - started) / 1000)}s)`;
    }
  }
  for (const [path, text] of originals) writeFileSync(path, text);
  rows.push([m.id, m.what, result]);
  console.log(`${m.id}: ${result}`);
}

console.log('\n| mutation | what it breaks | result |\n| --- | --- | --- |');
for (const [id, what, result] of rows) console.log(`| ${id} | ${what} | ${result} |`);
const missed = rows.filter(([, , r]) => !r.startsWith('caught'));
console.log(`\n${rows.length - missed.length} of ${rows.length} mutations caught`);
for (const [file, why] of unusable) console.log(`not used (fails unmutated): ${file}: ${why}`);
cleanUp();
process.exit(missed.length ? 1 : 0);
