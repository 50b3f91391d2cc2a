import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { connect } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "../../server.js";
import { EventBus } from "../../../../services/events/event-bus.js";
import { notFound } from "../../../../shared/errors.js";
import type { ContainersBackend } from "./backend.js";
import type { OutputSink } from "../../../../services/containers/container-service.js";
import { FrameDecoder } from "../../streams/stdcopy.js";

interface Fake {
  calls: unknown[][];
  releaseWait: () => void;
}

function fakeContainers(): ContainersBackend & Fake {
  const calls: unknown[][] = [];
  let releaseWait = () => {};
  const waitDone = new Promise<void>((r) => { releaseWait = r; });
  const fake = {
    calls,
    releaseWait: () => releaseWait(),
    create: async (body: unknown, name?: string) => { calls.push(["create", body, name]); return { Id: "c1", Warnings: [] }; },
    start: async (id: string) => { if (id === "missing") throw notFound("No such container: missing"); calls.push(["start", id]); },
    stop: async () => undefined,
    restart: async () => undefined,
    kill: async (id: string, sig?: string) => { calls.push(["kill", id, sig]); },
    wait: (id: string, cond?: string) => {
      if (id === "missing") throw notFound("No such container: missing");
      calls.push(["wait", id, cond]);
      return waitDone.then(() => ({ StatusCode: 3, Error: null }));
    },
    remove: async () => undefined,
    inspect: (id: string) => ({ Id: id, Config: { Tty: id === "tty" } }) as never,
    list: async () => [],
    logs: async (_id: string, _o: unknown, sink: OutputSink) => {
      sink.data("stdout", Buffer.from("a\n"), "2026-01-01T00:00:00Z");
      sink.data("stderr", Buffer.from("b\n"), "2026-01-01T00:00:01Z");
      sink.end();
      return { tty: false };
    },
    attach: async (_id: string, o: { stdin: NodeJS.ReadableStream | undefined }, sink: OutputSink) => {
      o.stdin?.on("data", (c: Buffer) => {
        sink.data("stdout", Buffer.from(`echo:${c.toString()}`));
        sink.end();
      });
      return { tty: false, detach: () => undefined };
    },
    resize: async () => undefined,
    top: async () => ({ Titles: [], Processes: [] }),
    execCreate: () => ({ Id: "e1" }),
    execStart: async (id: string, o: { detach: boolean; tty?: boolean | undefined }, sink: OutputSink) => {
      calls.push(["execStart", id, o.detach, o.tty]);
      sink.data("stdout", Buffer.from("x"));
      sink.end();
      return { tty: o.tty === true };
    },
    execInspect: () => ({ ProcessConfig: { tty: false }, OpenStdin: false }) as never,
    execResize: async () => undefined,
  };
  return fake as unknown as ContainersBackend & Fake;
}

async function serve(t: { after: (fn: () => Promise<void>) => void }) {
  const d = await mkdtemp(join(tmpdir(), "berth-ctr-api-"));
  const containers = fakeContainers();
  const bus = new EventBus();
  const server = createServer({ system: {} as never, images: {} as never, events: bus, containers });
  const sock = join(d, "api.sock");
  await server.listen(`unix://${sock}`);
  t.after(async () => {
    await server.close();
    await rm(d, { recursive: true, force: true });
  });
  return { sock, containers };
}

function raw(sock: string, text: string, then?: (c: ReturnType<typeof connect>) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const c = connect(sock);
    const chunks: Buffer[] = [];
    c.on("data", (d: Buffer) => chunks.push(d));
    c.on("error", reject);
    c.on("close", () => resolve(Buffer.concat(chunks)));
    c.write(text);
    then?.(c);
  });
}

test("POST /containers/{id}/wait sends its headers before the result, then the status", async (t) => {
  const { sock, containers } = await serve(t);
  const res = await new Promise<import("node:http").IncomingMessage>((resolve) => {
    request({ socketPath: sock, method: "POST", path: "/v1.50/containers/c1/wait?condition=next-exit" }, resolve).end();
  });
  assert.equal(res.statusCode, 200, "headers arrive while the container still runs");
  containers.releaseWait();
  let body = "";
  for await (const c of res) body += (c as Buffer).toString();
  assert.deepEqual(JSON.parse(body), { StatusCode: 3, Error: null });
  assert.deepEqual(containers.calls.at(-1), ["wait", "c1", "next-exit"]);
});

test("attach with Upgrade: tcp answers 101 and speaks multiplexed frames both ways", async (t) => {
  const { sock } = await serve(t);
  const out = await raw(sock, "POST /v1.50/containers/c1/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
    (c) => setTimeout(() => c.write("hi"), 50));
  const text = out.toString("latin1");
  assert.match(text, /^HTTP\/1.1 101 UPGRADED\r\nContent-Type: application\/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n/);
  const frames = new FrameDecoder().push(out.subarray(text.indexOf("\r\n\r\n") + 4));
  assert.deepEqual(frames.map((f) => [f.stream, f.payload.toString()]), [[1, "echo:hi"]]);
});

test("exec start reads its JSON body from the upgraded bytes; errors before the hijack are plain HTTP", async (t) => {
  const { sock, containers } = await serve(t);
  const body = JSON.stringify({ Detach: false, Tty: true });
  const out = await raw(sock, `POST /v1.50/exec/e1/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  assert.match(out.toString(), /^HTTP\/1.1 101 UPGRADED\r\nContent-Type: application\/vnd.docker.raw-stream[\s\S]*\r\n\r\nx$/);
  assert.deepEqual(containers.calls.at(-1), ["execStart", "e1", false, true]);
  const missing = await raw(sock, "POST /v1.50/containers/missing/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n");
  assert.match(missing.toString(), /^HTTP\/1.1 404 Not Found\r\n[\s\S]*\{"message":"No such container: missing"\}\n$/);
});

test("logs are framed per stream, with timestamps when asked", async (t) => {
  const { sock } = await serve(t);
  const out = await raw(sock, "GET /v1.50/containers/c1/logs?stdout=1&stderr=1&timestamps=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const text = out.toString("latin1");
  assert.match(text, /^HTTP\/1.1 200 OK\r\n[\s\S]*Content-Type: application\/vnd.docker.multiplexed-stream/);
  const bodyStart = text.indexOf("\r\n\r\n") + 4;
  // chunked encoding: strip the chunk size lines
  const chunks: Buffer[] = [];
  let rest = out.subarray(bodyStart);
  for (;;) {
    const nl = rest.indexOf("\r\n");
    const size = parseInt(rest.subarray(0, nl).toString(), 16);
    if (!(size > 0)) break;
    chunks.push(rest.subarray(nl + 2, nl + 2 + size));
    rest = rest.subarray(nl + 4 + size);
  }
  const frames = new FrameDecoder().push(Buffer.concat(chunks));
  assert.deepEqual(frames.map((f) => [f.stream, f.payload.toString()]), [[1, "2026-01-01T00:00:00Z a\n"], [2, "2026-01-01T00:00:01Z b\n"]]);
  const none = await raw(sock, "GET /v1.50/containers/c1/logs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  assert.match(none.toString(), /^HTTP\/1.1 400 /);
});
