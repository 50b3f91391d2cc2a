/** Volumes through docker-py (the Python SDK's volumes collection and run's volumes/mounts). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { runCommand, startDaemon } from "../daemon/daemon-helper.js";

const SCRIPT = `
import docker, sys
from docker.types import Mount
c = docker.DockerClient(base_url=sys.argv[1], version="auto")
v = c.volumes.create(name="pyvol", labels={"k": "v"})
print("create", v.name, v.attrs["Driver"], v.attrs["Labels"])
print("list", [x.name for x in c.volumes.list(filters={"label": "k=v"})])
print("run", c.containers.run("busybox", ["sh", "-c", "echo data > /d/f; cat /d/f"], volumes={"pyvol": {"bind": "/d", "mode": "rw"}}, remove=True))
print("ro", c.containers.run("busybox", ["sh", "-c", "cat /m/f; touch /m/g 2>/dev/null || echo refused"], mounts=[Mount("/m", "pyvol", read_only=True)], remove=True))
ct = c.containers.create("busybox", ["true"], volumes={"pyvol": {"bind": "/d", "mode": "ro"}})
print("mounts", [(m["Type"], m["Name"], m["Destination"], m["RW"]) for m in c.api.inspect_container(ct.id)["Mounts"]])
try:
    c.volumes.get("pyvol").remove()
except docker.errors.APIError as e:
    print("inuse", e.status_code)
ct.remove()
try:
    c.volumes.create(name="bad/name")
except docker.errors.APIError as e:
    print("bad", e.status_code)
c.volumes.get("pyvol").remove()
try:
    c.volumes.get("pyvol")
except docker.errors.NotFound as e:
    print("gone", e.explanation)
c.volumes.create()
print("prune", len(c.volumes.prune(filters={"all": "true"})["VolumesDeleted"]))
`;

const python = ["python3", "/usr/bin/python3"].find(
  (py) => spawnSync(py, ["-c", "import docker"], { stdio: "ignore" }).status === 0,
);

test("docker-py: volumes create/list/get/remove/prune, run with volumes= and mounts=", { skip: python !== undefined ? false : "python3 docker module not installed" }, async (t) => {
  const d = await startDaemon(t);
  const r = await runCommand(python ?? "python3", ["-c", SCRIPT, d.host]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, [
    "create pyvol local {'k': 'v'}",
    "list ['pyvol']",
    "run b'data\\n'",
    "ro b'data\\nrefused\\n'",
    "mounts [('volume', 'pyvol', '/d', False)]",
    "inuse 409",
    "bad 400",
    "gone get pyvol: no such volume",
    "prune 1",
    "",
  ].join("\n"));
});
