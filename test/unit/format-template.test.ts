// Unit: the Go-template subset of --format (fields, maps, json, range, index, if/with, pipes, functions, errors)
// and Docker's `table` alignment, each checked against what Docker (Go's text/template) prints.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alignColumns, compileFormat, formatRows, renderTemplate, TemplateError } from '../../src/format/template.js';

const box = {
  Id: 'abc123',
  Name: '/web',
  State: { Status: 'running', Running: true, Pid: 4242, ExitCode: 0, OOMKilled: false },
  Config: { Labels: { foo: 'bar', 'com.example.tier': 'front' }, Cmd: ['sh', '-c', 'sleep 1'], Env: [] as string[], Entrypoint: null },
  HostConfig: { Memory: 67108864, NanoCpus: 500000000 },
  NetworkSettings: {
    IPAddress: '10.88.0.2',
    Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] },
    Networks: { bridge: { IPAddress: '10.88.0.2', Gateway: '10.88.0.1', Aliases: ['web'] } },
  },
};

const t = (format: string, data: unknown = box) => renderTemplate(format, data);

test('field paths, the dot, map keys as fields, text around actions', () => {
  assert.is(t('{{.NetworkSettings.IPAddress}}'), '10.88.0.2');
  assert.is(t('{{.Name}}'), '/web');
  assert.is(t('name={{.Name}} pid={{.State.Pid}}'), 'name=/web pid=4242');
  assert.is(t('{{.Config.Labels.foo}}'), 'bar');
  assert.is(t('{{.HostConfig.Memory}} {{.State.Running}}'), '67108864 true');
  assert.is(t('{{.}}', 'plain'), 'plain');
  assert.is(t('no actions at all'), 'no actions at all');
});

test('Go printing: a missing key is <no value>, nil <nil>, lists [a b], maps map[k:v] sorted', () => {
  assert.is(t('{{.Config.Labels.nope}}'), '<no value>');
  assert.is(t('{{.Config.Entrypoint}}'), '<nil>');
  assert.is(t('{{.Config.Cmd}}'), '[sh -c sleep 1]');
  assert.is(t('{{.Config.Labels}}'), 'map[com.example.tier:front foo:bar]');
  assert.is(t('{{.Config.Env}}'), '[]');
});

test('json: compact, no HTML escaping, nil as null', () => {
  assert.is(t('{{json .State}}'), '{"Status":"running","Running":true,"Pid":4242,"ExitCode":0,"OOMKilled":false}');
  assert.is(t('{{json .Config.Entrypoint}}'), 'null');
  assert.is(t('{{json .Config.Labels.foo}}'), '"bar"');
  assert.is(t('{{json .}}', { a: '<&>' }), '{"a":"<&>"}');
  assert.is(t('{{.State | json}}'), t('{{json .State}}'));
});

test('index: map keys that are not identifiers, list positions, nested keys', () => {
  assert.is(t('{{index .Config.Labels "com.example.tier"}}'), 'front');
  assert.is(t('{{index .Config.Cmd 2}}'), 'sleep 1');
  assert.is(t('{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}'), '8080');
  assert.is(t('{{index .NetworkSettings.Ports "80/tcp" 0 "HostPort"}}'), '8080');
  assert.is(t('{{(index .NetworkSettings.Networks "bridge").Gateway}}'), '10.88.0.1');
  assert.throws(() => t('{{index .Config.Cmd 9}}'), /index out of range: 9/);
});

test('range over lists and maps (sorted keys), with $k, $v, $ and else', () => {
  assert.is(t('{{range .Config.Cmd}}[{{.}}]{{end}}'), '[sh][-c][sleep 1]');
  assert.is(t('{{range $i, $w := .Config.Cmd}}{{$i}}={{$w}} {{end}}'), '0=sh 1=-c 2=sleep 1 ');
  assert.is(t('{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}'), 'com.example.tier=front;foo=bar;');
  assert.is(t('{{range $p, $b := .NetworkSettings.Ports}}{{$p}} -> {{(index $b 0).HostPort}}{{end}}'), '80/tcp -> 8080');
  assert.is(t('{{range $name, $n := .NetworkSettings.Networks}}{{$name}} {{$n.IPAddress}} {{$.Name}}{{end}}'), 'bridge 10.88.0.2 /web');
  assert.is(t('{{range .Config.Env}}x{{else}}empty{{end}}'), 'empty');
  assert.is(t('{{range .Config.Cmd}}{{if eq . "-c"}}{{continue}}{{end}}{{if eq . "sleep 1"}}{{break}}{{end}}{{.}}{{end}}'), 'sh');
});

