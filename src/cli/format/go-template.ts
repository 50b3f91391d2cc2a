/**
 * Go's text/template for `--format`, the part the docker CLI's users write: text and
 * actions with `{{-`/`-}}` trimming, fields (`.A.B`), variables (`$`, `$x := …`, `$i, $e :=
 * range …`), pipelines with `|`, parenthesised pipelines, string/number/bool/nil literals,
 * `if`/`else if`/`else`/`range`/`with`/`end`, Go's builtins (`and or not len index print
 * printf println eq ne lt le gt ge slice`) and the docker CLI's functions (`json split join
 * title lower upper pad truncate`). Values print as Go's fmt does (`[a b]`, `map[k:v]`,
 * `<no value>`, floats as `%v`). `define`, `template`, `block`, `break`, `continue` and
 * comments-with-code are refused with a parse error, never executed wrongly.
 *
 * Data: plain JS values. A function-valued field is a method (`{{.Label "k"}}`).
 */

/** A template error, worded as Go's ("template: :1: …"). */
export class TemplateError extends Error {}

type Value = unknown;

// ---- lexer ----

type Tok =
  | { t: "text"; v: string }
  | { t: "field"; v: string[] } // .A.B (empty: ".")
  | { t: "var"; v: string; fields: string[] } // $x.A
  | { t: "ident"; v: string }
  | { t: "string"; v: string }
  | { t: "number"; v: number }
  | { t: "bool"; v: boolean }
  | { t: "nil" }
  | { t: "pipe" } | { t: "lparen" } | { t: "rparen" } | { t: "declare" } | { t: "assign" } | { t: "comma" }
  | { t: "fieldsAfter"; v: string[] } // ").A.B" after a parenthesised pipeline
  | { t: "open" } | { t: "close" };

