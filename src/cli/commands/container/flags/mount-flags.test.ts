import { test } from "node:test";
import assert from "node:assert/strict";
import { mountFlags, parseMountFlag, splitCsv, splitVolumeFlags } from "./mount-flags.js";
import type { CreateBodyDraft } from "../flag-group.js";

test("--mount: docker's csv keys, defaults and errors", () => {
  assert.deepEqual(parseMountFlag("type=bind,src=/srv,dst=/d,readonly,bind-propagation=rshared"), {
    Type: "bind", Source: "/srv", Target: "/d", ReadOnly: true, BindOptions: { Propagation: "rshared" },
  });
  assert.deepEqual(parseMountFlag("source=v,target=/v,volume-nocopy,volume-label=a=b,volume-opt=type=tmpfs"), {
    Type: "volume", Source: "v", Target: "/v", VolumeOptions: { NoCopy: true, Labels: { a: "b" }, DriverConfig: { Options: { type: "tmpfs" } } },
  });
  assert.deepEqual(parseMountFlag("type=tmpfs,destination=/t,tmpfs-size=64m,tmpfs-mode=1770"), {
    Type: "tmpfs", Target: "/t", TmpfsOptions: { SizeBytes: 64 * 1024 * 1024, Mode: 0o1770 },
  });
  assert.equal(parseMountFlag("type=bind,src=./x,dst=/x", "/work").Source, "/work/x");
  assert.equal(parseMountFlag("src=v,dst=/v,ro=false").ReadOnly, false);
  assert.throws(() => parseMountFlag("src=v"), { message: "target is required" });
  assert.throws(() => parseMountFlag("dst=/x,bogus"), { message: "invalid field 'bogus' must be a key=value pair" });
  assert.throws(() => parseMountFlag("dst=/x,colour=red"), { message: "unexpected key 'colour' in 'colour=red'" });
  assert.throws(() => parseMountFlag("type=bind,dst=/x,tmpfs-size=1m"), { message: "cannot mix 'tmpfs-*' options with mount type 'bind'" });
  assert.throws(() => parseMountFlag("type=tmpfs,dst=/x,tmpfs-mode=999"), { message: "invalid value for tmpfs-mode: 999" });
  assert.deepEqual(splitCsv('a,"b,c",d'), ["a", "b,c", "d"]);
});

test("-v, --tmpfs, --volumes-from into the create body", () => {
  assert.deepEqual(splitVolumeFlags(["/anon", "name:/n:ro", "./rel:/r", "/h:/h"], "/work"), {
    binds: ["name:/n:ro", "/work/rel:/r", "/h:/h"], volumes: { "/anon": {} },
  });
  const body: CreateBodyDraft = { Image: "busybox", HostConfig: {} };
  mountFlags.apply({ volume: ["v:/v", "/a"], mount: ["type=tmpfs,dst=/m"], tmpfs: ["/t:size=1m", "/u"], volumesFrom: ["c:ro"] }, body);
  assert.deepEqual(body.HostConfig.Binds, ["v:/v"]);
  assert.deepEqual(body.Volumes, { "/a": {} });
  assert.deepEqual(body.HostConfig.Mounts, [{ Type: "tmpfs", Target: "/m" }]);
  assert.deepEqual(body.HostConfig.Tmpfs, { "/t": "size=1m", "/u": "" });
  assert.deepEqual(body.HostConfig.VolumesFrom, ["c:ro"]);
  assert.throws(() => mountFlags.apply({ mount: ["type=volume"] }, { Image: "b", HostConfig: {} }), { message: 'invalid argument "type=volume" for "--mount" flag: target is required' });
});
