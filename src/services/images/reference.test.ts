import { test } from "node:test";
import assert from "node:assert/strict";
import { familiarString, fullString, parseReference, withDefaultTag } from "./reference.js";

const good: Array<[string, string, string]> = [
  ["busybox", "docker.io/library/busybox", "busybox"],
  ["busybox:latest", "docker.io/library/busybox:latest", "busybox:latest"],
  ["library/busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"],
  ["docker.io/library/busybox", "docker.io/library/busybox", "busybox"],
  ["index.docker.io/me/app:v1", "docker.io/me/app:v1", "me/app:v1"],
  ["me/app", "docker.io/me/app", "me/app"],
  ["localhost:5000/x", "localhost:5000/x", "localhost:5000/x"],
  ["localhost/x:y", "localhost/x:y", "localhost/x:y"],
  ["quay.io/a/b/c:1.0-rc_2", "quay.io/a/b/c:1.0-rc_2", "quay.io/a/b/c:1.0-rc_2"],
  ["my-reg.example:443/a__b/c.d", "my-reg.example:443/a__b/c.d", "my-reg.example:443/a__b/c.d"],
  [`busybox@sha256:${"a".repeat(64)}`, `docker.io/library/busybox@sha256:${"a".repeat(64)}`, `busybox@sha256:${"a".repeat(64)}`],
  [`busybox:1@sha256:${"b".repeat(64)}`, `docker.io/library/busybox:1@sha256:${"b".repeat(64)}`, `busybox:1@sha256:${"b".repeat(64)}`],
];
for (const [input, full, familiar] of good) {
  test(`parseReference() normalises "${input}"`, () => {
    const r = parseReference(input);
    assert.equal(fullString(r), full);
    assert.equal(familiarString(r), familiar);
  });
}

const bad: Array<[string, RegExp]> = [
  ["", /^invalid reference format$/],
  ["Busybox", /^invalid reference format: repository name \(library\/Busybox\) must be lowercase$/],
  ["busybox:", /^invalid reference format$/],
  ["busybox:bad tag", /^invalid reference format$/],
  [":tag", /^invalid reference format$/],
  ["a//b", /^invalid reference format$/],
  ["-abc", /^invalid reference format$/],
  ["abc-", /^invalid reference format$/],
  ["busybox@sha256:abc", /^invalid reference format$/],
  [`busybox:${"t".repeat(129)}`, /^invalid reference format$/],
  ["a".repeat(64).replace(/a/g, "f"), /cannot specify 64-byte hexadecimal strings/],
];
for (const [input, re] of bad) {
  test(`parseReference() rejects "${input.slice(0, 40)}" with Docker's text`, () => {
    assert.throws(() => parseReference(input), (e: Error & { kind?: string }) => {
      assert.match(e.message, re);
      assert.equal(e.kind, "invalid-argument");
      return true;
    });
  });
}

test("withDefaultTag() adds latest only without tag or digest", () => {
  assert.equal(withDefaultTag(parseReference("busybox")).tag, "latest");
  assert.equal(withDefaultTag(parseReference("busybox:1")).tag, "1");
  assert.equal(withDefaultTag(parseReference(`busybox@sha256:${"a".repeat(64)}`)).tag, undefined);
});
