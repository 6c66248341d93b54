// overlay's mount options from store paths: "," ":" "=" and "\" in a path must not split, add or redirect options.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { escapeOverlayPath, overlayOptions } from '../../src/rootfs/image-init-script.js';
import { describeContainerDir } from '../../src/rootfs/container-dir.js';

/** overlayfs's own reading of an option string (fs/overlayfs/params.c): split on unescaped ",", then unescape. */
function parseLikeOverlay(options: string): { key: string; values: string[] }[] {
  const split = (text: string, sep: string): string[] => {
    const out: string[] = [];
    let cur = '';
    for (let i = 0; i < text.length; i++) {
      if (text[i] === '\\' && i + 1 < text.length) {
        cur += text[i]! + text[i + 1]!;
        i++;
      } else if (text[i] === sep) {
        out.push(cur);
        cur = '';
      } else cur += text[i];
    }
    out.push(cur);
    return out;
  };
  const unescape = (text: string) => text.replace(/\\(.)/g, '$1');
  return split(options, ',').map((opt) => {
    const eq = opt.indexOf('=');
    const key = eq === -1 ? opt : opt.slice(0, eq);
    const value = eq === -1 ? '' : opt.slice(eq + 1);
    return { key, values: key === 'lowerdir' ? split(value, ':').map(unescape) : [unescape(value)] };
  });
}

test('paths with , : = and \\ stay one value each; no option is added or redirected', () => {
  const store = '/srv/a,upperdir=/etc:x\\y';
  const container = describeContainerDir(`${store}/containers`, 'c'.repeat(64));
  const lowerDirs = [container.init, `${store}/layers/1/fs`, '/plain/layer'];
  const parsed = parseLikeOverlay(overlayOptions({ container, lowerDirs, readOnly: true }));
  assert.equal(parsed.map((o) => o.key), ['lowerdir', 'upperdir', 'workdir', 'nodev', 'ro']);
  assert.equal(parsed[0]!.values, lowerDirs);
  assert.equal(parsed[1]!.values, [container.upper]);
  assert.equal(parsed[2]!.values, [container.work]);
});

test('plain paths are unchanged', () => {
  assert.is(escapeOverlayPath('/var/lib/nsbox/layers/ab/fs'), '/var/lib/nsbox/layers/ab/fs');
  assert.is(escapeOverlayPath('/a,b:c=d\\e'), '/a\\,b\\:c\\=d\\\\e');
});

test.run();
