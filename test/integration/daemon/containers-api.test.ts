/** Containers at the Engine API level: bad input, hijacked raw TTY and multiplexed streams, wait, events. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { httpCall, startDaemon } from "./daemon-helper.js";
import { FrameDecoder } from "../../../src/daemon/server/streams/stdcopy.js";

function json(body: unknown): string {
  return JSON.stringify(body);
}

/** Send a raw upgraded request and collect everything after the 101 headers until the daemon closes. */
function hijacked(socket: string, path: string, body: string, input?: Buffer, closeAfterMs?: number): Promise<{ head: string; data: Buffer }> {
  return new Promise((resolve, reject) => {
    const c = connect(socket);
    const chunks: Buffer[] = [];
    c.on("data", (d: Buffer) => chunks.push(d));
    c.on("error", reject);
    c.on("close", () => {
      const all = Buffer.concat(chunks);
      const i = all.indexOf("\r\n\r\n");
      resolve({ head: all.subarray(0, i).toString(), data: all.subarray(i + 4) });
    });
    c.write(`POST ${path} HTTP/1.1\r\nHost: berth\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    if (input !== undefined) setTimeout(() => c.write(input), 300);
    if (closeAfterMs !== undefined) setTimeout(() => c.end(), closeAfterMs);
  });
}

test("bad input gets Docker's statuses and messages; the daemon keeps serving", async (t) => {
  const d = await startDaemon(t);
  const malformed = await httpCall(d.socket, "POST", "/v1.50/containers/create", "{nope");
  assert.equal(malformed.status, 400);
  const wrongType = await httpCall(d.socket, "POST", "/v1.50/containers/create", json({ Image: "busybox", Cmd: 5 }));
  assert.equal(wrongType.status, 400);
  const noImage = await httpCall(d.socket, "POST", "/v1.50/containers/create", json({ Image: "no-such-image" }));
  assert.equal(noImage.status, 404);
  assert.match(JSON.parse(noImage.body).message, /^No such image: no-such-image/);
  const badName = await httpCall(d.socket, "POST", "/v1.50/containers/create?name=a%20b", json({ Image: "busybox" }));
  assert.equal(badName.status, 400);
  assert.match(JSON.parse(badName.body).message, /Invalid container name \(a b\)/);
  const startMissing = await httpCall(d.socket, "POST", "/v1.50/containers/nope/start");
  assert.equal(startMissing.status, 404);
  assert.equal(JSON.parse(startMissing.body).message, "No such container: nope");
  const badFilter = await httpCall(d.socket, "GET", `/v1.50/containers/json?filters=${encodeURIComponent(json({ bogus: { x: true } }))}`);
  assert.equal(badFilter.status, 400);
  const created = await httpCall(d.socket, "POST", "/v1.50/containers/create?name=ok1", json({ Image: "busybox", Cmd: ["true"] }));
  assert.equal(created.status, 201);
  const id = JSON.parse(created.body).Id as string;
  const dup = await httpCall(d.socket, "POST", "/v1.50/containers/create?name=ok1", json({ Image: "busybox" }));
  assert.equal(dup.status, 409);
  const badWait = await httpCall(d.socket, "POST", `/v1.50/containers/${id}/wait?condition=bogus`);
  assert.equal(badWait.status, 400);
  assert.equal((await httpCall(d.socket, "POST", `/v1.50/containers/${id}/start`)).status, 204);
  const w = await httpCall(d.socket, "POST", `/v1.50/containers/${id}/wait`);
  assert.deepEqual(JSON.parse(w.body), { StatusCode: 0, Error: null });
  assert.equal((await httpCall(d.socket, "POST", `/v1.50/containers/${id}/stop`)).status, 304);
  assert.equal((await httpCall(d.socket, "POST", `/v1.50/exec/nope/start`, "{}")).status, 404);
  const info = JSON.parse((await httpCall(d.socket, "GET", "/v1.50/info")).body) as { Containers: number; ContainersStopped: number };
  assert.deepEqual([info.Containers, info.ContainersStopped], [1, 1]);
  assert.equal((await httpCall(d.socket, "GET", "/_ping")).status, 200);
});

test("attach: multiplexed frames without a TTY, raw bytes with one, stdin and logs", async (t) => {
  const d = await startDaemon(t);
  const c1 = JSON.parse((await httpCall(d.socket, "POST", "/v1.50/containers/create", json({
    Image: "busybox", Cmd: ["sh", "-c", "read x; echo got-$x; echo to-err >&2"], OpenStdin: true, StdinOnce: true, AttachStdin: true,
  }))).body).Id as string;
  const att = hijacked(d.socket, `/v1.50/containers/${c1}/attach?stream=1&stdin=1&stdout=1&stderr=1`, "", Buffer.from("abc\n"));
  await new Promise((r) => setTimeout(r, 100));
  const waited = httpCall(d.socket, "POST", `/v1.50/containers/${c1}/wait?condition=next-exit`);
  assert.equal((await httpCall(d.socket, "POST", `/v1.50/containers/${c1}/start`)).status, 204);
  const r1 = await att;
  assert.match(r1.head, /^HTTP\/1.1 101 UPGRADED\r\nContent-Type: application\/vnd.docker.multiplexed-stream/);
  const frames = new FrameDecoder().push(r1.data);
  assert.deepEqual(frames.map((f) => [f.stream, f.payload.toString()]), [[1, "got-abc\n"], [2, "to-err\n"]]);
  assert.deepEqual(JSON.parse((await waited).body), { StatusCode: 0, Error: null });
  const logs = await httpCall(d.socket, "GET", `/v1.50/containers/${c1}/logs?stdout=1&stderr=0`);
  assert.deepEqual(new FrameDecoder().push(Buffer.from(logs.body, "latin1")).map((f) => f.payload.toString()), ["got-abc\n"]);

  const c2 = JSON.parse((await httpCall(d.socket, "POST", "/v1.50/containers/create", json({
    Image: "busybox", Cmd: ["sh", "-c", "tty; echo done"], Tty: true,
  }))).body).Id as string;
  const att2 = hijacked(d.socket, `/v1.50/containers/${c2}/attach?stream=1&stdout=1&stderr=1`, "");
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await httpCall(d.socket, "POST", `/v1.50/containers/${c2}/start`)).status, 204);
  const r2 = await att2;
  assert.match(r2.head, /Content-Type: application\/vnd.docker.raw-stream/);
  assert.match(r2.data.toString(), /^\/dev\/pts\/0\r\ndone\r\n$/);

  const c3 = JSON.parse((await httpCall(d.socket, "POST", "/v1.50/containers/create", json({ Image: "busybox", Cmd: ["sleep", "100"] }))).body).Id as string;
  assert.equal((await httpCall(d.socket, "POST", `/v1.50/containers/${c3}/start`)).status, 204);
  const ex = JSON.parse((await httpCall(d.socket, "POST", `/v1.50/containers/${c3}/exec`, json({ Cmd: ["sh", "-c", "echo x; exit 6"], AttachStdout: true, Tty: true }))).body).Id as string;
  const r3 = await hijacked(d.socket, `/v1.50/exec/${ex}/start`, json({ Detach: false, Tty: true }));
  assert.equal(r3.data.toString(), "x\r\n");
  const ei = JSON.parse((await httpCall(d.socket, "GET", `/v1.50/exec/${ex}/json`)).body) as { ExitCode: number; Running: boolean; ContainerID: string };
  assert.deepEqual([ei.ExitCode, ei.Running, ei.ContainerID], [6, false, c3]);
  const removed = httpCall(d.socket, "POST", `/v1.50/containers/${c3}/wait?condition=removed`);
  assert.equal((await httpCall(d.socket, "DELETE", `/v1.50/containers/${c3}`)).status, 409);
  assert.equal((await httpCall(d.socket, "DELETE", `/v1.50/containers/${c3}?force=1`)).status, 204);
  assert.equal(JSON.parse((await removed).body).StatusCode, 137);
  const ev = await httpCall(d.socket, "GET", `/v1.50/events?since=0&until=${Math.ceil(Date.now() / 1000) + 1}&filters=${encodeURIComponent(json({ container: { [c3]: true } }))}`);
  const actions = ev.body.trim().split("\n").map((l) => (JSON.parse(l) as { Action: string }).Action);
  for (const a of ["create", "start", "exec_create: sh -c echo x; exit 6", "exec_start: sh -c echo x; exit 6", "exec_die", "kill", "die", "destroy"]) {
    assert.ok(actions.includes(a), `event ${a} in ${actions.join(", ")}`);
  }
});
