import { test } from "node:test";
import assert from "node:assert/strict";
import { splitCpArg } from "./cp.js";
import { splitRepoTag } from "./commit.js";
import { summaryRows } from "../system/df.js";

test("splitCpArg: docker's container:path rules", () => {
  assert.deepEqual(splitCpArg("ctr:/etc"), { container: "ctr", path: "/etc" });
  assert.deepEqual(splitCpArg("ctr:etc/x:y"), { container: "ctr", path: "etc/x:y" });
  assert.deepEqual(splitCpArg("/abs/a:b"), { container: "", path: "/abs/a:b" });
  assert.deepEqual(splitCpArg("./file:name.txt"), { container: "", path: "./file:name.txt" });
  assert.deepEqual(splitCpArg("local"), { container: "", path: "local" });
  assert.deepEqual(splitCpArg("-"), { container: "", path: "-" });
});

test("splitRepoTag: a colon after the last slash is the tag", () => {
  assert.deepEqual(splitRepoTag("repo:v1"), { repo: "repo", tag: "v1" });
  assert.deepEqual(splitRepoTag("localhost:5000/repo"), { repo: "localhost:5000/repo", tag: undefined });
  assert.deepEqual(splitRepoTag("localhost:5000/repo:t"), { repo: "localhost:5000/repo", tag: "t" });
  assert.throws(() => splitRepoTag("repo@sha256:abc"), /digest/);
});

test("system df summary: docker's totals, active counts and reclaimable percentages", () => {
  const img = (id: string, size: number, shared: number, containers: number) => ({
    Id: id, ParentId: "", RepoTags: [], RepoDigests: [], Created: 0, Size: size, SharedSize: shared, Labels: {}, Containers: containers,
  });
  const ctr = (state: string, size: number) => ({
    Id: state, Names: [], Image: "", ImageID: "", Command: "", Created: 0, Ports: [], Labels: {}, State: state, Status: "",
    HostConfig: { NetworkMode: "" }, NetworkSettings: { Networks: {} }, Mounts: [], SizeRw: size,
  });
  const rows = summaryRows({
    LayersSize: 3000,
    Images: [img("a", 2000, 1000, 1), img("b", 2000, 1000, 0)],
    Containers: [ctr("running", 100), ctr("exited", 300)],
    Volumes: [],
    BuildCache: [],
  });
  assert.deepEqual(rows.map((r) => [r.Type, r.TotalCount, r.Active, r.Size, r.Reclaimable]), [
    ["Images", "2", "1", "3kB", "2kB (66%)"],
    ["Containers", "2", "1", "400B", "300B (75%)"],
    ["Local Volumes", "0", "0", "0B", "0B"],
    ["Build Cache", "0", "0", "0B", "0B"],
  ]);
});