function lineOf(src: string, pos: number): number {
  return src.slice(0, pos).split("\n").length;
}

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf("{{", i);
    let text = open === -1 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^\s+/, "");
    trimNext = false;
    if (open === -1) {
      if (text !== "") out.push({ t: "text", v: text });
      break;
    }
    let p = open + 2;
    if (src[p] === "-" && /\s/.test(src[p + 1] ?? "")) {
      text = text.replace(/\s+$/, "");
      p += 1;
    }
    if (text !== "") out.push({ t: "text", v: text });
    const line = lineOf(src, open);
    const err = (msg: string) => new TemplateError(`template: :${line}: ${msg}`);
    // A comment is the whole action.
    const afterWs = src.slice(p).match(/^\s*/)?.[0].length ?? 0;
    if (src.startsWith("/*", p + afterWs)) {
      const end = src.indexOf("*/", p + afterWs + 2);
      if (end === -1) throw err("unclosed comment");
      let q = end + 2;
      const ws = src.slice(q).match(/^\s*/)?.[0] ?? "";
      if (src.startsWith("-}}", q + ws.length) && ws.length > 0) {
        trimNext = true;
        q += ws.length + 3;
      } else if (src.startsWith("}}", q)) {
        q += 2;
      } else throw err("comment ends before closing delimiter");
      i = q;
      continue;
    }
    out.push({ t: "open" });
    let closed = false;
    while (p < src.length) {
      const c = src[p] as string;
      if (src.startsWith("}}", p)) {
        p += 2;
        closed = true;
        break;
      }
      if (c === "-" && src.startsWith("-}}", p) && /\s/.test(src[p - 1] ?? "")) {
        p += 3;
        trimNext = true;
        closed = true;
        break;
      }
      if (/\s/.test(c)) {
        p++;
        continue;
      }
      if (c === "|") { out.push({ t: "pipe" }); p++; continue; }
      if (c === "(") { out.push({ t: "lparen" }); p++; continue; }
      if (c === ",") { out.push({ t: "comma" }); p++; continue; }
      if (c === ")") {
        p++;
        const m = /^(\.[A-Za-z_][A-Za-z0-9_]*)+/.exec(src.slice(p));
        out.push({ t: "rparen" });
        if (m !== null) {
          out.push({ t: "fieldsAfter", v: m[0].slice(1).split(".") });
          p += m[0].length;
        }
        continue;
      }
      if (src.startsWith(":=", p)) { out.push({ t: "declare" }); p += 2; continue; }
      if (c === "=") { out.push({ t: "assign" }); p++; continue; }
      if (c === '"') {
        let q = p + 1;
        let s = "";
        for (; q < src.length && src[q] !== '"'; q++) {
          if (src[q] === "\n") throw err("unterminated quoted string");
          if (src[q] === "\\") {
            const e = src[++q];
            const map: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0" };
            if (e === undefined || map[e] === undefined) throw err(`invalid syntax in quoted string`);
            s += map[e];
          } else s += src[q];
        }
        if (q >= src.length) throw err("unterminated quoted string");
        out.push({ t: "string", v: s });
        p = q + 1;
        continue;
      }
      if (c === "`") {
        const q = src.indexOf("`", p + 1);
        if (q === -1) throw err("unterminated raw quoted string");
        out.push({ t: "string", v: src.slice(p + 1, q) });
        p = q + 1;
        continue;
      }
      if (c === "'") {
        const m = /^'(\\.|[^'\\])'/.exec(src.slice(p));
        if (m === null) throw err("unterminated character constant");
        const ch = (m[1] as string).startsWith("\\") ? ({ n: "\n", t: "\t", "\\": "\\", "'": "'" } as Record<string, string>)[(m[1] as string)[1] as string] ?? "" : (m[1] as string);
        out.push({ t: "number", v: ch.codePointAt(0) ?? 0 });
        p += m[0].length;
        continue;
      }
      const num = /^[-+]?(0x[0-9a-fA-F]+|\d+(\.\d*)?([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?)/.exec(src.slice(p));
      if (num !== null && (/[\d]/.test(c) || ((c === "-" || c === "+") && /[\d.]/.test(src[p + 1] ?? "")))) {
        out.push({ t: "number", v: Number(num[0]) });
        p += num[0].length;
        continue;
      }
      if (c === ".") {
        const m = /^(\.[A-Za-z_][A-Za-z0-9_]*)+/.exec(src.slice(p));
        if (m !== null) {
          out.push({ t: "field", v: m[0].slice(1).split(".") });
          p += m[0].length;
        } else {
          out.push({ t: "field", v: [] });
          p++;
        }
        continue;
      }
      if (c === "$") {
        const m = /^\$[A-Za-z0-9_]*((\.[A-Za-z_][A-Za-z0-9_]*)*)/.exec(src.slice(p)) as RegExpExecArray;
        const name = (/^\$[A-Za-z0-9_]*/.exec(m[0]) as RegExpExecArray)[0];
        out.push({ t: "var", v: name, fields: m[1] !== undefined && m[1] !== "" ? m[1].slice(1).split(".") : [] });
        p += m[0].length;
        continue;
      }
      const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(p));
      if (id !== null) {
        const w = id[0];
        if (w === "true" || w === "false") out.push({ t: "bool", v: w === "true" });
        else if (w === "nil") out.push({ t: "nil" });
        else out.push({ t: "ident", v: w });
        p += w.length;
        continue;
      }
      throw err(`unexpected ${JSON.stringify(c)} in command`);
    }
    if (!closed) throw err("unclosed action");
    out.push({ t: "close" });
    i = p;
  }
  return out;
}

// ---- parser ----

type Arg =
  | { k: "field"; recv: Arg | undefined; path: string[] } // recv undefined: dot
  | { k: "var"; name: string; path: string[] }
  | { k: "lit"; v: Value }
  | { k: "fn"; name: string }
  | { k: "pipe"; p: Pipeline; path: string[] };

interface Command { args: Arg[] }
interface Pipeline { decl: string[]; assign: boolean; cmds: Command[] }

type Node =
  | { n: "text"; v: string }
  | { n: "action"; p: Pipeline }
  | { n: "if" | "with"; p: Pipeline; body: Node[]; els: Node[] }
  | { n: "range"; p: Pipeline; body: Node[]; els: Node[] };

