/**
 * A fake `Cli` for command tests (docker/cli's FakeCli): buffer streams and a scripted,
 * recording fake Engine API client.
 */
import { PassThrough, Readable } from "node:stream";
import type { ImageDeleteItem, ImageHistoryItem, ImageInspect, ImageSummary } from "../api/images.js";
import type { InfoResponse, VersionResponse } from "../api/system.js";
import type { ClientEvent, EngineApi, EventsOptions, ImageImportOptions, ImageListOptions } from "../client/engine-api.js";
import { DaemonError } from "../client/engine-client.js";
import type { Cli } from "./cli.js";

/** Scripted fake client: set the fields, read `calls`. */
export class FakeEngine implements EngineApi {
  readonly host = "unix:///fake.sock";
  calls: unknown[][] = [];
  images: ImageSummary[] = [];
  history: ImageHistoryItem[] = [];
  eventList: ClientEvent[] = [];
  inspectResult: Record<string, ImageInspect> = {};
  removeResult: Record<string, ImageDeleteItem[]> = {};
  saved = Buffer.from("TAR");

  async ping() { return { apiVersion: "1.50" }; }
  async version(): Promise<VersionResponse> { throw new DaemonError(500, "not scripted"); }
  async info(): Promise<InfoResponse> { throw new DaemonError(500, "not scripted"); }
  async listImages(o?: ImageListOptions) { this.calls.push(["listImages", o]); return this.images; }
  async inspectImage(name: string) {
    const r = this.inspectResult[name];
    if (r === undefined) throw new DaemonError(404, `No such image: ${name}`);
    return r;
  }
  async imageHistory(name: string) { this.calls.push(["imageHistory", name]); return this.history; }
  async tagImage(source: string, repo: string, tag: string | undefined) { this.calls.push(["tagImage", source, repo, tag]); }
  async removeImage(name: string, o?: { force?: boolean; noprune?: boolean }) {
    this.calls.push(["removeImage", name, o]);
    const r = this.removeResult[name];
    if (r === undefined) throw new DaemonError(404, `No such image: ${name}`);
    return r;
  }
  async importImage(body: Readable, o?: ImageImportOptions) {
    let n = 0;
    for await (const c of body) n += (c as Buffer).length;
    this.calls.push(["importImage", n, o]);
    return "sha256:new";
  }
  async loadImages(body: Readable, quiet?: boolean) {
    for await (const _ of body) { /* drain */ }
    this.calls.push(["loadImages", quiet]);
    return ["Loaded image: busybox:latest"];
  }
  async saveImages(names: readonly string[]) { this.calls.push(["saveImages", names]); return Readable.from([this.saved]); }
  async *events(o?: EventsOptions) {
    this.calls.push(["events", o]);
    yield* this.eventList;
  }
}

/** A Cli over a FakeEngine with captured output. */
export function fakeCli(engine = new FakeEngine(), options: { tty?: boolean; now?: number; stdin?: Buffer } = {}) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = "";
  let stderr = "";
  out.on("data", (c: Buffer) => { stdout += c.toString(); });
  err.on("data", (c: Buffer) => { stderr += c.toString(); });
  const cli: Cli = {
    client: () => engine,
    out,
    err,
    in: Readable.from([options.stdin ?? Buffer.alloc(0)]),
    isTerminal: () => options.tty === true,
    now: () => options.now ?? Date.parse("2024-06-01T12:00:00Z"),
  };
  return { cli, engine, stdout: () => stdout, stderr: () => stderr };
}
