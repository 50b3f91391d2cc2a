import { test } from "node:test";
import assert from "node:assert/strict";
import { assertLogReadable, DEFAULT_LOG_DEFAULTS, fromHumanSize, logAttrs, logSinkOf, ramInBytes, renderLogTag, resolveLogConfig } from "./log-config.js";

const dir = "/data/containers/abc";

test("json-file: sizes are decimal (go-units FromHumanSize), rotation settings for the shim", () => {
  const r = resolveLogConfig({ Type: "json-file", Config: { "max-size": "10k", "max-file": "3", compress: "false", labels: "a", tag: "t" } }, DEFAULT_LOG_DEFAULTS, dir, "abc");
  assert.deepEqual(r.sink, { driver: "json-file", path: `${dir}/abc-json.log`, maxSize: 10_000, maxFile: 3 });
  assert.equal(fromHumanSize("1.5MB"), 1_500_000);
  assert.equal(ramInBytes("1m"), 1024 * 1024);
  assert.deepEqual(resolveLogConfig(undefined, DEFAULT_LOG_DEFAULTS, dir, "abc").config, { Type: "json-file", Config: {} });
});

test("daemon defaults fill an empty type and merge options only for the default driver", () => {
  const d = { driver: "json-file", opts: { "max-size": "1m", "max-file": "2" } };
  assert.deepEqual(resolveLogConfig({ Type: "", Config: { "max-file": "5" } }, d, dir, "abc").config, { Type: "json-file", Config: { "max-size": "1m", "max-file": "5" } });
  assert.deepEqual(resolveLogConfig({ Type: "none", Config: {} }, d, dir, "abc").config, { Type: "none", Config: {} });
  const local = resolveLogConfig({ Type: "local", Config: {} }, d, dir, "abc");
  assert.deepEqual(local.sink, { driver: "json-file", path: `${dir}/local-logs/container.log`, maxSize: 20 * 1024 * 1024, maxFile: 5 });
  assert.deepEqual(resolveLogConfig({ Type: "none", Config: {} }, d, dir, "abc").sink, { driver: "none", path: "", maxSize: 0, maxFile: 1 });
});

test("bad options are refused with moby's texts", () => {
  const bad: Array<[unknown, RegExp]> = [
    [{ Type: "syslog", Config: {} }, /logger: no log driver named 'syslog' is registered/],
    [{ Type: "json-file", Config: { "max-size": "-1" } }, /invalid size: '-1'/],
    [{ Type: "json-file", Config: { "max-size": "0" } }, /max-size must be a positive number/],
    [{ Type: "json-file", Config: { "max-file": "0" } }, /max-file cannot be less than 1/],
    [{ Type: "json-file", Config: { "max-file": "x" } }, /invalid syntax/],
    [{ Type: "json-file", Config: { bogus: "1" } }, /unknown log opt 'bogus' for json-file log driver/],
    [{ Type: "local", Config: { tag: "x" } }, /unknown log opt 'tag' for local log driver/],
    [{ Type: "none", Config: { "max-size": "1k" } }, /unknown log opt 'max-size' for none log driver/],
    [{ Type: "json-file", Config: { compress: "true" } }, /does not compress/],
    [{ Type: "json-file", Config: { "max-size": 5 } }, /must map names to strings/],
  ];
  for (const [lc, msg] of bad) assert.throws(() => resolveLogConfig(lc, DEFAULT_LOG_DEFAULTS, dir, "abc"), msg);
  assert.throws(() => assertLogReadable({ Type: "none", Config: {} }), (e: Error & { kind?: string }) => e.kind === "not-implemented" && /does not support reading/.test(e.message));
  assertLogReadable({ Type: "json-file", Config: {} });
});

test("labels, env and tag become attrs as moby's ExtraAttributes, marshalled as Go does", () => {
  const src = { ID: "f".repeat(64), Name: "/web", Image: `sha256:${"e".repeat(64)}`, Config: { Labels: { app: "a<b", other: "o" }, Env: ["FOO=1", "BAR=2", "NOEQ"], Image: "busybox" } };
  const lc = { Type: "json-file", Config: { labels: "app,missing", env: "FOO,NOEQ", "env-regex": "^BA", tag: "{{.Name}}/{{.ID}}/{{.ImageName}}/{{ .ImageID }}" } };
  assert.equal(logAttrs(lc, src), `{"BAR":"2","FOO":"1","app":"a\\u003cb","tag":"web/${"f".repeat(12)}/busybox/${"e".repeat(12)}"}`);
  assert.equal(logAttrs({ Type: "json-file", Config: {} }, src), undefined);
  assert.equal(logAttrs({ Type: "local", Config: {} }, src), undefined);
  assert.equal(logSinkOf(lc, dir, "abc", src).attrs?.startsWith('{"BAR"'), true);
  assert.throws(() => renderLogTag("{{.Nope}}", src), /invalid log tag template/);
  assert.throws(() => resolveLogConfig({ Type: "json-file", Config: { tag: "{{.Nope}}" } }, DEFAULT_LOG_DEFAULTS, dir, "abc"), /invalid log tag template/);
  assert.throws(() => resolveLogConfig({ Type: "json-file", Config: { "env-regex": "(" } }, DEFAULT_LOG_DEFAULTS, dir, "abc"), /invalid env-regex log option/);
});
