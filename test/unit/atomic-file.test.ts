// state.json's writer killed mid-write: a reader sees the old text or the new one, never a torn mix.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../../src/state/atomic-file.js';

const atomicModule = fileURLToPath(new URL('../../src/state/atomic-file.js', import.meta.url));

test('a writer SIGKILLed at random points never leaves a torn file: each read parses and is one whole version', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nsbox-atomic-'));
  const path = join(dir, 'state.json');
  try {
    // Big versions (256 KiB each) so a kill often lands inside a write.
    const version = (n: number) => JSON.stringify({ n, pad: String(n % 10).repeat(1 << 18) });
    writeFileAtomic(path, version(0));
    const writer = `import { writeFileAtomic } from ${JSON.stringify(atomicModule)};
      const version = ${version.toString()};
      for (let n = 1; ; n++) {
        writeFileAtomic(${JSON.stringify(path)}, version(n));
        if (n === 1) process.stdout.write('writing\\n');
      }`;
    let kills = 0;
    const seen = new Set<number>();
    for (let round = 0; round < 15; round++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', writer], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise((r) => child.stdout!.once('data', r)); // it is in its write loop now
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 40)));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      kills++;
      const text = readFileSync(path, 'utf8');
      let parsed: { n: number; pad: string };
      try {
        parsed = JSON.parse(text) as { n: number; pad: string };
      } catch {
        throw new Error(`round ${round}: torn file (${text.length} bytes)`);
      }
      assert.is(text, version(parsed.n), `round ${round}: the file is exactly version ${parsed.n}`);
      seen.add(parsed.n);
    }
    assert.is(kills, 15);
    assert.ok(seen.size > 1, `the writer was killed at different points (versions seen: ${[...seen].join(' ')})`);
    // What a killed writer leaves is its own temp file beside the target, never the target half-written.
    for (const name of readdirSync(dir)) assert.ok(name === 'state.json' || /^\.state\.json\.\d+\.tmp$/.test(name), name);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
