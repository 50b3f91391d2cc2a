/**
 * Log drivers of a container (HostConfig.LogConfig), as dockerd resolves them at create:
 * the daemon's default driver and options fill an empty config, the options are checked
 * per driver with moby's texts, and the result says what berth-shim writes.
 *
 * - `json-file`: `<id>-json.log`, rotated by the shim at `max-size` into `.1` … `.max-file-1`.
 * - `local`: Docker's local driver stores protobuf entries; berth keeps the json-file
 *   format (so one reader serves both) under `local-logs/container.log`, with Docker's
 *   local defaults (20 MiB × 5 files). No compression.
 * - `none`: nothing is written; `logs` answers Docker's "does not support reading".
 */
import { join } from "node:path";
import { invalidArgument, notImplemented } from "../../shared/errors.js";

/** HostConfig.LogConfig. */
export interface LogConfig {
  Type: string;
  Config: Record<string, string>;
}

/** daemon.json `log-driver` / `log-opts`. */
export interface LogDefaults {
  driver: string;
  opts: Readonly<Record<string, string>>;
}

/** dockerd's default. */
export const DEFAULT_LOG_DEFAULTS: LogDefaults = { driver: "json-file", opts: {} };

/** What the shim is told to write. */
export interface LogSink {
  driver: "json-file" | "none";
  /** The file written (json-file format); "" with `none`. */
  path: string;
  /** Rotate when the file would grow past this many bytes (0: never). */
  maxSize: number;
  /** Files kept, the current one included. */
  maxFile: number;
  /** The `attrs` object every entry carries (labels, env, tag), JSON as Go marshals it. @default none */
  attrs?: string;
}

/** The container facts the `labels`, `env` and `tag` options read. */
export interface LogAttrsSource {
  ID: string;
  Name: string;
  Image: string;
  Config: { Labels?: Record<string, string> | null; Env?: string[] | null; Image?: string };
}

/** berth-shim's limit on the attrs object (SHIM_ATTRS_MAX). */
const ATTRS_MAX = 4096;
const TAG_FIELDS = new Set(["ID", "FullID", "Name", "ImageID", "ImageFullID", "ImageName", "DaemonName"]);

/** moby's log tag template, for the fields docker documents (`{{.ID}}`, `{{.Name}}`...). */
export function renderLogTag(template: string, src: LogAttrsSource | undefined): string {
  return template.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_m, expr: string) => {
    const f = /^\.(\w+)$/.exec(expr)?.[1];
    if (f === undefined || !TAG_FIELDS.has(f)) throw invalidArgument(`invalid log tag template "${template}": only {{.ID}}, {{.FullID}}, {{.Name}}, {{.ImageID}}, {{.ImageFullID}}, {{.ImageName}}, {{.DaemonName}} are supported`);
    if (src === undefined) return "";
    const image = src.Image.replace(/^sha256:/, "");
    const v: Record<string, string> = {
      ID: src.ID.slice(0, 12), FullID: src.ID, Name: src.Name.replace(/^\//, ""), ImageID: image.slice(0, 12), ImageFullID: image,
      ImageName: src.Config.Image ?? "", DaemonName: "docker",
    };
    return v[f] ?? "";
  });
}

