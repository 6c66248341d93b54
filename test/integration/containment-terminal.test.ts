// Integration (root), threat class "typing into the caller's terminal" (SECURITY.md row 7), the output side: what a
// box or an image names (a file a box process makes, an image's history) reaches the host user's terminal when nsbox
// prints it. A name holding ESC or C1 control bytes is a terminal command there: OSC 0 retitles the window, OSC 52
// writes the clipboard, CSI 2J clears the screen, and some terminals answer queries as if the user typed. nsbox's
// tables and diff print such bytes as "?", as cp prints the box's messages. The victim is the output itself: its
// bytes are checked for every control byte but the line ends.

import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nsbox, isRoot, ok, type Result } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks } from '../helpers/leaks.js';
import { gatedTest } from '../helpers/suite.js';
import { packTar } from './image-fixtures.js';

const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-terminal-'));
const state = join(base, 'state');
const env = { ...process.env, NSBOX_ROOT: join(base, 'store'), NSBOX_STATE: state, NSBOX_IMAGE_NETWORK: 'none' };
const run = (args: string[]): Result => nsbox(args, { env, timeoutMs: 60_000 });

/** OSC 0 (window title), OSC 52 (clipboard), CSI 2J in its 7-bit and its C1 (U+009B) forms. */
const HOSTILE = '\u001b]0;PWNED\u0007\u001b]52;c;ZWNobyBwd25lZA==\u0007\u001b[2J\u009b2J';
// Every C0 byte but \n, DEL, and C1 as UTF-8 (C2 80..C2 9F).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f\u0080-\u009f]/;

test.before(() => {
  if (skipReason) return;
  ok(run(['image', 'import', '--from-host-busybox', 'busybox']), 'import busybox');
});

test.after(() => {
  if (!skipReason) run(['rm', '-f', 'term-names']);
  rmSync(base, { recursive: true, force: true });
});

test('diff of a box whose files are named with terminal commands prints them as ?, never the bytes', async () => {
  const before = snapshot({ stateDirs: [state] });
  ok(run(['run', '-d', '--name', 'term-names', 'busybox', 'sh', '-c', `touch "/tmp/x$1y"; mkdir "/d$1"; echo ready; exec sleep 1000`, 'sh', HOSTILE]), 'run -d');
  const diff = ok(run(['diff', 'term-names']), 'diff');
  assert.not.match(diff, CONTROL, `diff printed control bytes: ${JSON.stringify(diff)}`);
  assert.match(diff, /^A \/tmp\/x\?\]0;PWNED\?/m, `the name is still there, with ? for each control: ${JSON.stringify(diff)}`);
  // --json is for programs: the names as they are (JSON escapes C0 itself).
  const json = JSON.parse(ok(run(['diff', '--json', 'term-names']), 'diff --json')) as { Path: string }[];
  assert.ok(json.some((c) => c.Path === `/tmp/x${HOSTILE}y`), 'diff --json keeps the exact name');
  ok(run(['rm', '-f', 'term-names']), 'rm');
  await assertNoLeaks(before, 'diff names');
});

test('history of an image whose steps hold terminal commands prints them as ?, never the bytes', async () => {
  const layer = await packTar([{ name: 'f', content: 'x' }]);
  const diffId = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, history: [{ created_by: `RUN ${HOSTILE}`, comment: HOSTILE }], rootfs: { type: 'layers', diff_ids: [diffId] } });
  const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
  const file = join(base, 'hostile-history.tar');
  writeFileSync(file, await packTar([
    { name: 'l/', type: 'directory' },
    { name: 'l/layer.tar', content: layer },
    { name: configName, content: config },
    { name: 'manifest.json', content: JSON.stringify([{ Config: configName, RepoTags: ['hostile-history:latest'], Layers: ['l/layer.tar'] }]) },
  ]));
  ok(run(['load', '-i', file]), 'load');
  for (const words of [['history', 'hostile-history'], ['image', 'history', 'hostile-history']]) {
    const out = ok(run(words), words.join(' '));
    assert.not.match(out, CONTROL, `${words.join(' ')} printed control bytes: ${JSON.stringify(out)}`);
    assert.match(out, /RUN \?\]0;PWNED\?/, out);
  }
  ok(run(['image', 'rm', 'hostile-history']), 'image rm');
});

