/**
 * Authenticated requests to one registry endpoint: anonymous first, then whatever the
 * registry's 401 challenge asks for — Basic with the credentials, or the Bearer token
 * flow (GET realm?service=&scope=) with tokens cached per scope until they expire.
 */
import type { IncomingMessage } from "node:http";
import { BerthError, invalidArgument, notFound, permissionDenied, unauthenticated, unavailable } from "./errors.js";
import type { AuthConfig } from "./credentials.js";
import { parseChallenges, type Challenge } from "./challenge.js";
import { discard, readBody, send, type Body } from "./http.js";

/** A request to the registry relative to its base. */
export interface RegistryRequest {
  method: string;
  /** Path and query, e.g. "/v2/library/busybox/manifests/latest". */
  path: string;
  headers?: Record<string, string | number>;
  body?: Body;
  /** Token scopes the request needs, e.g. ["repository:library/busybox:pull"]. */
  scopes?: string[];
  signal?: AbortSignal | undefined;
}

interface CachedToken {
  token: string;
  expires: number;
}

/** An error body of the distribution spec. */
export interface SpecError {
  code: string;
  message: string;
}

/** Parse the spec's `{"errors":[...]}` body; empty when it is something else. */
export function parseSpecErrors(body: Buffer): SpecError[] {
  try {
    const j = JSON.parse(body.toString("utf8")) as { errors?: Array<{ code?: unknown; message?: unknown }> };
    return (j.errors ?? []).map((e) => ({ code: String(e.code ?? "UNKNOWN"), message: String(e.message ?? "") }));
  } catch {
    return [];
  }
}

/** A BerthError of the right kind for a failed registry response. */
export async function responseError(what: string, res: IncomingMessage): Promise<BerthError> {
  const body = await readBody(res, 64 * 1024).catch(() => Buffer.alloc(0));
  const errs = parseSpecErrors(body);
  const first = errs[0];
  const detail = first !== undefined
    ? `${first.code.toLowerCase().replace(/_/g, " ")}: ${first.message}`
    : res.statusCode === 401 ? "unauthorized: authentication required"
      : res.statusCode === 403 ? "denied: requested access to the resource is denied"
        : res.statusCode === 404 ? "not found"
          : `status ${res.statusCode ?? 0}`;
  const msg = `${what}: ${detail}`;
  switch (res.statusCode) {
    case 401: return unauthenticated(msg);
    case 403: return permissionDenied(msg);
    case 404: return notFound(msg);
    case 400: case 405: case 411: case 413: case 414: case 416: return invalidArgument(msg);
    default: return unavailable(msg);
  }
}

/** Authenticated access to one registry base URL. */
export class RegistrySession {
  readonly base: string;
  private readonly auth: AuthConfig;
  private readonly userAgent: string;
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  /** Token requests made (for tests that check reuse). */
  tokenRequests = 0;

  constructor(base: string, auth: AuthConfig = {}, userAgent = "berth") {
    this.base = base.replace(/\/+$/, "");
    this.auth = auth;
    this.userAgent = userAgent;
  }

  private basicHeader(): string | undefined {
    if (this.auth.username === undefined) return undefined;
    return `Basic ${Buffer.from(`${this.auth.username}:${this.auth.password ?? ""}`).toString("base64")}`;
  }

  /** The Authorization header for `scopes` with what is known so far, fetching a token if needed. */
  private async authorization(scopes: string[], signal: AbortSignal | undefined): Promise<string | undefined> {
    if (this.auth.registrytoken !== undefined) return `Bearer ${this.auth.registrytoken}`;
    const ch = this.challenge;
    if (ch === undefined) return undefined;
    if (ch.scheme === "basic") return this.basicHeader();
    if (ch.scheme !== "bearer") return undefined;
    const key = [...scopes].sort().join(" ");
    const cached = this.tokens.get(key);
    if (cached !== undefined && cached.expires > Date.now()) return `Bearer ${cached.token}`;
    const token = await this.fetchToken(ch, scopes, signal);
    return `Bearer ${token}`;
  }

