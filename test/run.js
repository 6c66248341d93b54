#!/usr/bin/env node
// Test driver: runs each compiled uvu test file in its own node process (unit first, then integration),
// then prints the one summary line CI reads: "N passed, N failed[, N skipped]".
//   node test/run.js [unit|integration|v2] [filter]
import { readdirSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const [suiteArg, filter] = process.argv.slice(2);
const suites = suiteArg && suiteArg !== 'all' ? [suiteArg] : ['unit', 'integration'];
let passed = 0, failed = 0, skipped = 0;
const failures = [];

for (const suite of suites) {
  const dir = join('dist', 'test', suite);
  if (!existsSync(dir)) continue;
  const files = readdirSync(dir).filter((f) => f.endsWith('.test.js') && (!filter || f.includes(filter))).sort();
  for (const file of files) {
    const started = Date.now();
    const result = spawnSync(process.execPath, [join(dir, file)], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' }, timeout: 600_000 });
    const out = `${result.stdout ?? ''}${result.stderr ?? ''}`;
    const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? 0);
    const pass = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? 0);
    const skip = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0);
    let fail = total - pass - skip;
    if (result.status !== 0 && fail === 0) fail = 1; // crashed before uvu could count
    passed += pass; failed += fail; skipped += skip;
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`${fail ? 'FAIL' : 'ok  '} ${suite}/${file}: ${pass} passed, ${fail} failed, ${skip} skipped (${secs}s)`);
    if (fail) { failures.push(file); console.log(out.split('\n').map((l) => `    ${l}`).join('\n')); }
    else if (/SKIP:/.test(out)) console.log(out.split('\n').filter((l) => l.includes('SKIP:')).map((l) => `    ${l.trim()}`).join('\n'));
  }
}
if (failures.length) console.log(`failed files: ${failures.join(', ')}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);
