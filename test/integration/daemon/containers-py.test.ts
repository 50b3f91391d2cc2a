/** Containers through docker-py (the Python SDK's run/exec/logs/wait paths). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { runCommand, startDaemon } from "./daemon-helper.js";

const SCRIPT = `
import docker, sys, time
c = docker.DockerClient(base_url=sys.argv[1], version="auto")
print("run", c.containers.run("busybox", ["sh", "-c", "echo hi; echo err >&2"], remove=True, stderr=True))
ct = c.containers.run("busybox", ["sh", "-c", "echo bg; sleep 100"], detach=True, name="pyc", labels={"a": "b"})
ct.reload()
print("status", ct.status, ct.name, ct.labels)
print("list", [x.name for x in c.containers.list(filters={"label": "a=b"})])
r = ct.exec_run(["sh", "-c", "echo ex; exit 3"])
print("exec", r.exit_code, r.output)
for _ in range(50):
    if ct.logs() != b"": break
    time.sleep(0.1)
print("logs", ct.logs())
ct.stop(timeout=1)
print("wait", ct.wait()["StatusCode"])
ct.remove()
try:
    c.containers.get("pyc")
except docker.errors.NotFound as e:
    print("gone", e.explanation)
try:
    c.containers.run("busybox", ["sh", "-c", "exit 4"], remove=True)
except docker.errors.ContainerError as e:
    print("exit", e.exit_status)
`;

const python = ["python3", "/usr/bin/python3"].find(
  (py) => spawnSync(py, ["-c", "import docker"], { stdio: "ignore" }).status === 0,
);

test("docker-py runs, execs, logs, stops, waits and removes containers", { skip: python !== undefined ? false : "python3 docker module not installed" }, async (t) => {
  const d = await startDaemon(t);
  const r = await runCommand(python ?? "python3", ["-c", SCRIPT, d.host]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, [
    "run b'hi\\nerr\\n'",
    "status running pyc {'a': 'b'}",
    "list ['pyc']",
    "exec 3 b'ex\\n'",
    "logs b'bg\\n'",
    "wait 137",
    "gone No such container: pyc",
    "exit 4",
    "",
  ].join("\n"));
});
