import { test } from "node:test";
import assert from "node:assert/strict";
import { generateName, newId, normalizeName } from "./names.js";
import { statusString } from "./status.js";
import { resolveUser } from "./user.js";
import { hostsFile, resolvConf } from "./etc-files.js";

test("newId() is 64 hex digits and generateName() is adjective_surname", () => {
  assert.match(newId(), /^[0-9a-f]{64}$/);
  assert.match(generateName(), /^[a-z]+_[a-z]+$/);
  assert.match(generateName(1), /^[a-z]+_[a-z]+\d$/);
});

test("normalizeName() applies Docker's rule and adds the slash", () => {
  assert.equal(normalizeName("web-1.a_b"), "/web-1.a_b");
  assert.equal(normalizeName("/x1"), "/x1");
  for (const bad of ["a", "-x", "a b", "x/y", "é1"]) assert.throws(() => normalizeName(bad), /Invalid container name/);
});

test("statusString() prints docker ps statuses", () => {
  const now = Date.parse("2026-01-01T00:10:00Z");
  assert.equal(statusString({ status: "running", startedAt: "2026-01-01T00:09:57Z", finishedAt: "", exitCode: 0 }, now), "Up 3 seconds");
  assert.equal(statusString({ status: "exited", startedAt: "", finishedAt: "2026-01-01T00:08:00Z", exitCode: 3 }, now), "Exited (3) 2 minutes ago");
  assert.equal(statusString({ status: "created", startedAt: "", finishedAt: "", exitCode: 0 }, now), "Created");
  assert.equal(statusString({ status: "paused", startedAt: "2026-01-01T00:09:00Z", finishedAt: "", exitCode: 0 }, now), "Up About a minute (Paused)");
});

test("resolveUser() reads passwd and group", () => {
  const passwd = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\nweb:x:1000:1000::/srv:/bin/sh\n";
  const group = "root:x:0:\nnogroup:x:65534:\nweb:x:1000:\nstaff:x:50:web\n";
  assert.deepEqual(resolveUser("", passwd, group), { uid: 0, gid: 0, additionalGids: [], home: "/root" });
  assert.deepEqual(resolveUser("web", passwd, group), { uid: 1000, gid: 1000, additionalGids: [50], home: "/srv" });
  assert.equal(resolveUser("1234", passwd, group).uid, 1234);
  assert.equal(resolveUser("nobody:staff", passwd, group).gid, 50);
  assert.equal(resolveUser("5:7", passwd, group).gid, 7);
  assert.throws(() => resolveUser("ghost", passwd, group), /unable to find user ghost: no matching entries in passwd file/);
});

test("resolvConf() drops loopback nameservers; hostsFile() names the container", () => {
  assert.equal(resolvConf("nameserver 127.0.0.53\nsearch x\n", false), "search x\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  assert.equal(resolvConf("nameserver 10.0.0.1\n", false), "nameserver 10.0.0.1\n");
  assert.match(hostsFile("abc"), /127\.0\.0\.1\tlocalhost\n[\s\S]*\tabc\n$/);
});