const UNSUPPORTED = new Set(["define", "template", "block", "break", "continue"]);

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[], private readonly funcs: ReadonlySet<string>) {}

  private err(msg: string): TemplateError {
    return new TemplateError(`template: :1: ${msg}`);
  }

  private peek(o = 0): Tok | undefined {
    return this.toks[this.i + o];
  }

  private next(): Tok {
    const t = this.toks[this.i++];
    if (t === undefined) throw this.err("unexpected EOF");
    return t;
  }

  /** Parse until EOF (top) or one of `stops` keywords; returns the list and the stop word. */
  parseList(stops: readonly string[]): { nodes: Node[]; stop: string | undefined } {
    const nodes: Node[] = [];
    while (this.i < this.toks.length) {
      const t = this.next();
      if (t.t === "text") {
        nodes.push({ n: "text", v: t.v });
        continue;
      }
      if (t.t !== "open") throw this.err("unexpected token");
      const kw = this.peek();
      if (kw?.t === "ident" && UNSUPPORTED.has(kw.v)) throw this.err(`unsupported action "${kw.v}" (not implemented by berth)`);
      if (kw?.t === "ident" && (kw.v === "end" || kw.v === "else")) {
        if (!stops.includes(kw.v)) throw this.err(`unexpected {{${kw.v}}}`);
        this.i++;
        return { nodes, stop: kw.v };
      }
      if (kw?.t === "ident" && (kw.v === "if" || kw.v === "with" || kw.v === "range")) {
        this.i++;
        nodes.push(this.parseControl(kw.v));
        continue;
      }
      const p = this.parsePipeline(true);
      this.expect("close");
      nodes.push({ n: "action", p });
    }
    if (stops.length > 0) throw this.err("unexpected EOF");
    return { nodes, stop: undefined };
  }

  private expect(t: Tok["t"]): void {
    const got = this.next();
    if (got.t !== t) throw this.err(`unexpected ${describe(got)} in ${t === "close" ? "command" : "operand"}`);
  }

  private parseControl(kind: "if" | "with" | "range"): Node {
    const p = this.parsePipeline(kind === "range" || kind === "with" || kind === "if");
    if (p.cmds.length === 0) throw this.err(`missing value for ${kind}`);
    this.expect("close");
    const body = this.parseList(["end", "else"]);
    let els: Node[] = [];
    if (body.stop === "else") {
      const nx = this.peek();
      if (nx?.t === "ident" && (nx.v === "if" || nx.v === "with") && kind !== "range") {
        // {{else if …}} is an if nested in the else branch, sharing this {{end}}.
        this.i++;
        els = [this.parseControl(nx.v)];
      } else {
        this.expect("close");
        const rest = this.parseList(["end"]);
        els = rest.nodes;
        this.expect("close");
        return { n: kind, p, body: body.nodes, els };
      }
      return { n: kind, p, body: body.nodes, els };
    }
    this.expect("close");
    return { n: kind, p, body: body.nodes, els };
  }

  private parsePipeline(allowDecl: boolean): Pipeline {
    const decl: string[] = [];
    let assign = false;
    if (allowDecl && this.peek()?.t === "var") {
      // $x := …, $x = …, $i, $e := …
      const save = this.i;
      const names: string[] = [];
      while (this.peek()?.t === "var") {
        const v = this.next() as Extract<Tok, { t: "var" }>;
        if (v.fields.length > 0) break;
        names.push(v.v);
        if (this.peek()?.t === "comma") this.i++;
        else break;
      }
      const op = this.peek();
      if (names.length > 0 && (op?.t === "declare" || op?.t === "assign")) {
        this.i++;
        decl.push(...names);
        assign = op.t === "assign";
      } else this.i = save;
    }
    const cmds: Command[] = [];
    for (;;) {
      const t = this.peek();
      if (t === undefined || t.t === "close" || t.t === "rparen") break;
      cmds.push(this.parseCommand());
      if (this.peek()?.t === "pipe") {
        this.i++;
        continue;
      }
      break;
    }
    if (decl.length > 0 && cmds.length === 0) throw this.err("missing value for command");
    return { decl, assign, cmds };
  }

  private parseCommand(): Command {
    const args: Arg[] = [];
    for (;;) {
      const t = this.peek();
      if (t === undefined || t.t === "close" || t.t === "rparen" || t.t === "pipe") break;
      args.push(this.parseOperand());
    }
    if (args.length === 0) throw this.err("empty command");
    return { args };
  }

  private parseOperand(): Arg {
    const t = this.next();
    switch (t.t) {
      case "field": return { k: "field", recv: undefined, path: t.v };
      case "var": return { k: "var", name: t.v, path: t.fields };
      case "string": return { k: "lit", v: t.v };
      case "number": return { k: "lit", v: t.v };
      case "bool": return { k: "lit", v: t.v };
      case "nil": return { k: "lit", v: null };
      case "ident":
        if (!this.funcs.has(t.v)) throw this.err(`function "${t.v}" not defined`);
        return { k: "fn", name: t.v };
      case "lparen": {
        const p = this.parsePipeline(false);
        this.expect("rparen");
        const after = this.peek();
        let path: string[] = [];
        if (after?.t === "fieldsAfter") {
          this.i++;
          path = after.v;
        }
        return { k: "pipe", p, path };
      }
      default:
        throw this.err(`unexpected ${describe(t)} in operand`);
    }
  }
}

