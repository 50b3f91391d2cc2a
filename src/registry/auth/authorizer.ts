/**
 * Who may do what: Basic auth against an htpasswd file, or distribution's bearer-token
 * flow with a token endpoint this server serves itself. The server states what each
 * request needs (`Access[]`) and `authorize` answers with the account or throws the
 * 401/403 RegistryError with the right `WWW-Authenticate` challenge.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { registryError, RegistryError } from "../errors.js";
import type { Htpasswd } from "./htpasswd.js";
import { formatScope, parseScope, TokenSigner, type Access } from "./token.js";

/** The bearer-token flow's settings. */
export interface TokenAuthOptions {
  /** URL clients fetch tokens from; its path is served by this server. */
  realm: string;
  /** The `service` clients name and the tokens' audience. @default "berth-registry" */
  service?: string;
  /** @default "berth-registry" */
  issuer?: string;
  /** HMAC key; tokens do not survive a restart when absent. @default 32 random bytes */
  key?: Uint8Array;
  /** Token lifetime. @default 300 */
  ttlSeconds?: number;
}

/**
 * The actions `account` (undefined: anonymous) is granted on a resource. The default
 * grants everything to any authenticated account and, with `anonymousPull`, `pull` on
 * repositories to anyone.
 */
export type AccessPolicy = (account: string | undefined, requested: Access) => string[];

/** Auth settings for `createRegistryServer`. */
export interface RegistryAuthOptions {
  /** The users. */
  htpasswd: Htpasswd;
  /** Use bearer tokens instead of Basic on the API. */
  token?: TokenAuthOptions;
  /** Basic auth realm. @default "berth-registry" */
  basicRealm?: string;
  /** Let anonymous clients pull. @default false */
  anonymousPull?: boolean;
  /** Override the default policy. */
  policy?: AccessPolicy;
}

