// Unit: `image ls --format` rows (Docker's image fields) and their table.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toImageRow, IMAGE_HEADERS } from '../../src/image/image-rows.js';
import { formatRows } from '../../src/format/template.js';
import type { ImageRecord } from '../../src/image/records.js';

const record = {
  schemaVersion: 1, name: 'busybox', tag: 'latest', id: `sha256:d0db334cae29${'0'.repeat(52)}`, created: '2026-12-01T08:00:00.000Z',
  source: { kind: 'busybox', path: '/bin/busybox' }, layers: ['sha256:aa'], config: {}, size: 2_100_000, flaggedPaths: [],
} as unknown as ImageRecord;

test('Docker\'s fields: Repository, Tag, 12-hex ID, CreatedSince, Size in decimal units', () => {
  const row = toImageRow(record, { shared: 0, unique: 2_100_000 }, Date.parse('2026-12-01T10:00:00.000Z'));
  assert.equal([row.Repository, row.Tag, row.ID, row.CreatedSince, row.Size, row.UniqueSize, row.CreatedAt], ['busybox', 'latest', 'd0db334cae29', '2 hours ago', '2.1MB', '2.1MB', '2026-12-01 08:00:00 +0000 UTC']);
  assert.is(formatRows('table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}', [row], IMAGE_HEADERS), 'REPOSITORY   TAG       IMAGE ID\nbusybox      latest    d0db334cae29\n');
  assert.is(formatRows('{{.Repository}}:{{.Tag}}', [row, { ...row, Tag: 'v1' }], IMAGE_HEADERS), 'busybox:latest\nbusybox:v1\n');
});

test.run();