function describe(t: Tok): string {
  switch (t.t) {
    case "close": return "\"}}\"";
    case "rparen": return "\")\"";
    case "lparen": return "\"(\"";
    case "pipe": return "\"|\"";
    case "declare": return "\":=\"";
    case "assign": return "\"=\"";
    case "comma": return "\",\"";
    case "ident": return `<${t.v}>`;
    default: return t.t;
  }
}

// ---- values as Go prints them ----

/** A missing map key or field: prints "<no value>". */
const MISSING = Symbol("missing");

/**
 * Go's %v of a number. Integers print as Go's int64 fields do (the docker CLI executes
 * templates on typed structs); other values as a float64: shortest digits, %e from 1e6
 * up and below 1e-4.
 */
export function goFloat(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e21) return String(x);
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "+Inf" : "-Inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const [mant = "", expText = "0"] = x.toExponential().split("e");
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    return `${mant}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  return String(x);
}

/** fmt.Sprint of a value the way templates print it. */
export function goString(v: Value): string {
  if (v === MISSING || v === undefined) return "<no value>";
  if (v === null) return "<nil>";
  if (typeof v === "number") return goFloat(v);
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(inner).join(" ")}]`;
  if (typeof v === "object") {
    const o = v as Record<string, Value>;
    return `map[${Object.keys(o).sort().map((k) => `${k}:${inner(o[k])}`).join(" ")}]`;
  }
  return String(v);
}

// Inside a slice or map Go prints nil interfaces as <nil>.
function inner(v: Value): string {
  return v === undefined ? "<nil>" : goString(v);
}

