/** `WWW-Authenticate` parsing (RFC 7235 auth-params, as distribution's challenge.go). */

/** One challenge: scheme (lowercased) and its parameters (keys lowercased). */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+/;

/** Parse a `WWW-Authenticate` header into challenges; malformed text ends the parse. */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const out: Challenge[] = [];
  for (const text of Array.isArray(header) ? header : [header]) {
    let s = text;
    let cur: Challenge | undefined;
    for (;;) {
      s = s.replace(/^[\s,]+/, "");
      const t = TOKEN.exec(s);
      if (t === null) break;
      const word = t[0];
      s = s.slice(word.length);
      const eq = /^\s*=\s*/.exec(s);
      if (eq === null || cur === undefined) {
        if (eq !== null) break; // a parameter before any scheme
        cur = { scheme: word.toLowerCase(), params: {} };
        out.push(cur);
        continue;
      }
      s = s.slice(eq[0].length);
      let value: string;
      if (s.startsWith('"')) {
        const q = /^"((?:[^"\\]|\\.)*)"/.exec(s);
        if (q === null) break;
        value = (q[1] as string).replace(/\\(.)/g, "$1");
        s = s.slice(q[0].length);
      } else {
        const v = TOKEN.exec(s);
        value = v === null ? "" : v[0];
        s = s.slice(value.length);
      }
      cur.params[word.toLowerCase()] = value;
    }
  }
  return out;
}