function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!m?.[1]) return undefined;
  const text = Buffer.from(m[1], "base64").toString("utf8");
  const colon = text.indexOf(":");
  if (colon < 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

function covers(granted: readonly string[], wanted: readonly string[]): boolean {
  return granted.includes("*") || wanted.every((w) => granted.includes(w));
}

/** Authenticates and authorizes requests. */
export class Authorizer {
  private readonly opts: RegistryAuthOptions;
  private readonly signer: TokenSigner | undefined;
  private readonly service: string;
  private readonly ttl: number;
  /** The path of the token endpoint, when the token flow is on. */
  readonly tokenPath: string | undefined;

  constructor(opts: RegistryAuthOptions) {
    this.opts = opts;
    this.service = opts.token?.service ?? "berth-registry";
    this.ttl = opts.token?.ttlSeconds ?? 300;
    if (opts.token) {
      this.signer = new TokenSigner(opts.token.key, opts.token.issuer ?? "berth-registry");
      this.tokenPath = new URL(opts.token.realm, "http://localhost").pathname;
    } else {
      this.signer = undefined;
      this.tokenPath = undefined;
    }
  }

  private grant(account: string | undefined, requested: Access): string[] {
    if (this.opts.policy) return this.opts.policy(account, requested).filter((a) => requested.actions.includes(a) || a === "*");
    if (account !== undefined) return [...requested.actions];
    if (this.opts.anonymousPull && requested.type === "repository") return requested.actions.filter((a) => a === "pull");
    return [];
  }

  private basicChallenge(message: string): RegistryError {
    return registryError("UNAUTHORIZED", message, {
      headers: { "WWW-Authenticate": `Basic realm="${this.opts.basicRealm ?? "berth-registry"}"` },
    });
  }

  private bearerChallenge(message: string, needed: readonly Access[], error?: string): RegistryError {
    let h = `Bearer realm="${this.opts.token?.realm ?? ""}",service="${this.service}"`;
    if (needed.length > 0) h += `,scope="${formatScope(needed)}"`;
    if (error !== undefined) h += `,error="${error}"`;
    return registryError("UNAUTHORIZED", message, { headers: { "WWW-Authenticate": h }, detail: needed.length ? needed : undefined });
  }

  /**
   * Check that the request may do `needed` (empty: any authenticated client, as for
   * `GET /v2/`). Returns the account (undefined for anonymous); throws UNAUTHORIZED (401)
   * with a challenge, or DENIED (403) when Basic credentials are valid but not enough.
   */
  async authorize(req: IncomingMessage, needed: readonly Access[]): Promise<string | undefined> {
    const header = req.headers.authorization;
    if (this.signer) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
      if (!m?.[1]) throw this.bearerChallenge("authentication required", needed);
      const claims = this.signer.verify(m[1], this.service);
      if (!claims) throw this.bearerChallenge("invalid token", needed, "invalid_token");
      for (const n of needed) {
        const ok = claims.access.some((a) => a.type === n.type && a.name === n.name && covers(a.actions, n.actions));
        if (!ok) throw this.bearerChallenge("insufficient scope", needed, "insufficient_scope");
      }
      return claims.sub === "" ? undefined : claims.sub;
    }
    let account: string | undefined;
    if (header !== undefined) {
      const creds = parseBasic(header);
      if (!creds || !(await this.opts.htpasswd.verify(creds.user, creds.password))) {
        throw this.basicChallenge("invalid username or password");
      }
      account = creds.user;
    }
    if (account === undefined && (needed.length === 0 || !this.opts.anonymousPull)) {
      throw this.basicChallenge("authentication required");
    }
    for (const n of needed) {
      if (!covers(this.grant(account, n), n.actions)) {
        if (account === undefined) throw this.basicChallenge("authentication required");
        throw registryError("DENIED", "requested access to the resource is denied", { detail: n });
      }
    }
    return account;
  }

  /** True when the account may do `access` (used for the source of a cross-repo mount). */
  allowed(account: string | undefined, access: Access): boolean {
    return covers(this.grant(account, access), access.actions);
  }

  /**
   * Serve the token endpoint: GET with optional Basic credentials (docker, skopeo) and
   * POST with an OAuth2 password grant. Credentials, when given, must be valid.
   */
  async serveToken(req: IncomingMessage, res: ServerResponse, query: URLSearchParams, body: string): Promise<void> {
    if (!this.signer) throw registryError("UNSUPPORTED", "token endpoint disabled");
    let account: string | undefined;
    let scopes: string[];
    let service: string | null;
    if (req.method === "POST") {
      const form = new URLSearchParams(body);
      if (form.get("grant_type") !== "password") {
        throw registryError("UNSUPPORTED", `unsupported grant_type "${form.get("grant_type") ?? ""}"`, { status: 400 });
      }
      const user = form.get("username") ?? "";
      if (!(await this.opts.htpasswd.verify(user, form.get("password") ?? ""))) {
        throw registryError("UNAUTHORIZED", "invalid username or password");
      }
      account = user;
      scopes = form.getAll("scope");
      service = form.get("service");
    } else {
      if (req.headers.authorization !== undefined) {
        const creds = parseBasic(req.headers.authorization);
        if (!creds || !(await this.opts.htpasswd.verify(creds.user, creds.password))) {
          throw this.basicChallenge("invalid username or password");
        }
        account = creds.user;
      }
      scopes = query.getAll("scope");
      service = query.get("service");
    }
    if (service !== null && service !== this.service) {
      throw registryError("DENIED", `unknown service "${service}"`, { status: 400 });
    }
    const access: Access[] = [];
    for (const s of scopes.flatMap((x) => x.split(" ")).filter((x) => x !== "")) {
      const a = parseScope(s);
      if (!a) throw registryError("UNSUPPORTED", `invalid scope "${s}"`, { status: 400 });
      const actions = this.grant(account, a);
      if (actions.length > 0) access.push({ ...a, actions });
    }
    const { token, claims } = this.signer.sign(account ?? "", this.service, access, this.ttl);
    const issuedAt = new Date(claims.iat * 1000).toISOString();
    const payload = req.method === "POST"
      ? { access_token: token, token_type: "Bearer", expires_in: this.ttl, issued_at: issuedAt, scope: formatScope(access) }
      : { token, access_token: token, expires_in: this.ttl, issued_at: issuedAt };
    const text = JSON.stringify(payload);
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-store" });
    res.end(text);
  }
}
