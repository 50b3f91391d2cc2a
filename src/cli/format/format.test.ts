import { test } from "node:test";
import assert from "node:assert/strict";
import { ellipsis, humanDuration, humanSize, shortId, timeAgo } from "./human.js";
import { renderTable } from "./table.js";
import { renderTemplate } from "./template.js";

test("humanSize() matches go-units HumanSizeWithPrecision(…, 3)", () => {
  const cases: Array<[number, string]> = [[0, "0B"], [999, "999B"], [1000, "1kB"], [1982365, "1.98MB"], [12_345, "12.3kB"], [4_200_000, "4.2MB"], [123_456_789_012, "123GB"]];
  for (const [n, s] of cases) assert.equal(humanSize(n), s, String(n));
});

test("humanDuration() matches go-units HumanDuration", () => {
  const cases: Array<[number, string]> = [
    [500, "Less than a second"], [1000, "1 second"], [45_000, "45 seconds"], [60_000, "About a minute"],
    [5 * 60_000, "5 minutes"], [59 * 60_000 + 59_000, "59 minutes"], [3_600_000, "About an hour"], [2 * 3_600_000, "2 hours"],
    [47 * 3_600_000, "47 hours"], [3 * 86_400_000, "3 days"], [20 * 86_400_000, "2 weeks"], [200 * 86_400_000, "6 months"], [800 * 86_400_000, "2 years"],
  ];
  for (const [ms, s] of cases) assert.equal(humanDuration(ms), s, String(ms));
  assert.equal(timeAgo(100, 100_000 + 7200_000), "2 hours ago");
  assert.equal(timeAgo(0, 5), "N/A");
});

test("shortId() and ellipsis()", () => {
  assert.equal(shortId(`sha256:${"ab".repeat(32)}`), "abababababab");
  assert.equal(ellipsis("abcdef", 4), "abc…");
  assert.equal(ellipsis("abc", 4), "abc");
});

test("renderTable() pads like tabwriter(minwidth 10, padding 3) and leaves the last column", () => {
  assert.equal(renderTable([["REPOSITORY", "TAG", "SIZE"], ["busybox", "latest", "1.98MB"]]),
    "REPOSITORY   TAG       SIZE\nbusybox      latest    1.98MB\n");
});

test("renderTemplate() handles fields, json and table formats", () => {
  const items = [{ Repository: "busybox", Tag: "latest", Labels: { a: "1" }, Cmd: ["sh", "-c"] }];
  assert.equal(renderTemplate("{{.Repository}}:{{.Tag}}", items), "busybox:latest\n");
  assert.equal(renderTemplate("{{json .Labels}} {{.Cmd}} {{.Labels}}", items), '{"a":"1"} [sh -c] map[a:1]\n');
  assert.equal(renderTemplate("table {{.Repository}}\\t{{.Tag}}", items, { Repository: "REPOSITORY" }), "REPOSITORY   TAG\nbusybox      latest\n");
  assert.throws(() => renderTemplate("{{define \"x\"}}x{{end}}", items), /template parsing error/);
});
