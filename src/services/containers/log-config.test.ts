import { test } from "node:test";
import assert from "node:assert/strict";
import { assertLogReadable, DEFAULT_LOG_DEFAULTS, fromHumanSize, ramInBytes, resolveLogConfig } from "./log-config.js";

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
