import { test } from "node:test";
import assert from "node:assert/strict";
import { applyChanges } from "./changes.js";

test("applyChanges() applies CMD, ENTRYPOINT, ENV, LABEL, EXPOSE, USER, WORKDIR, VOLUME", () => {
  const c = applyChanges({ Env: ["A=1"] }, [
    'CMD ["sh", "-c", "echo hi"]',
    "ENTRYPOINT /bin/init",
    "ENV A=2 B=\"x y\"",
    "ENV C three",
    "LABEL com.x=1",
    "EXPOSE 80 53/udp",
    "USER nobody",
    "WORKDIR /srv",
    "VOLUME /data",
  ]);
  assert.deepEqual(c, {
    Cmd: ["sh", "-c", "echo hi"],
    Entrypoint: ["/bin/sh", "-c", "/bin/init"],
    Env: ["A=2", "B=x y", "C=three"],
    Labels: { "com.x": "1" },
    ExposedPorts: { "80/tcp": {}, "53/udp": {} },
    User: "nobody",
    WorkingDir: "/srv",
    Volumes: { "/data": {} },
  });
});

test("applyChanges() refuses instructions Docker does not allow in changes", () => {
  assert.throws(() => applyChanges({}, ["RUN rm -rf /"]), /run is not a valid change command/);
  assert.throws(() => applyChanges({}, ["EXPOSE abc"]), /invalid containerPort: abc/);
});