/** JSON as Go's encoding/json writes it: <, > and & escaped. */
export function goJson(v: Value): string {
  return (JSON.stringify(v === MISSING || v === undefined ? null : v, (_k, x: unknown) => (typeof x === "function" ? undefined : x)) ?? "null")
    .replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function truthy(v: Value): boolean {
  if (v === MISSING || v === undefined || v === null || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v as object).length > 0;
  return true;
}

function lenOf(v: Value): number {
  if (typeof v === "string") return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (v !== null && typeof v === "object") return Object.keys(v).length;
  throw new TemplateError(`error calling len: len of type ${typeName(v)}`);
}

function typeName(v: Value): string {
  if (v === null || v === undefined || v === MISSING) return "<nil>";
  if (typeof v === "number") return "float64";
  if (Array.isArray(v)) return "[]interface {}";
  if (typeof v === "object") return "map[string]interface {}";
  return typeof v;
}

/** Go's fmt.Sprintf for the verbs templates use: %s %v %d %q %f %e %g %x %X %t %%, flags, width, precision. */
export function goSprintf(format: string, args: readonly Value[]): string {
  let ai = 0;
  return format.replace(/%([-+# 0]*)(\d+|\*)?(?:\.(\d+))?([a-zA-Z%])/g, (_m, flags: string, widthText: string | undefined, precText: string | undefined, verb: string) => {
    if (verb === "%") return "%";
    if (ai >= args.length) return `%!${verb}(MISSING)`;
    const a = args[ai++];
    const prec = precText !== undefined ? Number(precText) : undefined;
    let s: string;
    switch (verb) {
      case "v": case "s": s = goString(a); if (prec !== undefined && verb === "s") s = [...s].slice(0, prec).join(""); break;
      case "q": s = JSON.stringify(goString(a)); break;
      case "d": s = typeof a === "number" ? String(Math.trunc(a)) : `%!d(${typeName(a)}=${goString(a)})`; break;
      case "f": case "F": s = typeof a === "number" ? a.toFixed(prec ?? 6) : `%!f(${typeName(a)}=${goString(a)})`; break;
      case "e": s = typeof a === "number" ? a.toExponential(prec ?? 6).replace(/e([+-])(\d)$/, "e$10$2") : `%!e(${typeName(a)}=${goString(a)})`; break;
      case "g": s = typeof a === "number" ? (prec !== undefined ? String(Number(a.toPrecision(prec))) : goFloat(a)) : `%!g(${typeName(a)}=${goString(a)})`; break;
      case "x": case "X": {
        s = typeof a === "number" ? Math.trunc(a).toString(16) : Buffer.from(goString(a)).toString("hex");
        if (verb === "X") s = s.toUpperCase();
        break;
      }
      case "t": s = typeof a === "boolean" ? String(a) : `%!t(${typeName(a)}=${goString(a)})`; break;
      default: s = `%!${verb}(${typeName(a)}=${goString(a)})`;
    }
    if (flags.includes("+") && typeof a === "number" && a >= 0 && "dfeg".includes(verb)) s = `+${s}`;
    const width = widthText === "*" ? Number(a) : widthText !== undefined ? Number(widthText) : 0;
    const len = [...s].length;
    if (width > len) {
      const pad = width - len;
      if (flags.includes("-")) s = s + " ".repeat(pad);
      else if (flags.includes("0") && typeof a === "number") s = s.startsWith("-") ? `-${"0".repeat(pad)}${s.slice(1)}` : "0".repeat(pad) + s;
      else s = " ".repeat(pad) + s;
    }
    return s;
  }) + (ai < args.length ? `%!(EXTRA ${args.slice(ai).map((a) => `${typeName(a)}=${goString(a)}`).join(", ")})` : "");
}

function basicCompare(name: string, a: Value, b: Value): number {
  if (typeof a !== typeof b || (typeof a !== "number" && typeof a !== "string")) {
    throw new TemplateError(`error calling ${name}: incompatible types for comparison`);
  }
  return (a as number | string) < (b as number | string) ? -1 : (a as number | string) > (b as number | string) ? 1 : 0;
}

function eqValue(a: Value, b: Value): boolean {
  if (a === MISSING) a = undefined;
  if (b === MISSING) b = undefined;
  if (a !== null && typeof a === "object") throw new TemplateError("error calling eq: invalid type for comparison");
  return a === b;
}

/** Title case as docker's `title` (strings.Title: the first letter of each word). */
function titleCase(s: string): string {
  return s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, pre: string, c: string) => pre + c.toUpperCase());
}

type Fn = (...args: Value[]) => Value;

