/**
 * Bearer tokens for the registry's own token endpoint: JWTs (RFC 7519) signed with
 * HS256 under a key only this server knows, carrying distribution's `access` claim
 * (`[{type, name, actions}]`).
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";

/** One granted or requested resource access (distribution's `ResourceActions`). */
export interface Access {
  type: string;
  name: string;
  actions: string[];
}

/** The claims the registry issues and checks. */
export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  nbf: number;
  iat: number;
  jti: string;
  access: Access[];
}

function b64url(buf: Buffer | string): string {
  return Buffer.from(buf).toString("base64url");
}

/** Signs and verifies tokens. */
export class TokenSigner {
  private readonly key: Buffer;
  readonly issuer: string;

  constructor(key: Uint8Array | undefined, issuer: string) {
    this.key = key ? Buffer.from(key) : randomBytes(32);
    this.issuer = issuer;
  }

  /** Issue a token for `subject` ("" for anonymous) with `access`, valid `ttl` seconds. */
  sign(subject: string, audience: string, access: Access[], ttl: number, now = Date.now()): { token: string; claims: TokenClaims } {
    const iat = Math.floor(now / 1000);
    const claims: TokenClaims = {
      iss: this.issuer, sub: subject, aud: audience, exp: iat + ttl, nbf: iat - 10, iat, jti: randomUUID(), access,
    };
    const head = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
    const body = b64url(JSON.stringify(claims));
    const sig = createHmac("sha256", this.key).update(`${head}.${body}`).digest("base64url");
    return { token: `${head}.${body}.${sig}`, claims };
  }

  /** The claims of a valid token for `audience`, or undefined (bad signature, expired, wrong audience or issuer). */
  verify(token: string, audience: string, now = Date.now()): TokenClaims | undefined {
    const parts = token.split(".");
    if (parts.length !== 3) return undefined;
    const [head, body, sig] = parts as [string, string, string];
    const want = createHmac("sha256", this.key).update(`${head}.${body}`).digest();
    const got = Buffer.from(sig, "base64url");
    if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
    let header: unknown;
    let claims: TokenClaims;
    try {
      header = JSON.parse(Buffer.from(head, "base64url").toString("utf8"));
      claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as TokenClaims;
    } catch {
      return undefined;
    }
    if ((header as { alg?: unknown }).alg !== "HS256") return undefined;
    const t = Math.floor(now / 1000);
    if (typeof claims.exp !== "number" || claims.exp <= t) return undefined;
    if (typeof claims.nbf === "number" && claims.nbf > t) return undefined;
    if (claims.aud !== audience || claims.iss !== this.issuer) return undefined;
    if (!Array.isArray(claims.access)) return undefined;
    return claims;
  }
}

/**
 * Parse a scope string (`repository:name:pull,push`, `registry:catalog:*`); the name may
 * itself contain colons. Undefined when malformed.
 */
export function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(":");
  const last = scope.lastIndexOf(":");
  if (first <= 0 || last === first) return undefined;
  const type = scope.slice(0, first).replace(/\(.*\)$/, "");
  const name = scope.slice(first + 1, last);
  const actions = scope.slice(last + 1).split(",").filter((a) => a !== "");
  if (name === "" || actions.length === 0) return undefined;
  return { type, name, actions };
}

/** Format accesses as a space-separated scope string. */
export function formatScope(access: readonly Access[]): string {
  return access.map((a) => `${a.type}:${a.name}:${a.actions.join(",")}`).join(" ");
}