/** Go's json.Marshal of a map[string]string: sorted keys, HTML characters escaped. */
function goJson(m: Record<string, string>): string {
  const sorted = Object.fromEntries(Object.keys(m).sort().map((k) => [k, m[k]]));
  return JSON.stringify(sorted).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** moby's Info.ExtraAttributes plus json-file's `tag`: undefined when there is nothing to add. */
export function logAttrs(lc: LogConfig, src: LogAttrsSource): string | undefined {
  if (lc.Type !== "json-file") return undefined;
  const o = lc.Config;
  const extra: Record<string, string> = {};
  const labels = src.Config.Labels ?? {};
  for (const l of (o.labels ?? "").split(",")) if (l !== "" && labels[l] !== undefined) extra[l] = labels[l];
  if ((o["labels-regex"] ?? "") !== "") {
    const re = new RegExp(o["labels-regex"] as string);
    for (const [k, v] of Object.entries(labels)) if (re.test(k)) extra[k] = v;
  }
  const env = new Map<string, string>();
  for (const e of src.Config.Env ?? []) {
    const i = e.indexOf("=");
    if (i !== -1) env.set(e.slice(0, i), e.slice(i + 1));
  }
  for (const k of (o.env ?? "").split(",")) if (k !== "" && env.has(k)) extra[k] = env.get(k) as string;
  if ((o["env-regex"] ?? "") !== "") {
    const re = new RegExp(o["env-regex"] as string);
    for (const [k, v] of env) if (re.test(k)) extra[k] = v;
  }
  const tag = o.tag !== undefined ? renderLogTag(o.tag, src) : "";
  if (tag !== "") extra.tag = tag;
  if (Object.keys(extra).length === 0) return undefined;
  const json = goJson(extra);
  if (Buffer.byteLength(json) > ATTRS_MAX) throw invalidArgument(`log attributes (labels, env, tag) take ${Buffer.byteLength(json)} bytes: at most ${ATTRS_MAX} are supported`);
  return json;
}

const DRIVERS = ["json-file", "local", "none"] as const;
const JSON_FILE_OPTS = new Set(["max-file", "max-size", "compress", "labels", "labels-regex", "env", "env-regex", "tag"]);
const LOCAL_OPTS = new Set(["max-file", "max-size", "compress"]);
const LOCAL_MAX_SIZE = 20 * 1024 * 1024;
const LOCAL_MAX_FILE = 5;

/** go-units FromHumanSize (decimal: 1k = 1000), as json-file's max-size. */
export function fromHumanSize(v: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(v);
  if (m === null) throw invalidArgument(`invalid size: '${v}'`);
  const mult = { "": 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 }[(m[2] ?? "").toLowerCase() as ""] ?? 1;
  return Math.floor(Number(m[1]) * mult);
}

/** go-units RAMInBytes (binary: 1k = 1024), as the local driver's max-size. */
export function ramInBytes(v: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(v);
  if (m === null) throw invalidArgument(`invalid size: '${v}'`);
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[(m[2] ?? "").toLowerCase() as ""] ?? 1;
  return Math.floor(Number(m[1]) * mult);
}

function maxFileOf(v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!/^-?\d+$/.test(v)) throw invalidArgument(`strconv.Atoi: parsing "${v}": invalid syntax`);
  const n = Number(v);
  if (n < 1) throw invalidArgument("max-file cannot be less than 1");
  return n;
}

function checkCompress(v: string | undefined): void {
  if (v === undefined) return;
  if (!["true", "false", "1", "0", "t", "f", "TRUE", "FALSE", "True", "False"].includes(v)) {
    throw invalidArgument(`error reading compress log option: strconv.ParseBool: parsing "${v}": invalid syntax`);
  }
  if (["true", "1", "t", "TRUE", "True"].includes(v)) throw invalidArgument("compress=true: berth does not compress rotated log files (use compress=false)");
}

/**
 * The sink a (resolved) config asks for, with the entries' `attrs` when `src` is given.
 * Throws invalid-argument for bad options.
 */
export function logSinkOf(lc: LogConfig, containerDir: string, id: string, src?: LogAttrsSource): LogSink {
  const sink = sinkOf(lc, containerDir, id);
  const attrs = src !== undefined ? logAttrs(lc, src) : undefined;
  return attrs !== undefined ? { ...sink, attrs } : sink;
}