/** Go's builtins and the docker CLI's template functions (cli/templates/templates.go). */
export const TEMPLATE_FUNCS: Readonly<Record<string, Fn>> = {
  and: (...a) => a.find((x) => !truthy(x)) ?? a[a.length - 1],
  or: (...a) => a.find((x) => truthy(x)) ?? a[a.length - 1],
  not: (a) => !truthy(a),
  len: (a) => lenOf(a),
  index: (item, ...keys) => {
    let cur = item;
    for (const k of keys) {
      if (Array.isArray(cur)) {
        if (typeof k !== "number") throw new TemplateError(`error calling index: cannot index slice/array with type ${typeName(k)}`);
        if (k < 0 || k >= cur.length) throw new TemplateError(`error calling index: index out of range: ${k}`);
        cur = cur[k];
      } else if (cur !== null && typeof cur === "object") {
        const o = cur as Record<string, Value>;
        // A missing key gives the map's zero value, as Go's index does: "" for a map of
        // strings (labels, options), nil otherwise.
        cur = typeof k === "string" && Object.prototype.hasOwnProperty.call(o, k) ? o[k]
          : Object.values(o).every((x) => typeof x === "string") ? "" : null;
      } else if (cur === null) {
        // A nil map (no labels at all) indexes to its zero value too.
        cur = "";
      } else if (cur === MISSING || cur === undefined) {
        throw new TemplateError("error calling index: index of untyped nil");
      } else {
        throw new TemplateError(`error calling index: can't index item of type ${typeName(cur)}`);
      }
    }
    return cur;
  },
  slice: (item, ...idx) => {
    if (typeof item !== "string" && !Array.isArray(item)) throw new TemplateError(`error calling slice: can't slice item of type ${typeName(item)}`);
    const [from = 0, to = item.length] = idx as number[];
    return item.slice(from, to);
  },
  print: (...a) => a.map((x, i) => (i > 0 && typeof x !== "string" && typeof a[i - 1] !== "string" ? " " : "") + goString(x)).join(""),
  println: (...a) => `${a.map(goString).join(" ")}\n`,
  printf: (f, ...a) => goSprintf(goString(f), a),
  eq: (a, ...bs) => bs.some((b) => eqValue(a, b)),
  ne: (a, b) => !eqValue(a, b),
  lt: (a, b) => basicCompare("lt", a, b) < 0,
  le: (a, b) => basicCompare("le", a, b) <= 0,
  gt: (a, b) => basicCompare("gt", a, b) > 0,
  ge: (a, b) => basicCompare("ge", a, b) >= 0,
  json: (a) => goJson(a),
  split: (s, sep) => goString(s).split(goString(sep)),
  join: (list, sep) => {
    if (!Array.isArray(list)) throw new TemplateError(`error calling join: wrong type for value; expected []string; got ${typeName(list)}`);
    return list.map(goString).join(goString(sep));
  },
  title: (s) => titleCase(goString(s)),
  lower: (s) => goString(s).toLowerCase(),
  upper: (s) => goString(s).toUpperCase(),
  pad: (s, left, right) => `${" ".repeat(Number(left))}${goString(s)}${" ".repeat(Number(right))}`,
  truncate: (s, n) => {
    const chars = [...goString(s)];
    return chars.length > Number(n) ? chars.slice(0, Number(n)).join("") : chars.join("");
  },
};

// ---- execution ----

interface Scope { vars: Array<[string, Value]> }

class Exec {
  out = "";

  private lookupVar(s: Scope, name: string): Value {
    for (let i = s.vars.length - 1; i >= 0; i--) {
      const [n, v] = s.vars[i] as [string, Value];
      if (n === name) return v;
    }
    throw new TemplateError(`template: :1: undefined variable: ${name}`);
  }

  private setVar(s: Scope, name: string, v: Value): void {
    for (let i = s.vars.length - 1; i >= 0; i--) {
      const e = s.vars[i] as [string, Value];
      if (e[0] === name) {
        e[1] = v;
        return;
      }
    }
    throw new TemplateError(`template: :1: undefined variable: ${name}`);
  }

  /** Field access as Go does on maps (missing key: no value) and methods (functions). */
  private field(recv: Value, path: readonly string[], args: readonly Value[], final: boolean): Value {
    let cur = recv;
    path.forEach((name, i) => {
      const last = i === path.length - 1;
      if (cur === MISSING || cur === undefined || cur === null) {
        throw new TemplateError(`template: :1: executing "" at <.${path.slice(0, i + 1).join(".")}>: nil pointer evaluating interface {}.${name}`);
      }
      if (typeof cur !== "object" || Array.isArray(cur)) {
        throw new TemplateError(`template: :1: executing "" at <.${path.slice(0, i + 1).join(".")}>: can't evaluate field ${name} in type ${typeName(cur)}`);
      }
      const o = cur as Record<string, Value>;
      const v = Object.prototype.hasOwnProperty.call(o, name) ? o[name] : MISSING;
      if (typeof v === "function") {
        cur = (v as Fn).apply(o, last && final ? [...args] : []);
        return;
      }
      if (last && final && args.length > 0) {
        throw new TemplateError(`template: :1: executing "" at <.${path.join(".")}>: ${name} has arguments but cannot be invoked as function`);
      }
      cur = v;
    });
    return cur;
  }

