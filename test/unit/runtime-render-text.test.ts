// nsbox-runtime's plan.sh writes its text files with heredocs: a content line equal to the delimiter must not end
// the heredoc early (the lines after it would run as commands when someone runs the plan with sh).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderStep } from '../../src/runtime/render-plan.js';

test('write-text: content with NSBOX_EOF lines is written whole, and nothing in it runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nsbox-render-text-'));
  try {
    const target = join(dir, 'out');
    const marker = join(dir, 'ran');
    const content = `a\nNSBOX_EOF\ntouch ${marker}\nNSBOX_EOF_1\nb\n`;
    const script = renderStep({ kind: 'write-text', path: target, content, why: 'test' }).join('\n');
    const sh = spawnSync('sh', ['-eu'], { input: `${script}\n`, encoding: 'utf8' });
    assert.is(sh.status, 0, sh.stderr);
    assert.is(existsSync(marker), false, 'a content line ran as a command');
    assert.is(readFileSync(target, 'utf8'), content);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