  private async fetchToken(ch: Challenge, scopes: string[], signal: AbortSignal | undefined): Promise<string> {
    const realm = ch.params.realm;
    if (realm === undefined || realm === "") throw unauthenticated("fetch token: bearer challenge has no realm");
    let url: URL;
    try {
      url = new URL(realm, this.base);
    } catch {
      throw unauthenticated(`fetch token: invalid realm "${realm}"`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw unauthenticated(`fetch token: invalid realm "${realm}"`);
    const headers: Record<string, string> = { "User-Agent": this.userAgent };
    this.tokenRequests++;
    let res;
    if (this.auth.identitytoken !== undefined) {
      // An identity token from a previous login is an OAuth2 refresh token (distribution's
      // token spec, "oauth.md"): POST the form instead of GET with Basic.
      const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: this.auth.identitytoken, client_id: "berth" });
      if (ch.params.service !== undefined) form.set("service", ch.params.service);
      if (scopes.length > 0) form.set("scope", scopes.join(" "));
      const body = Buffer.from(form.toString());
      res = await send({ method: "POST", url, headers: { ...headers, "Content-Type": "application/x-www-form-urlencoded", "Content-Length": body.length }, body, signal });
    } else {
      if (ch.params.service !== undefined) url.searchParams.set("service", ch.params.service);
      for (const s of scopes) url.searchParams.append("scope", s);
      const basic = this.basicHeader();
      if (basic !== undefined) headers.Authorization = basic;
      res = await send({ method: "GET", url, headers, signal });
    }
    if (res.statusCode !== 200) {
      const err = await responseError("fetch token", res);
      if (res.statusCode === 401 || res.statusCode === 403) throw unauthenticated(`${err.message}`, err);
      throw err;
    }
    const body = await readBody(res, 1024 * 1024);
    let j: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      j = JSON.parse(body.toString("utf8")) as typeof j;
    } catch {
      throw unauthenticated("fetch token: the token response is not JSON");
    }
    const token = typeof j.token === "string" && j.token !== "" ? j.token : typeof j.access_token === "string" ? j.access_token : "";
    if (token === "") throw unauthenticated("fetch token: the token response has no token");
    // Docker assumes 60 s when the server says nothing; renew a little early.
    const ttl = typeof j.expires_in === "number" && j.expires_in > 0 ? j.expires_in : 60;
    this.tokens.set([...scopes].sort().join(" "), { token, expires: Date.now() + Math.max(1, ttl - 5) * 1000 });
    return token;
  }

  /**
   * Send `req`; on a 401 learn the challenge and retry once with credentials. The
   * response is returned whatever its status (callers decide what is an error).
   */
  async request(req: RegistryRequest): Promise<IncomingMessage> {
    const scopes = req.scopes ?? [];
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string | number> = { "User-Agent": this.userAgent, ...(req.headers ?? {}) };
      const authz = await this.authorization(scopes, req.signal);
      if (authz !== undefined) headers.Authorization = authz;
      const res = await send({ method: req.method, url: new URL(req.path, this.base), headers, ...(req.body !== undefined ? { body: req.body } : {}), signal: req.signal });
      if (res.statusCode !== 401 || attempt > 0) return res;
      const chs = parseChallenges(res.headers["www-authenticate"]);
      const next = chs.find((c) => c.scheme === "bearer") ?? chs.find((c) => c.scheme === "basic");
      if (next === undefined) return res;
      if (next.scheme === "basic" && this.auth.username === undefined) return res;
      // A known challenge that still fails means these credentials are not enough.
      const same = this.challenge !== undefined && this.challenge.scheme === next.scheme && next.scheme === "basic";
      this.challenge = next;
      if (same) return res;
      if (next.scheme === "bearer") this.tokens.delete([...scopes].sort().join(" "));
      await discard(res);
    }
  }
}
