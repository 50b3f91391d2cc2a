import { test } from "node:test";
import assert from "node:assert/strict";
import { goFloat, goSprintf, parseGoTemplate, TemplateError } from "./go-template.js";
import { renderTemplate } from "./template.js";

const run = (src: string, data: unknown) => parseGoTemplate(src).execute(data);

const inspect = {
  Id: "abc123",
  Name: "/web",
  State: { Status: "running", Running: true, Pid: 4242, ExitCode: 0 },
  Config: { Labels: { "com.example.tier": "front", b: "2" }, Env: ["A=1", "B=2"], Cmd: null },
  Mounts: [{ Source: "/src", Destination: "/dst", RW: true }, { Source: "/s2", Destination: "/d2", RW: false }],
  NetworkSettings: { Networks: { bridge: { IPAddress: "172.17.0.2" } } },
};

test("fields, nested fields, missing keys and nil print as Go's fmt", () => {
  assert.equal(run("{{.Id}} {{.State.Status}} {{.State.Pid}}", inspect), "abc123 running 4242");
  assert.equal(run("{{.Nope}}", inspect), "<no value>");
  assert.equal(run("{{.Config.Cmd}}", inspect), "<nil>");
  assert.equal(run("{{.Config.Env}}", inspect), "[A=1 B=2]");
  assert.equal(run("{{.Config.Labels}}", inspect), "map[b:2 com.example.tier:front]");
  assert.equal(run("{{.}}", "x"), "x");
  assert.equal(run("{{.State.Running}}", inspect), "true");
});

test("json, index, range, if/else, with, variables", () => {
  assert.equal(run("{{json .State}}", { State: { a: "<b>" } }), '{"a":"\\u003cb\\u003e"}');
  assert.equal(run('{{index .Config.Labels "com.example.tier"}}', inspect), "front");
  assert.equal(run("{{index .Config.Env 1}}", inspect), "B=2");
  assert.equal(run('[{{index .Config.Labels "nope"}}] [{{index .L "x"}}] {{index .NetworkSettings.Networks "host"}}', { ...inspect, L: null }), "[] [] <nil>",
    "missing keys give the zero value (string maps, nil maps), as Go's index");
  assert.equal(run("{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}", inspect), "/src:/dst /s2:/d2 ");
  assert.equal(run("{{range $i, $m := .Mounts}}{{$i}}={{$m.Destination}};{{end}}", inspect), "0=/dst;1=/d2;");
  assert.equal(run("{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{$v.IPAddress}}{{end}}", inspect), "bridge 172.17.0.2");
  assert.equal(run("{{range .Config.Cmd}}x{{else}}empty{{end}}", inspect), "empty");
  assert.equal(run("{{if .State.Running}}up{{else}}down{{end}}", inspect), "up");
  assert.equal(run("{{if eq .State.Status \"exited\"}}a{{else if eq .State.Status \"running\"}}b{{else}}c{{end}}", inspect), "b");
  assert.equal(run("{{with .State}}{{.Status}}{{end}}", inspect), "running");
  assert.equal(run("{{with .Nope}}x{{else}}none{{end}}", inspect), "none");
  assert.equal(run("{{$n := .Name}}{{$n}}", inspect), "/web");
  assert.equal(run("{{range .Mounts}}{{$.Name}}{{end}}", inspect), "/web/web");
  assert.equal(run("{{(index .Mounts 1).Source}}", inspect), "/s2");
});

test("functions: docker's and Go's builtins, pipelines, trim markers", () => {
  assert.equal(run("{{lower .A}} {{upper .A}} {{title .B}}", { A: "MiXed", B: "hello big world" }), "mixed MIXED Hello Big World");
  assert.equal(run('{{join .L ", "}}', { L: ["a", "b"] }), "a, b");
  assert.equal(run('{{split .S ":"}}', { S: "a:b" }), "[a b]");
  assert.equal(run("{{.S | upper | printf \"<%s>\"}}", { S: "x" }), "<X>");
  assert.equal(run('{{printf "%-6s|%5d|%.2f|%q" .S .N .F .S}}', { S: "ab", N: 42, F: 3.14159 }), 'ab    |   42|3.14|"ab"');
  assert.equal(run("{{len .L}} {{len .S}}", { L: [1, 2, 3], S: "abcd" }), "3 4");
  assert.equal(run("{{truncate .S 3}}{{pad .S 1 2}}|", { S: "abcdef" }), "abc abcdef  |");
  assert.equal(run("{{if and .A (not .B)}}yes{{end}}{{or .B .C}}", { A: 1, B: 0, C: "c" }), "yesc");
  assert.equal(run("{{if gt .N 3}}big{{end}}{{if le .N 3}}small{{end}}", { N: 5 }), "big");
  assert.equal(run("{{print 1 2 \"a\" \"b\"}}", {}), "1 2ab");
  assert.equal(run("a  {{- .X -}}  b", { X: "x" }), "axb");
  assert.equal(run("{{/* a comment */}}ok", {}), "ok");
  assert.equal(run("{{.Label \"k\"}}", { Label: (k: string) => `label:${k}` }), "label:k");
  assert.equal(run("{{slice .S 1 3}}", { S: "abcd" }), "bc");
});

test("Go's number printing and Sprintf verbs", () => {
  assert.equal(goFloat(12), "12");
  assert.equal(goFloat(0.5), "0.5");
  assert.equal(goFloat(1234567.5), "1.2345675e+06");
  assert.equal(goFloat(0.00001), "1e-05");
  assert.equal(goSprintf("%05d|%x|%t|%v%%", [42, 255, true, "v"]), "00042|ff|true|v%");
  assert.equal(goSprintf("%d", []), "%!d(MISSING)");
});

test("syntax errors and unsupported actions are TemplateErrors worded as Go's", () => {
  assert.throws(() => parseGoTemplate("{{foo .X}}"), (e: unknown) => e instanceof TemplateError && /function "foo" not defined/.test(e.message));
  assert.throws(() => parseGoTemplate("{{.X"), /unclosed action/);
  assert.throws(() => parseGoTemplate("{{if .X}}a"), /unexpected EOF/);
  assert.throws(() => parseGoTemplate("{{end}}"), /unexpected \{\{end\}\}/);
  assert.throws(() => parseGoTemplate('{{template "x"}}'), /unsupported action "template"/);
  assert.throws(() => parseGoTemplate("{{range .}}{{break}}{{end}}"), /unsupported action "break"/);
  assert.throws(() => run("{{.A.B}}", { A: "str" }), /can't evaluate field B in type string/);
  assert.throws(() => run("{{$nope}}", {}), /undefined variable: \$nope/);
  assert.throws(() => run("{{index .L 5}}", { L: [1] }), /index out of range: 5/);
});

test("renderTemplate: table header from titles, escapes, parse errors as docker's", () => {
  const rows = [{ ID: "abc", Names: "web" }, { ID: "defgh", Names: "db" }];
  assert.equal(renderTemplate("table {{.ID}}\\t{{upper .Names}}", rows, { ID: "CONTAINER ID", Names: "NAMES" }),
    "CONTAINER ID   NAMES\nabc            WEB\ndefgh          DB\n");
  assert.equal(renderTemplate("{{.ID}}:{{.Names}}", rows), "abc:web\ndefgh:db\n");
  assert.throws(() => renderTemplate("{{nope}}", rows), /^BerthError: template parsing error: template: :1: function "nope" not defined$|template parsing error: template: :1: function "nope" not defined/);
});