test('if / else if / else, with, and Go\'s truth rule', () => {
  assert.is(t('{{if .State.Running}}up{{else}}down{{end}}'), 'up');
  assert.is(t('{{if .State.OOMKilled}}oom{{else if .State.ExitCode}}failed{{else}}ok{{end}}'), 'ok');
  assert.is(t('{{if .Config.Env}}y{{else}}n{{end}} {{if .Config.Labels}}y{{end}} {{if ""}}y{{else}}n{{end}}'), 'n y n');
  assert.is(t('{{with .Config.Labels}}{{.foo}}{{end}}'), 'bar');
  assert.is(t('{{with .Config.Entrypoint}}x{{else}}none{{end}}'), 'none');
  assert.is(t('{{if and .State.Running (not .State.OOMKilled)}}fine{{end}}'), 'fine');
  assert.is(t('{{or .Config.Entrypoint "default"}}'), 'default');
});

test('functions: printf, len, join, split, lower, upper, title, truncate, comparisons, print, println', () => {
  assert.is(t('{{printf "%s:%d" .Name .State.Pid}}'), '/web:4242');
  assert.is(t('{{printf "%-6s|" "ab"}}{{printf "%5.1f" 2.26}}'), 'ab    |  2.3');
  assert.is(t('{{len .Config.Cmd}} {{len .Config.Labels}} {{len .Name}}'), '3 2 4');
  assert.is(t('{{join .Config.Cmd ","}}'), 'sh,-c,sleep 1');
  assert.is(t('{{index (split "a:b:c" ":") 1}}'), 'b');
  assert.is(t('{{lower "AbC"}} {{upper "abc"}} {{title "hello world"}} {{truncate "abcdef" 3}}'), 'abc ABC Hello World abc');
  assert.is(t('{{if gt .State.Pid 100}}big{{end}} {{if lt 1 2}}lt{{end}} {{if ne .Name "/x"}}ne{{end}}'), 'big lt ne');
  assert.is(t('{{print "a" 1 2 "b"}}|{{println "x" 1}}'), 'a1 2b|x 1\n');
});

test('variables, trim markers and comments', () => {
  assert.is(t('{{$n := .Name}}{{$n}}{{$n = "other"}} {{$n}}'), '/web other');
  assert.is(t('a  {{- .Name -}}  b'), 'a/webb');
  assert.is(t('{{/* a comment */}}x'), 'x');
  assert.is(t('{{"}}"}}'), '}}');
});

test('methods of the data are called with their arguments (ps\'s .Label "key")', () => {
  const row = { Label: (key: unknown) => (key === 'tier' ? 'front' : '') };
  assert.is(t('{{.Label "tier"}}', row), 'front');
});

test('errors are one-line TemplateErrors with exit code 1, like Go\'s', () => {
  const cases: [string, RegExp][] = [
    ['{{.Name', /unclosed action/],
    ['{{if .Name}}x', /has no \{\{end\}\}/],
    ['{{end}}', /unexpected \{\{end\}\}/],
    ['{{nosuchfunc .Name}}', /function "nosuchfunc" not defined/],
    ['{{.Nope.Deeper}}', /nil pointer evaluating interface \{\}\.Deeper/],
    ['{{.Name.Deeper}}', /can't evaluate field Deeper in type string/],
    ['{{$x}}', /undefined variable: \$x/],
    ['{{.Name "arg"}}', /can't give argument to non-function \.Name/],
    ['{{"unterminated}}', /unterminated quoted string|unclosed action/],
    // A width that would only exhaust memory, or that ' '.repeat throws on (an internal error before).
    ['{{pad "x" 1e12 0}}', /error calling pad: width 1000000000000 is not a whole number/],
    ['{{pad "x" -1 0}}', /error calling pad: width -1/],
  ];
  for (const [format, message] of cases) {
    try {
      t(format);
      assert.unreachable(`${format} should fail`);
    } catch (error) {
      assert.instance(error, TemplateError, format);
      assert.match((error as Error).message, /^template: /, format);
      assert.match((error as Error).message, message, format);
      assert.is((error as TemplateError).exitCode, 1);
      assert.not.match((error as Error).message, /\n/);
    }
  }
});

test('printf: a width over Go\'s 1e6 is %!(BADWIDTH), as Go prints it', () => {
  assert.is(t('{{printf "%2000000s" "x"}}'), '%!(BADWIDTH)');
  assert.is(t('{{printf "%3s" "x"}}'), '  x');
});

test('Docker\'s conveniences: \\t and \\n as typed, json alone, table with a header row', () => {
  assert.is(compileFormat('{{.Name}}\\t{{.Id}}').render(box), '/web\tabc123');
  assert.is(compileFormat('json').render({ a: 1 }), '{"a":1}');
  const rows = [{ ID: 'abc', Names: 'web' }, { ID: 'defdefdefdefdef', Names: 'db' }];
  assert.is(formatRows('table {{.ID}}\\t{{.Names}}', rows, { ID: 'CONTAINER ID', Names: 'NAMES' }), 'CONTAINER ID      NAMES\nabc               web\ndefdefdefdefdef   db\n');
  assert.is(formatRows('{{.Names}}', rows, {}), 'web\ndb\n');
  // tabwriter: at least 10 wide, 3 spaces of padding, the last column unpadded.
  assert.is(alignColumns(['a\tb', 'ccc\td']), 'a         b\nccc       d\n');
});

test.run();
