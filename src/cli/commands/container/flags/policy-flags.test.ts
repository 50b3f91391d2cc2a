import { test } from "node:test";
import assert from "node:assert/strict";
import { Command } from "commander";
import { healthFromFlags, parseGoDuration, parseRestartPolicy, policyFlags } from "./policy-flags.js";
import type { CreateBodyDraft } from "../flag-group.js";

function apply(args: string[], hc: CreateBodyDraft["HostConfig"] = {}): CreateBodyDraft {
  const cmd = policyFlags.add(new Command("run").exitOverride());
  cmd.parse(args, { from: "user" });
  const body: CreateBodyDraft = { HostConfig: hc };
  policyFlags.apply(cmd.opts(), body);
  return body;
}

test("Go durations as time.ParseDuration reads them", () => {
  assert.equal(parseGoDuration("1s"), 1e9);
  assert.equal(parseGoDuration("1m30s"), 90e9);
  assert.equal(parseGoDuration("1.5h"), 5400e9);
  assert.equal(parseGoDuration("250ms"), 250e6);
  assert.equal(parseGoDuration("0"), 0);
  assert.equal(parseGoDuration("-2s"), -2e9);
  assert.throws(() => parseGoDuration("1x"), /^Error: time: unknown unit "x" in duration "1x"$/);
  assert.throws(() => parseGoDuration("5"), /^Error: time: missing unit in duration "5"$/);
  assert.throws(() => parseGoDuration("abc"), /^Error: time: invalid duration "abc"$/);
  assert.throws(() => parseGoDuration(""), /invalid duration/);
});

test("--restart as docker's ParseRestartPolicy", () => {
  assert.deepEqual(apply(["--restart", "on-failure:3"]).HostConfig.RestartPolicy, { Name: "on-failure", MaximumRetryCount: 3 });
  assert.deepEqual(apply([]).HostConfig.RestartPolicy, { Name: "no", MaximumRetryCount: 0 });
  // Unknown names and negative counts are the daemon's to refuse (the docker CLI sends them).
  assert.deepEqual(parseRestartPolicy("sometimes"), { Name: "sometimes", MaximumRetryCount: 0 });
  assert.deepEqual(parseRestartPolicy("on-failure:-1"), { Name: "on-failure", MaximumRetryCount: -1 });
  assert.throws(() => parseRestartPolicy(":3"), /^BerthError: invalid restart policy format: no policy provided before colon$/);
  assert.throws(() => parseRestartPolicy("on-failure:x"), /maximum retry count must be an integer/);
  assert.throws(() => apply(["--restart", "always"], { AutoRemove: true }), /^BerthError: conflicting options: cannot specify both --restart and --rm$/);
  assert.equal(apply(["--restart", "no"], { AutoRemove: true }).HostConfig.AutoRemove, true);
});

test("healthcheck flags become Config.Healthcheck in nanoseconds", () => {
  assert.deepEqual(apply(["--health-cmd", "test -f /ok", "--health-interval", "1s", "--health-retries", "2"]).Healthcheck, {
    Test: ["CMD-SHELL", "test -f /ok"], Interval: 1e9, Timeout: 0, StartPeriod: 0, StartInterval: 0, Retries: 2,
  });
  // A timing flag alone keeps the image's test ([] = inherit).
  assert.deepEqual(apply(["--health-timeout", "500ms"]).Healthcheck?.Test, []);
  assert.deepEqual(apply(["--no-healthcheck"]).Healthcheck, { Test: ["NONE"] });
  assert.equal(apply([]).Healthcheck, undefined);
  assert.throws(() => apply(["--no-healthcheck", "--health-cmd", "x"]), /^BerthError: --no-healthcheck conflicts with --health-\* options$/);
  assert.throws(() => apply(["--health-interval", "-1s"]), /^BerthError: --health-interval cannot be negative$/);
  assert.throws(() => apply(["--health-retries", "-1"]), /^BerthError: --health-retries cannot be negative$/);
  assert.throws(() => apply(["--health-interval", "1x"]), /^BerthError: invalid argument "1x" for "--health-interval" flag: time: unknown unit "x" in duration "1x"$/);
  assert.throws(() => healthFromFlags({ healthRetries: "abc" }), /invalid argument "abc" for "--health-retries" flag: strconv.ParseInt: parsing "abc": invalid syntax/);
});
