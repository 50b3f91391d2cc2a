import { test } from "node:test";
import assert from "node:assert/strict";
import { goDurationMs, parsePruneFilters, pruneMatches, untilMs } from "./prune-filters.js";

test("until: unix seconds, Go durations, RFC 3339; bad values refused", () => {
  const now = Date.UTC(2024, 0, 2);
  assert.equal(untilMs("1700000000", now), 1_700_000_000_000);
  assert.equal(untilMs("1700000000.5", now), 1_700_000_000_500);
  assert.equal(untilMs("24h", now), now - 86_400_000);
  assert.equal(untilMs("1h30m", now), now - 5_400_000);
  assert.equal(untilMs("2023-12-31T00:00:00Z", now), Date.UTC(2023, 11, 31));
  assert.equal(goDurationMs("1.5h"), 5_400_000);
  assert.equal(goDurationMs("10"), undefined);
  assert.throws(() => untilMs("soon", now), /invalid filter 'until=soon'/);
});

test("parsePruneFilters and pruneMatches: label, label!, until; unknown keys refused", () => {
  const now = Date.UTC(2024, 0, 2);
  assert.throws(() => parsePruneFilters({ color: ["red"] }, now), /invalid filter 'color'/);
  assert.throws(() => parsePruneFilters({ until: ["1h", "2h"] }, now), /more than one until filter/);
  assert.doesNotThrow(() => parsePruneFilters({ dangling: ["true"] }, now, ["dangling"]));
  const f = parsePruneFilters({ until: ["1h"], label: ["tier", "env=prod"], "label!": ["keep"] }, now);
  const old = now - 7_200_000;
  assert.equal(pruneMatches(f, old, { tier: "x", env: "prod" }), true);
  assert.equal(pruneMatches(f, now - 60_000, { tier: "x", env: "prod" }), false, "too new");
  assert.equal(pruneMatches(f, old, { tier: "x", env: "dev" }), false);
  assert.equal(pruneMatches(f, old, { tier: "x", env: "prod", keep: "" }), false);
  assert.equal(pruneMatches(parsePruneFilters({}, now), now, null), true);
});