  private arg(a: Arg, dot: Value, s: Scope): Value {
    switch (a.k) {
      case "lit": return a.v;
      case "field": return this.field(dot, a.path, [], false);
      case "var": return this.field(this.lookupVar(s, a.name), a.path, [], false);
      case "pipe": return this.field(this.pipeline(a.p, dot, s), a.path, [], false);
      case "fn": return this.call(a.name, []);
    }
  }

  private call(name: string, args: Value[]): Value {
    const fn = TEMPLATE_FUNCS[name] as Fn;
    try {
      return fn(...args);
    } catch (err) {
      if (err instanceof TemplateError) throw new TemplateError(`template: :1: executing "" at <${name}>: ${err.message}`);
      throw err;
    }
  }

  private command(c: Command, dot: Value, s: Scope, piped: Value[]): Value {
    const [head, ...rest] = c.args as [Arg, ...Arg[]];
    const args = [...rest.map((a) => this.arg(a, dot, s)), ...piped];
    if (head.k === "fn") return this.call(head.name, args);
    if (head.k === "field") return this.field(dot, head.path, args, true);
    if (head.k === "var") return this.field(this.lookupVar(s, head.name), head.path, args, true);
    if (args.length > 0) throw new TemplateError(`template: :1: can't give argument to non-function ${head.k === "lit" ? goString(head.v) : "pipeline"}`);
    return this.arg(head, dot, s);
  }

  pipeline(p: Pipeline, dot: Value, s: Scope): Value {
    let v: Value = MISSING;
    p.cmds.forEach((c, i) => {
      v = this.command(c, dot, s, i === 0 ? [] : [v]);
    });
    if (p.decl.length === 1) {
      if (p.assign) this.setVar(s, p.decl[0] as string, v);
      else s.vars.push([p.decl[0] as string, v]);
    }
    return v;
  }

  run(nodes: readonly Node[], dot: Value, s: Scope): void {
    for (const node of nodes) {
      switch (node.n) {
        case "text":
          this.out += node.v;
          break;
        case "action": {
          const v = this.pipeline(node.p, dot, s);
          if (node.p.decl.length === 0) this.out += goString(v);
          break;
        }
        case "if":
        case "with": {
          const mark = s.vars.length;
          const v = this.pipeline(node.p, dot, s);
          if (truthy(v)) this.run(node.body, node.n === "with" ? v : dot, s);
          else this.run(node.els, dot, s);
          s.vars.length = mark;
          break;
        }
        case "range": {
          const mark = s.vars.length;
          const decl = node.p.decl;
          const v = this.pipeline({ ...node.p, decl: [] }, dot, s);
          let entries: Array<[Value, Value]>;
          if (Array.isArray(v)) entries = v.map((e, i) => [i, e]);
          else if (v !== null && typeof v === "object") entries = Object.keys(v).sort().map((k) => [k, (v as Record<string, Value>)[k]]);
          else if (typeof v === "number" && Number.isInteger(v)) entries = Array.from({ length: Math.max(0, v) }, (_x, i) => [i, i]);
          else if (v === MISSING || v === undefined || v === null) entries = [];
          else throw new TemplateError(`template: :1: range can't iterate over ${goString(v)}`);
          if (entries.length === 0) this.run(node.els, dot, s);
          for (const [k, e] of entries) {
            const inner = s.vars.length;
            if (decl.length === 1) s.vars.push([decl[0] as string, e]);
            if (decl.length === 2) s.vars.push([decl[0] as string, k], [decl[1] as string, e]);
            this.run(node.body, e, s);
            s.vars.length = inner;
          }
          s.vars.length = mark;
          break;
        }
      }
    }
  }
}

/** A parsed template: `execute(data)` many times. */
export interface GoTemplate {
  execute(data: Value): string;
}

/** Parse `src`; throws TemplateError with Go's wording on a syntax error. */
export function parseGoTemplate(src: string): GoTemplate {
  const parser = new Parser(lex(src), new Set(Object.keys(TEMPLATE_FUNCS)));
  const { nodes } = parser.parseList([]);
  return {
    execute(data: Value): string {
      const ex = new Exec();
      ex.run(nodes, data, { vars: [["$", data]] });
      return ex.out;
    },
  };
}
