import { test } from "node:test";
import assert from "node:assert/strict";
import { buildQuery, buildResponse, encodeName, parseQuery, parseResponse, RCODE_NXDOMAIN, TYPE_AAAA } from "./dns-codec.js";

test("parseQuery() reads the header and first question of buildQuery()", () => {
  const raw = buildQuery(0x1234, "Web.Example.", TYPE_AAAA);
  const q = parseQuery(raw);
  assert.equal(q.id, 0x1234);
  assert.equal(q.name, "web.example");
  assert.equal(q.qtype, TYPE_AAAA);
  assert.equal(q.qclass, 1);
  assert.equal(q.questionEnd, raw.length);
});

test("buildResponse() answers with pointers to the question, and parseResponse() reads it back", () => {
  const raw = buildQuery(7, "beta");
  const resp = buildResponse(raw, parseQuery(raw), 0, [
    { type: "A", address: "10.0.0.3", ttl: 600 },
    { type: "A", address: "10.0.0.4", ttl: 600 },
  ]);
  // Header: id 7, QR|RD|AA|RA, 1 question, 2 answers.
  assert.deepEqual([...resp.subarray(0, 8)], [0, 7, 0x85, 0x80, 0, 1, 0, 2]);
  assert.deepEqual([...resp.subarray(raw.length, raw.length + 2)], [0xc0, 0x0c]);
  assert.deepEqual(parseResponse(resp), { id: 7, rcode: 0, addresses: ["10.0.0.3", "10.0.0.4"] });
  assert.equal(parseResponse(buildResponse(raw, parseQuery(raw), RCODE_NXDOMAIN, [])).rcode, RCODE_NXDOMAIN);
});

test("parseQuery() refuses malformed messages with RangeError", () => {
  const good = buildQuery(1, "a.b");
  const cases: Array<[string, Buffer]> = [
    ["short", Buffer.alloc(5)],
    ["response", Buffer.from([0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1])],
    ["no question", Buffer.from([0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])],
    ["truncated label", good.subarray(0, 14)],
    ["truncated question", good.subarray(0, good.length - 2)],
    ["pointer in first name", Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1])],
  ];
  for (const [what, msg] of cases) assert.throws(() => parseQuery(msg), RangeError, what);
  assert.throws(() => encodeName(`${"x".repeat(64)}.test`), RangeError);
});