function sinkOf(lc: LogConfig, containerDir: string, id: string): LogSink {
  const o = lc.Config;
  switch (lc.Type) {
    case "json-file": {
      let maxSize = 0;
      if (o["max-size"] !== undefined) {
        maxSize = fromHumanSize(o["max-size"]);
        if (maxSize <= 0) throw invalidArgument("max-size must be a positive number");
      }
      const maxFile = maxFileOf(o["max-file"], 1);
      checkCompress(o.compress);
      for (const k of ["labels-regex", "env-regex"]) {
        try {
          if (o[k] !== undefined) new RegExp(o[k] as string);
        } catch (err) {
          throw invalidArgument(`invalid ${k} log option: ${(err as Error).message}`, err);
        }
      }
      if (o.tag !== undefined) renderLogTag(o.tag, undefined);
      return { driver: "json-file", path: join(containerDir, `${id}-json.log`), maxSize, maxFile };
    }
    case "local": {
      const maxSize = o["max-size"] !== undefined ? ramInBytes(o["max-size"]) : LOCAL_MAX_SIZE;
      if (maxSize < 0) throw invalidArgument("max-size must be a positive number");
      // Docker's local driver: max-size 0 is "no rotation".
      const maxFile = maxFileOf(o["max-file"], LOCAL_MAX_FILE);
      if (o.compress !== undefined) checkCompress(o.compress);
      return { driver: "json-file", path: join(containerDir, "local-logs", "container.log"), maxSize, maxFile: maxSize === 0 ? 1 : maxFile };
    }
    default:
      return { driver: "none", path: "", maxSize: 0, maxFile: 1 };
  }
}

/**
 * dockerd's mergeAndVerifyLogConfig: an empty type takes the daemon's default driver, the
 * default driver's options fill the ones not given, then the options are checked.
 */
export function resolveLogConfig(given: unknown, defaults: LogDefaults, containerDir: string, id: string): { config: LogConfig; sink: LogSink } {
  let lc: LogConfig = { Type: "", Config: {} };
  if (given !== undefined && given !== null) {
    if (typeof given !== "object" || Array.isArray(given)) throw invalidArgument("invalid JSON: HostConfig.LogConfig must be an object");
    const g = given as { Type?: unknown; Config?: unknown };
    if (g.Type !== undefined && g.Type !== null && typeof g.Type !== "string") throw invalidArgument("invalid JSON: HostConfig.LogConfig.Type must be a string");
    const cfg = g.Config ?? {};
    if (typeof cfg !== "object" || cfg === null || Array.isArray(cfg) || Object.values(cfg).some((v) => typeof v !== "string")) {
      throw invalidArgument("invalid JSON: HostConfig.LogConfig.Config must map names to strings");
    }
    lc = { Type: (g.Type as string | undefined) ?? "", Config: { ...(cfg as Record<string, string>) } };
  }
  if (lc.Type === "") lc.Type = defaults.driver;
  if (lc.Type === defaults.driver) lc.Config = { ...defaults.opts, ...lc.Config };
  if (!(DRIVERS as readonly string[]).includes(lc.Type)) throw invalidArgument(`logger: no log driver named '${lc.Type}' is registered`);
  const allowed = lc.Type === "json-file" ? JSON_FILE_OPTS : lc.Type === "local" ? LOCAL_OPTS : new Set<string>();
  for (const k of Object.keys(lc.Config)) {
    if (!allowed.has(k)) throw invalidArgument(`unknown log opt '${k}' for ${lc.Type} log driver`);
  }
  return { config: lc, sink: logSinkOf(lc, containerDir, id) };
}

/** Check daemon.json's log defaults (at daemon start). */
export function checkLogDefaults(d: LogDefaults): void {
  resolveLogConfig({ Type: d.driver, Config: d.opts }, DEFAULT_LOG_DEFAULTS, "/nonexistent", "x");
}

/** Throws Docker's error when the driver keeps nothing to read back. */
export function assertLogReadable(lc: LogConfig | undefined): void {
  if (lc !== undefined && lc.Type === "none") throw notImplemented("configured logging driver does not support reading");
}