// The image's config (Cmd, Env, WorkingDir, Labels) and a box process's own argv are the box's words too: ps, top,
// inspect -f and the errors that quote them print them as ?; JSON keeps them exact (C1 escaped as \u0080..\u009f).
test('ps, top, inspect and errors print an image\'s and a box process\'s terminal commands as ?; JSON keeps them exact', async () => {
  const before = snapshot({ stateDirs: [state] });
  const layer = await packTar([{ name: 'w/', type: 'directory' }]);
  const diffId = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: [`/x${HOSTILE}`], Env: [`X=${HOSTILE}`], WorkingDir: `/w/${HOSTILE}`, Labels: { l: HOSTILE } }, rootfs: { type: 'layers', diff_ids: [diffId] } });
  const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
  const file = join(base, 'hostile-config.tar');
  writeFileSync(file, await packTar([
    { name: 'l/', type: 'directory' },
    { name: 'l/layer.tar', content: layer },
    { name: configName, content: config },
    { name: 'manifest.json', content: JSON.stringify([{ Config: configName, RepoTags: ['hostile-config:latest'], Layers: ['l/layer.tar'] }]) },
  ]));
  ok(run(['load', '-i', file]), 'load');
  // Its Cmd is no program: the error quotes it.
  const failed = run(['run', '--rm', 'hostile-config']);
  assert.ok(failed.code !== 0, 'the image\'s Cmd does not exist');
  // A busybox box whose command (PID 1, as top lists it too) holds the words.
  ok(run(['run', '-d', '--name', 'term-words', '-e', `Y=${HOSTILE}`, '--label', 'ok=1', 'busybox', 'sh', '-c', 'while :; do sleep 1; done', `sh${HOSTILE}`, HOSTILE]), 'run -d');
  try {
    const outputs: [string, Result][] = [
      ['run (its error)', failed],
      ['ps', run(['ps'])],
      ['ps -a --no-trunc', run(['ps', '-a', '--no-trunc'])],
      ['ps --format', run(['ps', '--no-trunc', '--format', '{{.Command}} {{.Names}}'])],
      ['top', run(['top', 'term-words'])],
      ['top -o pid,args', run(['top', 'term-words', '-o', 'pid,args'])],
      ['inspect -f', run(['inspect', '-f', '{{.Config.Cmd}} {{.Config.Env}} {{.Path}} {{.Args}}', 'term-words'])],
      ['image inspect -f', run(['image', 'inspect', '-f', '{{.Config.Cmd}} {{.Config.Env}} {{.Config.WorkingDir}} {{.Config.Labels}}', 'hostile-config'])],
      ['exec', run(['exec', 'term-words', `/nope${HOSTILE}`])],
      ['exec -w', run(['exec', '-w', `/nope${HOSTILE}`, 'term-words', 'true'])],
    ];
    const raw = ok(run(['inspect', 'term-words']), 'inspect');
    outputs.push(['inspect', { code: 0, signal: null, stdout: raw, stderr: '' }]);
    const leaked = outputs.filter(([, r]) => CONTROL.test(r.stdout + r.stderr)).map(([what, r]) => `${what}: ${JSON.stringify(r.stdout + r.stderr)}`);
    assert.equal(leaked, [], `printed control bytes:\n${leaked.join('\n')}`);
    const psFormat = outputs.find(([w]) => w === 'ps --format')![1].stdout;
    assert.match(psFormat, /PWNED/, `ps --format still shows the words (quoted as Docker quotes them, ? for C1): ${psFormat}`);
    const inspected = outputs.find(([w]) => w === 'inspect -f')![1].stdout;
    assert.match(inspected, /sh\?\]0;PWNED\?/, `inspect -f shows the words with ? for each control: ${inspected}`);
    // JSON: exact once parsed, and no raw C1 byte on the terminal either.
    const [box] = JSON.parse(raw) as { Args: string[] }[];
    assert.ok(box!.Args.includes(`sh${HOSTILE}`), `inspect's JSON keeps the exact words: ${JSON.stringify(box!.Args)}`);
    const json = ok(run(['inspect', '-f', '{{json .Args}}', 'term-words']), 'inspect -f json');
    assert.not.match(json, CONTROL);
    assert.ok((JSON.parse(json) as string[]).includes(HOSTILE), '{{json}} keeps the exact words');
    assert.match(outputs.find(([w]) => w === 'top')![1].stdout, /while/, 'top lists the box\'s PID 1');
  } finally {
    ok(run(['rm', '-f', 'term-words']), 'rm');
    ok(run(['image', 'rm', 'hostile-config']), 'image rm');
  }
  await assertNoLeaks(before, 'config words');
});

test.run();
