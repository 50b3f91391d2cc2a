import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { runCommand, startDaemon } from "./daemon-helper.js";

const SCRIPT = `
import docker, sys
c = docker.DockerClient(base_url=sys.argv[1], version="auto")
print("api", c.api.api_version)
img = c.images.get("busybox")
img.tag("py/bb", "1")
print("tags", ",".join(sorted(t for i in c.images.list() for t in i.tags)))
data = b"".join(c.api.get_image("py/bb:1"))
c.images.remove("py/bb:1")
print("loaded", ",".join(t for i in c.images.load(data) for t in i.tags))
old = docker.APIClient(base_url=sys.argv[1], version="1.41")
print("old", old.images()[0]["VirtualSize"] > 0, old.inspect_image("busybox")["Os"])
try:
    c.images.get("nope")
except docker.errors.ImageNotFound as e:
    print("notfound", e.explanation)
`;

// The first interpreter that has the docker module: a pyenv python3 may shadow Debian's
// /usr/bin/python3, which is where CI's python3-docker package installs it.
const python = ["python3", "/usr/bin/python3"].find(
  (py) => spawnSync(py, ["-c", "import docker"], { stdio: "ignore" }).status === 0,
);
const hasDockerPy = python !== undefined;

test("docker-py (API negotiation and a pinned 1.41 client) works against berthd", { skip: hasDockerPy ? false : "python3 docker module not installed" }, async (t) => {
  const d = await startDaemon(t);
  const r = await runCommand(python ?? "python3", ["-c", SCRIPT, d.host]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, [
    "api 1.50",
    "tags busybox:latest,py/bb:1",
    "loaded busybox:latest,py/bb:1",
    "old True linux",
    "notfound No such image: nope:latest",
    "",
  ].join("\n"));
});
