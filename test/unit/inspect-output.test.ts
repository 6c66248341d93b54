// inspect output shared by network inspect and volume inspect: a JSON array, or one template line per item;
// a bad template fails before the items are read.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inspectOutput } from '../../src/format/inspect-output.js';
import { TemplateError } from '../../src/format/template.js';

const items = [{ Name: 'db', Mountpoint: '/v/db/_data' }, { Name: 'web', Mountpoint: '/v/web/_data' }];

test('no format: the items as a JSON array', async () => {
  assert.equal(JSON.parse(await inspectOutput(undefined, () => items)), items);
});

test('-f: one line per item through the template', async () => {
  assert.is(await inspectOutput('{{.Name}} {{.Mountpoint}}', async () => items), 'db /v/db/_data\nweb /v/web/_data\n');
  assert.is(await inspectOutput('{{json .}}', () => [items[0]]), '{"Name":"db","Mountpoint":"/v/db/_data"}\n');
});

test('a bad template fails before anything is read', async () => {
  let read = false;
  const error = await inspectOutput('{{.Name', () => ((read = true), items)).catch((e: unknown) => e);
  assert.instance(error, TemplateError);
  assert.not.ok(read, 'the items were not read');
});

test.run();
