import assert from "node:assert/strict";
import { test } from "node:test";
import { kindOf } from "../../shared/errors.js";
import { parseCgroupsPath } from "./cgroups-path.js";

test("parseCgroupsPath() reads absolute and relative paths", () => {
  assert.deepEqual(parseCgroupsPath("/berth/abc"), { absolute: true, segments: ["berth", "abc"] });
  assert.deepEqual(parseCgroupsPath("berth//abc/./"), { absolute: false, segments: ["berth", "abc"] });
});

test("parseCgroupsPath() takes the systemd form as a path below the slice, without systemd", () => {
  assert.deepEqual(parseCgroupsPath("system.slice:berth:abc"), { absolute: true, segments: ["system.slice", "berth-abc.scope"] });
  assert.deepEqual(parseCgroupsPath(":docker:abc"), { absolute: true, segments: ["system.slice", "docker-abc.scope"] });
  assert.deepEqual(parseCgroupsPath("user.slice::abc"), { absolute: true, segments: ["user.slice", "abc.scope"] });
  assert.deepEqual(parseCgroupsPath("machine.slice:x:my.slice"), { absolute: true, segments: ["machine.slice", "my.slice"] });
});

test("parseCgroupsPath() rejects escapes and the root itself", () => {
  for (const [p, msg] of [
    ["/a/../../etc", 'parse cgroupsPath "/a/../../etc": ".." is not allowed'],
    ["", 'parse cgroupsPath "": must name a cgroup below the root'],
    ["/", 'parse cgroupsPath "/": must name a cgroup below the root'],
    [".", 'parse cgroupsPath ".": must name a cgroup below the root'],
  ] as const) {
    assert.throws(() => parseCgroupsPath(p), (err: unknown) => {
      assert.equal(kindOf(err), "invalid-argument");
      assert.equal((err as Error).message, msg);
      return true;
    });
  }
});
