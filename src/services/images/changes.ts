/**
 * The `changes` of `docker import --change`: Dockerfile instructions applied to the new
 * image's config. Only the instructions Docker allows there are accepted.
 */
import type { ImageContainerConfig } from "../../api/images.js";
import { invalidArgument } from "../../shared/errors.js";

const ALLOWED = new Set(["CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD", "USER", "VOLUME", "WORKDIR", "STOPSIGNAL"]);

function jsonOrShell(rest: string): string[] {
  const t = rest.trim();
  if (t.startsWith("[")) {
    try {
      const v = JSON.parse(t) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
    } catch {
      // not JSON: shell form, as Docker falls back
    }
  }
  return ["/bin/sh", "-c", t];
}

function unquote(s: string): string {
  if (s.length >= 2 && ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'")))) return s.slice(1, -1);
  return s;
}

// "k=v k2=\"v 2\"" → pairs; the legacy "k v" form when there is no '='.
function keyValues(rest: string, instr: string): Array<[string, string]> {
  const t = rest.trim();
  const words = t.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? [];
  if (words.length > 0 && !(words[0] as string).includes("=")) {
    const i = t.search(/\s/);
    if (i === -1) throw invalidArgument(`${instr} must have two arguments`);
    return [[t.slice(0, i), unquote(t.slice(i).trim())]];
  }
  return words.map((w) => {
    const i = w.indexOf("=");
    if (i <= 0) throw invalidArgument(`${instr} names can not be blank`);
    return [w.slice(0, i), unquote(w.slice(i + 1))];
  });
}

/** Apply `changes` (one instruction each) to a copy of `config`. */
export function applyChanges(config: ImageContainerConfig, changes: readonly string[]): ImageContainerConfig {
  const c: ImageContainerConfig = structuredClone(config);
  for (const line of changes) {
    const trimmed = line.trim();
    if (trimmed === "") continue;
    const m = /^(\S+)\s*(.*)$/s.exec(trimmed);
    const instr = (m?.[1] ?? "").toUpperCase();
    const rest = m?.[2] ?? "";
    if (!ALLOWED.has(instr)) throw invalidArgument(`${instr.toLowerCase()} is not a valid change command`);
    switch (instr) {
      case "CMD": c.Cmd = jsonOrShell(rest); break;
      case "ENTRYPOINT": c.Entrypoint = jsonOrShell(rest); break;
      case "ENV": {
        const env = [...(c.Env ?? [])];
        for (const [k, v] of keyValues(rest, "ENV")) {
          const i = env.findIndex((e) => e.startsWith(`${k}=`));
          if (i === -1) env.push(`${k}=${v}`);
          else env[i] = `${k}=${v}`;
        }
        c.Env = env;
        break;
      }
      case "LABEL": {
        const labels = { ...(c.Labels ?? {}) };
        for (const [k, v] of keyValues(rest, "LABEL")) labels[k] = v;
        c.Labels = labels;
        break;
      }
      case "EXPOSE": {
        const ports = { ...(c.ExposedPorts ?? {}) };
        for (const p of rest.trim().split(/\s+/).filter(Boolean)) {
          if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/.test(p)) throw invalidArgument(`invalid containerPort: ${p}`);
          ports[p.includes("/") ? p : `${p}/tcp`] = {};
        }
        c.ExposedPorts = ports;
        break;
      }
      case "VOLUME": {
        const vols = { ...(c.Volumes ?? {}) };
        for (const v of rest.trim().startsWith("[") ? jsonOrShell(rest) : rest.trim().split(/\s+/)) vols[v] = {};
        c.Volumes = vols;
        break;
      }
      case "USER": c.User = rest.trim(); break;
      case "WORKDIR": c.WorkingDir = rest.trim(); break;
      case "STOPSIGNAL": c.StopSignal = rest.trim(); break;
      case "ONBUILD": c.OnBuild = [...(c.OnBuild ?? []), rest.trim()]; break;
    }
  }
  return c;
}
