import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { digest, errorCode, imageManifest, pushBlob, pushImage, rawRequest, startTestRegistry } from "./testing.js";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";

test("GET /v2/ answers 200 {} with the API version header", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const res = await fetch(`${r.base}/v2/`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("docker-distribution-api-version"), "registry/2.0");
  assert.deepEqual(await res.json(), {});
});

test("unknown endpoints answer 404 and wrong methods 405 UNSUPPORTED, in the spec's error body", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const a = await fetch(`${r.base}/v3/`);
  assert.equal(a.status, 404);
  const b = await fetch(`${r.base}/v2/x/tags/list`, { method: "DELETE" });
  assert.equal(b.status, 405);
  const body = (await b.json()) as { errors: Array<{ code: string; message: string }> };
  assert.equal(body.errors.length, 1);
  assert.equal(body.errors[0]?.code, "UNSUPPORTED");
  assert.equal(typeof body.errors[0]?.message, "string");
});

test("monolithic blob push, HEAD and GET with Docker-Content-Digest; blobs are per repository", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const data = "hello blob";
  const d = digest(data);
  const post = await fetch(`${r.base}/v2/lib/a/blobs/uploads/?digest=${d}`, { method: "POST", body: data });
  assert.equal(post.status, 201);
  assert.equal(post.headers.get("location"), `/v2/lib/a/blobs/${d}`);
  assert.equal(post.headers.get("docker-content-digest"), d);
  const head = await fetch(`${r.base}/v2/lib/a/blobs/${d}`, { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-length"), String(data.length));
  assert.equal(head.headers.get("docker-content-digest"), d);
  const get = await fetch(`${r.base}/v2/lib/a/blobs/${d}`);
  assert.equal(get.status, 200);
  assert.equal(await get.text(), data);
  const other = await fetch(`${r.base}/v2/lib/b/blobs/${d}`);
  assert.equal(other.status, 404);
  assert.equal(await errorCode(other), "BLOB_UNKNOWN");
});

test("a monolithic push with the wrong digest is DIGEST_INVALID and stores nothing", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const wrong = digest("something else");
  const res = await fetch(`${r.base}/v2/a/blobs/uploads/?digest=${wrong}`, { method: "POST", body: "actual" });
  assert.equal(res.status, 400);
  assert.equal(await errorCode(res), "DIGEST_INVALID");
  assert.deepEqual(await readdir(join(r.root, "blobs", "sha256")), []);
  assert.deepEqual(await readdir(join(r.root, "tmp")), []);
  // the repository link is made only once the content is verified
  assert.deepEqual(await readdir(join(r.root, "repositories", "a", "_layers", "sha256")).catch(() => []), []);
  assert.equal((await fetch(`${r.base}/v2/a/blobs/${wrong}`, { method: "HEAD" })).status, 404);
});

test("malformed and unsupported digests are 400 DIGEST_INVALID", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  for (const bad of ["sha256:abc", `sha256:${"A".repeat(64)}`, `md5:${"a".repeat(32)}`, `sha512:${"a".repeat(64)}`, "sha256:"]) {
    const res = await fetch(`${r.base}/v2/a/blobs/${bad}`);
    assert.equal(res.status, 400, bad);
    assert.equal(await errorCode(res), "DIGEST_INVALID", bad);
    const m = await fetch(`${r.base}/v2/a/manifests/${bad}`);
    assert.equal(m.status, 400, bad);
    assert.equal(await errorCode(m), "DIGEST_INVALID", bad);
  }
  const post = await fetch(`${r.base}/v2/a/blobs/uploads/?digest=sha256:zz`, { method: "POST", body: "x" });
  assert.equal(post.status, 400);
  assert.equal(await errorCode(post), "DIGEST_INVALID");
});

test("chunked upload: Location, Range and UUID headers, 416 for an out-of-order chunk, status, finish", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const start = await fetch(`${r.base}/v2/c/blobs/uploads/`, { method: "POST" });
  assert.equal(start.status, 202);
  const loc = start.headers.get("location") ?? "";
  const uuid = start.headers.get("docker-upload-uuid") ?? "";
  assert.match(loc, /^\/v2\/c\/blobs\/uploads\/[0-9a-f-]{36}$/);
  assert.equal(loc.endsWith(uuid), true);
  assert.equal(start.headers.get("range"), "0-0");
  const p1 = await fetch(`${r.base}${loc}`, { method: "PATCH", body: "01234", headers: { "Content-Range": "0-4" } });
  assert.equal(p1.status, 202);
  assert.equal(p1.headers.get("range"), "0-4");
  assert.equal(p1.headers.get("location"), loc);
  const skip = await fetch(`${r.base}${loc}`, { method: "PATCH", body: "abcde", headers: { "Content-Range": "10-14" } });
  assert.equal(skip.status, 416);
  assert.equal(skip.headers.get("range"), "0-4");
  assert.equal(skip.headers.get("location"), loc);
  assert.equal(await errorCode(skip), "BLOB_UPLOAD_INVALID");
  const again = await fetch(`${r.base}${loc}`, { method: "PATCH", body: "01234", headers: { "Content-Range": "0-4" } });
  assert.equal(again.status, 416, "a repeated chunk is out of order too");
  const p2 = await fetch(`${r.base}${loc}`, { method: "PATCH", body: "56789", headers: { "Content-Range": "5-9" } });
  assert.equal(p2.status, 202);
  assert.equal(p2.headers.get("range"), "0-9");
  const status = await fetch(`${r.base}${loc}`);
  assert.equal(status.status, 204);
  assert.equal(status.headers.get("range"), "0-9");
  assert.equal(status.headers.get("docker-upload-uuid"), uuid);
  const d = digest("0123456789");
  const put = await fetch(`${r.base}${loc}?digest=${d}`, { method: "PUT" });
  assert.equal(put.status, 201);
  assert.equal(put.headers.get("location"), `/v2/c/blobs/${d}`);
  assert.equal(put.headers.get("docker-content-digest"), d);
  assert.equal(await (await fetch(`${r.base}/v2/c/blobs/${d}`)).text(), "0123456789");
  const gone = await fetch(`${r.base}${loc}`);
  assert.equal(gone.status, 404);
  assert.equal(await errorCode(gone), "BLOB_UPLOAD_UNKNOWN");
});

test("a chunk whose length does not match its Content-Range is rejected and cut off", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const loc = (await fetch(`${r.base}/v2/c/blobs/uploads/`, { method: "POST" })).headers.get("location") ?? "";
  const bad = await fetch(`${r.base}${loc}`, { method: "PATCH", body: "0123", headers: { "Content-Range": "0-9" } });
  assert.equal(bad.status, 400);
  assert.equal(await errorCode(bad), "SIZE_INVALID");
  assert.equal((await fetch(`${r.base}${loc}`)).headers.get("range"), "0-0");
  const malformed = await fetch(`${r.base}${loc}`, { method: "PATCH", body: "0123", headers: { "Content-Range": "zero-3" } });
  assert.equal(malformed.status, 400);
  assert.equal(await errorCode(malformed), "BLOB_UPLOAD_INVALID");
});

test("streamed PATCH without Content-Range, final chunk in the PUT, sha512 digest", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const loc = (await fetch(`${r.base}/v2/s/blobs/uploads/`, { method: "POST" })).headers.get("location") ?? "";
  assert.equal((await fetch(`${r.base}${loc}`, { method: "PATCH", body: "first-" })).status, 202);
  const d = digest("first-second", "sha512");
  const put = await fetch(`${r.base}${loc}?digest=${d}`, { method: "PUT", body: "second", headers: { "Content-Range": "6-11" } });
  assert.equal(put.status, 201);
  assert.equal(put.headers.get("docker-content-digest"), d);
  const get = await fetch(`${r.base}/v2/s/blobs/${d}`);
  assert.equal(get.status, 200);
  assert.equal(await get.text(), "first-second");
  assert.deepEqual(await readdir(join(r.root, "blobs", "sha512")), [d.slice("sha512:".length)]);
  // a monolithic sha512 push as well
  const d2 = digest("mono", "sha512");
  const mono = await fetch(`${r.base}/v2/s/blobs/uploads/?digest=${d2}`, { method: "POST", body: "mono" });
  assert.equal(mono.status, 201);
  assert.equal(await (await fetch(`${r.base}/v2/s/blobs/${d2}`)).text(), "mono");
});

test("finishing with a wrong digest is DIGEST_INVALID, keeps the session, stores no blob", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const loc = (await fetch(`${r.base}/v2/w/blobs/uploads/`, { method: "POST" })).headers.get("location") ?? "";
  await fetch(`${r.base}${loc}`, { method: "PATCH", body: "payload" });
  const wrong = await fetch(`${r.base}${loc}?digest=${digest("other")}`, { method: "PUT" });
  assert.equal(wrong.status, 400);
  assert.equal(await errorCode(wrong), "DIGEST_INVALID");
  assert.deepEqual(await readdir(join(r.root, "blobs", "sha256")), []);
  assert.deepEqual(await readdir(join(r.root, "repositories", "w", "_layers", "sha256")).catch(() => []), []);
  const missing = await fetch(`${r.base}${loc}`, { method: "PUT" });
  assert.equal(missing.status, 400);
  assert.equal(await errorCode(missing), "DIGEST_INVALID");
  assert.equal((await fetch(`${r.base}${loc}`)).headers.get("range"), "0-6");
  const ok = await fetch(`${r.base}${loc}?digest=${digest("payload")}`, { method: "PUT" });
  assert.equal(ok.status, 201);
  assert.deepEqual(await readdir(join(r.root, "repositories", "w", "_layers", "sha256")), [digest("payload").slice("sha256:".length)]);
  assert.deepEqual(await readdir(join(r.root, "uploads")), []);
});

test("upload DELETE cancels; unknown, foreign-repo and malformed session ids are BLOB_UPLOAD_UNKNOWN", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const loc = (await fetch(`${r.base}/v2/u/blobs/uploads/`, { method: "POST" })).headers.get("location") ?? "";
  const id = loc.split("/").pop() ?? "";
  const foreign = await fetch(`${r.base}/v2/other/blobs/uploads/${id}`);
  assert.equal(foreign.status, 404);
  assert.equal(await errorCode(foreign), "BLOB_UPLOAD_UNKNOWN");
  const bogus = await fetch(`${r.base}/v2/u/blobs/uploads/not-a-uuid`);
  assert.equal(bogus.status, 404);
  assert.equal(await errorCode(bogus), "BLOB_UPLOAD_UNKNOWN");
  assert.equal((await fetch(`${r.base}${loc}`, { method: "DELETE" })).status, 204);
  const after = await fetch(`${r.base}${loc}`);
  assert.equal(after.status, 404);
  assert.equal(await errorCode(after), "BLOB_UPLOAD_UNKNOWN");
  assert.equal((await fetch(`${r.base}${loc}`, { method: "DELETE" })).status, 404);
  assert.deepEqual(await readdir(join(r.root, "uploads")), []);
});

test("an upload resumes after a server restart", async (t) => {
  const first = await startTestRegistry();
  t.after(() => first.cleanup());
  const loc = (await fetch(`${first.base}/v2/r/blobs/uploads/`, { method: "POST" })).headers.get("location") ?? "";
  assert.equal((await fetch(`${first.base}${loc}`, { method: "PATCH", body: "part one,", headers: { "Content-Range": "0-8" } })).status, 202);
  await first.stop();
  const second = await startTestRegistry({ root: first.root });
  t.after(() => second.stop());
  const status = await fetch(`${second.base}${loc}`);
  assert.equal(status.status, 204);
  assert.equal(status.headers.get("range"), "0-8");
  const p2 = await fetch(`${second.base}${loc}`, { method: "PATCH", body: " part two", headers: { "Content-Range": "9-17" } });
  assert.equal(p2.status, 202);
  const d = digest("part one, part two");
  assert.equal((await fetch(`${second.base}${loc}?digest=${d}`, { method: "PUT" })).status, 201);
  assert.equal(await (await fetch(`${second.base}/v2/r/blobs/${d}`)).text(), "part one, part two");
});

test("cross-repository mount: 201 when the source has the blob, else an upload session", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const d = await pushBlob(r.base, "src/repo", "shared layer");
  const m = await fetch(`${r.base}/v2/dst/blobs/uploads/?mount=${d}&from=src/repo`, { method: "POST" });
  assert.equal(m.status, 201);
  assert.equal(m.headers.get("location"), `/v2/dst/blobs/${d}`);
  assert.equal(m.headers.get("docker-content-digest"), d);
  assert.equal(await (await fetch(`${r.base}/v2/dst/blobs/${d}`)).text(), "shared layer");
  const unknown = digest("not there");
  const fallback = await fetch(`${r.base}/v2/dst/blobs/uploads/?mount=${unknown}&from=src/repo`, { method: "POST" });
  assert.equal(fallback.status, 202);
  assert.match(fallback.headers.get("location") ?? "", /^\/v2\/dst\/blobs\/uploads\//);
  const notInSource = await fetch(`${r.base}/v2/third/blobs/uploads/?mount=${d}&from=elsewhere`, { method: "POST" });
  assert.equal(notInSource.status, 202);
  assert.equal((await fetch(`${r.base}/v2/third/blobs/${d}`, { method: "HEAD" })).status, 404);
});

test("blob Range requests: 206 with Content-Range, suffix and open ranges, 416 when unsatisfiable", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const d = await pushBlob(r.base, "rng", "0123456789");
  const url = `${r.base}/v2/rng/blobs/${d}`;
  const a = await fetch(url, { headers: { Range: "bytes=2-5" } });
  assert.equal(a.status, 206);
  assert.equal(a.headers.get("content-range"), "bytes 2-5/10");
  assert.equal(a.headers.get("content-length"), "4");
  assert.equal(await a.text(), "2345");
  const b = await fetch(url, { headers: { Range: "bytes=-3" } });
  assert.equal(b.status, 206);
  assert.equal(await b.text(), "789");
  const c = await fetch(url, { headers: { Range: "bytes=7-" } });
  assert.equal(c.status, 206);
  assert.equal(c.headers.get("content-range"), "bytes 7-9/10");
  assert.equal(await c.text(), "789");
  const clipped = await fetch(url, { headers: { Range: "bytes=8-100" } });
  assert.equal(clipped.status, 206);
  assert.equal(await clipped.text(), "89");
  const bad = await fetch(url, { headers: { Range: "bytes=10-" } });
  assert.equal(bad.status, 416);
  assert.equal(bad.headers.get("content-range"), "bytes */10");
  assert.equal(await errorCode(bad), "SIZE_INVALID");
  const whole = await fetch(url, { headers: { Range: "bytes=0-1,4-5" } });
  assert.equal(whole.status, 200, "a multi-range request gets the whole blob");
  assert.equal(await whole.text(), "0123456789");
  assert.equal(a.headers.get("accept-ranges"), "bytes");
});

test("blob DELETE unlinks the blob from the repository; unknown blobs are 404", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const d = await pushBlob(r.base, "del", "bye");
  await pushBlob(r.base, "keep", "bye");
  const del = await fetch(`${r.base}/v2/del/blobs/${d}`, { method: "DELETE" });
  assert.equal(del.status, 202);
  assert.equal((await fetch(`${r.base}/v2/del/blobs/${d}`, { method: "HEAD" })).status, 404);
  assert.equal((await fetch(`${r.base}/v2/keep/blobs/${d}`, { method: "HEAD" })).status, 200);
  const again = await fetch(`${r.base}/v2/del/blobs/${d}`, { method: "DELETE" });
  assert.equal(again.status, 404);
  assert.equal(await errorCode(again), "BLOB_UNKNOWN");
});

test("OCI manifest push by tag, GET/HEAD by tag and digest with stored Content-Type and digest", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const config = '{"os":"linux"}';
  const layer = "layer bytes";
  await pushBlob(r.base, "img", config);
  await pushBlob(r.base, "img", layer);
  const body = imageManifest(config, [layer]);
  const d = digest(body);
  const put = await fetch(`${r.base}/v2/img/manifests/v1`, { method: "PUT", body, headers: { "Content-Type": OCI_MANIFEST } });
  assert.equal(put.status, 201);
  assert.equal(put.headers.get("location"), `/v2/img/manifests/${d}`);
  assert.equal(put.headers.get("docker-content-digest"), d);
  assert.equal(put.headers.get("oci-subject"), null);
  for (const ref of ["v1", d]) {
    const get = await fetch(`${r.base}/v2/img/manifests/${ref}`, { headers: { Accept: OCI_MANIFEST } });
    assert.equal(get.status, 200);
    assert.equal(get.headers.get("content-type"), OCI_MANIFEST);
    assert.equal(get.headers.get("docker-content-digest"), d);
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), body);
    const head = await fetch(`${r.base}/v2/img/manifests/${ref}`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), String(body.length));
    assert.equal(head.headers.get("docker-content-digest"), d);
  }
});

test("Docker schema2 manifest, Docker manifest list and OCI index keep their media types", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const config = '{"architecture":"arm64"}';
  const layer = "gz";
  await pushBlob(r.base, "multi", config);
  await pushBlob(r.base, "multi", layer);
  const schema2 = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: DOCKER_MANIFEST,
    config: { mediaType: "application/vnd.docker.container.image.v1+json", digest: digest(config), size: config.length },
    layers: [{ mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", digest: digest(layer), size: layer.length }],
  }));
  const p1 = await fetch(`${r.base}/v2/multi/manifests/${digest(schema2)}`, { method: "PUT", body: schema2, headers: { "Content-Type": DOCKER_MANIFEST } });
  assert.equal(p1.status, 201);
  for (const type of [DOCKER_LIST, OCI_INDEX]) {
    const list = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: type,
      manifests: [{ mediaType: DOCKER_MANIFEST, digest: digest(schema2), size: schema2.length, platform: { architecture: "arm64", os: "linux" } }],
    }));
    const tag = type === DOCKER_LIST ? "list" : "index";
    const p = await fetch(`${r.base}/v2/multi/manifests/${tag}`, { method: "PUT", body: list, headers: { "Content-Type": type } });
    assert.equal(p.status, 201, await p.text());
    const g = await fetch(`${r.base}/v2/multi/manifests/${tag}`);
    assert.equal(g.headers.get("content-type"), type);
    assert.equal(g.headers.get("docker-content-digest"), digest(list));
    assert.deepEqual(Buffer.from(await g.arrayBuffer()), list);
  }
  const g1 = await fetch(`${r.base}/v2/multi/manifests/${digest(schema2)}`);
  assert.equal(g1.headers.get("content-type"), DOCKER_MANIFEST);
});

test("manifests naming unknown blobs or child manifests are MANIFEST_BLOB_UNKNOWN", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const config = "{}";
  await pushBlob(r.base, "m", config);
  const missingLayer = imageManifest(config, ["never pushed", "nor this"]);
  const a = await fetch(`${r.base}/v2/m/manifests/x`, { method: "PUT", body: missingLayer, headers: { "Content-Type": OCI_MANIFEST } });
  assert.equal(a.status, 400);
  const body = (await a.json()) as { errors: Array<{ code: string; detail: { digest: string } }> };
  assert.deepEqual(body.errors.map((e) => [e.code, e.detail.digest]), [
    ["MANIFEST_BLOB_UNKNOWN", digest("never pushed")],
    ["MANIFEST_BLOB_UNKNOWN", digest("nor this")],
  ], "one error per unknown blob");
  // a blob pushed to another repository does not count
  await pushBlob(r.base, "elsewhere", "layer");
  const b = await fetch(`${r.base}/v2/m/manifests/x`, { method: "PUT", body: imageManifest(config, ["layer"]), headers: { "Content-Type": OCI_MANIFEST } });
  assert.equal(b.status, 400);
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: digest("nope"), size: 4 }] }));
  const c = await fetch(`${r.base}/v2/m/manifests/x`, { method: "PUT", body: index, headers: { "Content-Type": OCI_INDEX } });
  assert.equal(c.status, 400);
  assert.equal(await errorCode(c), "MANIFEST_BLOB_UNKNOWN");
  assert.equal((await fetch(`${r.base}/v2/m/manifests/x`)).status, 404);
  // nothing but the two pushed blobs is stored
  assert.equal((await readdir(join(r.root, "blobs", "sha256"))).length, 2);
});

test("invalid manifests are MANIFEST_INVALID; a digest reference must match the body", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const cases: Array<[string, string]> = [
    ["not json", OCI_MANIFEST],
    ['{"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]}', "application/vnd.docker.distribution.manifest.v1+prettyjws"],
    ['{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"digest":"sha256:x"}}', OCI_MANIFEST],
    [`{"schemaVersion":2,"mediaType":"${OCI_INDEX}","manifests":[]}`, OCI_MANIFEST],
    ['{"schemaVersion":2,"mediaType":"text/plain"}', "text/plain"],
  ];
  for (const [body, type] of cases) {
    const res = await fetch(`${r.base}/v2/inv/manifests/t`, { method: "PUT", body, headers: { "Content-Type": type } });
    assert.equal(res.status, 400, body);
    assert.equal(await errorCode(res), "MANIFEST_INVALID", body);
  }
  const empty = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }));
  const wrong = await fetch(`${r.base}/v2/inv/manifests/${digest("other")}`, { method: "PUT", body: empty, headers: { "Content-Type": OCI_INDEX } });
  assert.equal(wrong.status, 400);
  assert.equal(await errorCode(wrong), "DIGEST_INVALID");
  const sha512 = await fetch(`${r.base}/v2/inv/manifests/${digest(empty, "sha512")}`, { method: "PUT", body: empty, headers: { "Content-Type": OCI_INDEX } });
  assert.equal(sha512.status, 201);
  assert.equal(sha512.headers.get("docker-content-digest"), digest(empty, "sha512"));
  assert.equal((await fetch(`${r.base}/v2/inv/manifests/${digest(empty, "sha512")}`)).status, 200);
});

test("a manifest over 4 MiB is refused with 413 MANIFEST_INVALID and nothing is stored", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const big = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [], annotations: { pad: "x".repeat(4 * 1024 * 1024) } }));
  const res = await fetch(`${r.base}/v2/big/manifests/huge`, { method: "PUT", body: big, headers: { "Content-Type": OCI_INDEX } });
  assert.equal(res.status, 413);
  assert.equal(await errorCode(res), "MANIFEST_INVALID");
  // streamed without Content-Length, the limit still holds
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < big.length; i += 65536) c.enqueue(big.subarray(i, i + 65536));
      c.close();
    },
  });
  const chunked = await fetch(`${r.base}/v2/big/manifests/huge`, {
    method: "PUT", body: stream, duplex: "half", headers: { "Content-Type": OCI_INDEX },
  } as RequestInit);
  assert.equal(chunked.status, 413);
  assert.equal((await fetch(`${r.base}/v2/big/manifests/huge`)).status, 404);
  assert.deepEqual(await readdir(join(r.root, "blobs", "sha256")), []);
});

test("manifest GET errors: unknown or impossible tags are 404 MANIFEST_UNKNOWN", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const a = await fetch(`${r.base}/v2/none/manifests/latest`);
  assert.equal(a.status, 404);
  assert.equal(await errorCode(a), "MANIFEST_UNKNOWN");
  const b = await fetch(`${r.base}/v2/none/manifests/${digest("x")}`);
  assert.equal(b.status, 404);
  assert.equal(await errorCode(b), "MANIFEST_UNKNOWN");
  const c = await rawRequest(r.port, "GET", `/v2/none/manifests/-bad`);
  assert.equal(c.status, 404);
  assert.equal(JSON.parse(c.body.toString()).errors[0].code, "MANIFEST_UNKNOWN");
  const long = await fetch(`${r.base}/v2/none/manifests/${"a".repeat(129)}`);
  assert.equal(long.status, 404);
  const del = await rawRequest(r.port, "DELETE", `/v2/none/manifests/%2e%2e`);
  assert.equal(del.status, 404);
});

test("manifest DELETE by tag removes the tag only; by digest removes the manifest and its tags", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const img = await pushImage(r.base, "dm", "a", "one");
  await fetch(`${r.base}/v2/dm/manifests/b`, { method: "PUT", body: img.body, headers: { "Content-Type": OCI_MANIFEST } });
  assert.equal((await fetch(`${r.base}/v2/dm/manifests/a`, { method: "DELETE" })).status, 202);
  assert.equal((await fetch(`${r.base}/v2/dm/manifests/a`)).status, 404);
  assert.equal((await fetch(`${r.base}/v2/dm/manifests/${img.digest}`)).status, 200);
  assert.deepEqual(((await (await fetch(`${r.base}/v2/dm/tags/list`)).json()) as { tags: string[] }).tags, ["b"]);
  assert.equal((await fetch(`${r.base}/v2/dm/manifests/${img.digest}`, { method: "DELETE" })).status, 202);
  assert.equal((await fetch(`${r.base}/v2/dm/manifests/${img.digest}`)).status, 404);
  assert.equal((await fetch(`${r.base}/v2/dm/manifests/b`)).status, 404);
  const again = await fetch(`${r.base}/v2/dm/manifests/${img.digest}`, { method: "DELETE" });
  assert.equal(again.status, 404);
  assert.equal(await errorCode(again), "MANIFEST_UNKNOWN");
});

test("tags list: sorted, n/last pagination with a Link header, unknown repository 404", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const img = await pushImage(r.base, "tl", "e", "x");
  for (const tag of ["c", "a", "d", "b"]) {
    await fetch(`${r.base}/v2/tl/manifests/${tag}`, { method: "PUT", body: img.body, headers: { "Content-Type": OCI_MANIFEST } });
  }
  const all = await fetch(`${r.base}/v2/tl/tags/list`);
  assert.deepEqual(await all.json(), { name: "tl", tags: ["a", "b", "c", "d", "e"] });
  assert.equal(all.headers.get("link"), null);
  const p1 = await fetch(`${r.base}/v2/tl/tags/list?n=2`);
  assert.deepEqual(((await p1.json()) as { tags: string[] }).tags, ["a", "b"]);
  const link = p1.headers.get("link") ?? "";
  assert.equal(link, '</v2/tl/tags/list?n=2&last=b>; rel="next"');
  const next = /^<([^>]+)>/.exec(link)?.[1] ?? "";
  const p2 = await fetch(`${r.base}${next}`);
  assert.deepEqual(((await p2.json()) as { tags: string[] }).tags, ["c", "d"]);
  const p3 = await fetch(`${r.base}/v2/tl/tags/list?n=2&last=d`);
  assert.deepEqual(((await p3.json()) as { tags: string[] }).tags, ["e"]);
  assert.equal(p3.headers.get("link"), null);
  const lastOnly = await fetch(`${r.base}/v2/tl/tags/list?last=c`);
  assert.deepEqual(((await lastOnly.json()) as { tags: string[] }).tags, ["d", "e"]);
  const zero = await fetch(`${r.base}/v2/tl/tags/list?n=0`);
  assert.deepEqual(((await zero.json()) as { tags: string[] }).tags, []);
  const badN = await fetch(`${r.base}/v2/tl/tags/list?n=-1`);
  assert.equal(badN.status, 400);
  assert.equal(await errorCode(badN), "UNSUPPORTED");
  const unknown = await fetch(`${r.base}/v2/nothing/here/tags/list`);
  assert.equal(unknown.status, 404);
  assert.equal(await errorCode(unknown), "NAME_UNKNOWN");
});

test("catalog: every repository, sorted, with n/last pagination", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  for (const repo of ["b/x", "a", "b", "c/d/e"]) await pushBlob(r.base, repo, "x");
  const all = await fetch(`${r.base}/v2/_catalog`);
  assert.deepEqual(await all.json(), { repositories: ["a", "b", "b/x", "c/d/e"] });
  const p1 = await fetch(`${r.base}/v2/_catalog?n=3`);
  assert.deepEqual(((await p1.json()) as { repositories: string[] }).repositories, ["a", "b", "b/x"]);
  assert.equal(p1.headers.get("link"), `</v2/_catalog?n=3&last=${encodeURIComponent("b/x")}>; rel="next"`);
  const p2 = await fetch(`${r.base}/v2/_catalog?n=3&last=b%2Fx`);
  assert.deepEqual(((await p2.json()) as { repositories: string[] }).repositories, ["c/d/e"]);
  assert.equal(p2.headers.get("link"), null);
});

test("referrers API: OCI-Subject on push, descriptors with artifactType, artifactType filter", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const subject = await pushImage(r.base, "ref", "v1", "subject");
  const subj = { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.body.length };
  const emptyConfig = "{}";
  await pushBlob(r.base, "ref", emptyConfig);
  const sig = imageManifest(emptyConfig, [], { artifactType: "application/vnd.example.sig", subject: subj, annotations: { k: "v" } });
  const sbom = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: OCI_MANIFEST,
    config: { mediaType: "application/vnd.example.sbom.config", digest: digest(emptyConfig), size: 2 },
    layers: [], subject: subj,
  }));
  for (const body of [sig, sbom]) {
    const put = await fetch(`${r.base}/v2/ref/manifests/${digest(body)}`, { method: "PUT", body, headers: { "Content-Type": OCI_MANIFEST } });
    assert.equal(put.status, 201);
    assert.equal(put.headers.get("oci-subject"), subject.digest);
  }
  const all = await fetch(`${r.base}/v2/ref/referrers/${subject.digest}`);
  assert.equal(all.status, 200);
  assert.equal(all.headers.get("content-type"), OCI_INDEX);
  const idx = (await all.json()) as { schemaVersion: number; mediaType: string; manifests: Array<Record<string, unknown>> };
  assert.equal(idx.schemaVersion, 2);
  assert.equal(idx.mediaType, OCI_INDEX);
  const byDigest = new Map(idx.manifests.map((m) => [m.digest, m]));
  assert.deepEqual(byDigest.get(digest(sig)), {
    mediaType: OCI_MANIFEST, digest: digest(sig), size: sig.length, artifactType: "application/vnd.example.sig", annotations: { k: "v" },
  });
  assert.equal(byDigest.get(digest(sbom))?.artifactType, "application/vnd.example.sbom.config");
  assert.equal(idx.manifests.length, 2);
  const filtered = await fetch(`${r.base}/v2/ref/referrers/${subject.digest}?artifactType=application/vnd.example.sig`);
  assert.equal(filtered.headers.get("oci-filters-applied"), "artifactType");
  const f = (await filtered.json()) as { manifests: Array<{ digest: string }> };
  assert.deepEqual(f.manifests.map((m) => m.digest), [digest(sig)]);
  const none = await fetch(`${r.base}/v2/ref/referrers/${digest("no such subject")}`);
  assert.equal(none.status, 200);
  assert.deepEqual(((await none.json()) as { manifests: unknown[] }).manifests, []);
  const bad = await fetch(`${r.base}/v2/ref/referrers/sha256:nope`);
  assert.equal(bad.status, 400);
  assert.equal(await errorCode(bad), "DIGEST_INVALID");
});

test("path traversal and invalid repository names are NAME_INVALID and touch nothing outside the root", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const d = digest("x");
  const paths = [
    `/v2/../../etc/blobs/uploads/?digest=${d}`,
    `/v2/a/../../b/blobs/uploads/?digest=${d}`,
    `/v2/a/%2e%2e/%2e%2e/b/blobs/uploads/?digest=${d}`,
    `/v2/a/..%2f..%2fb/blobs/uploads/?digest=${d}`,
    `/v2//etc/blobs/uploads/?digest=${d}`,
    `/v2/a//b/blobs/uploads/?digest=${d}`,
    `/v2/Upper/blobs/uploads/?digest=${d}`,
    `/v2/-a/blobs/uploads/?digest=${d}`,
    `/v2/a./blobs/uploads/?digest=${d}`,
    `/v2/${"a".repeat(256)}/blobs/uploads/?digest=${d}`,
  ];
  for (const p of paths) {
    const res = await rawRequest(r.port, "POST", p, "x");
    assert.equal(res.status, 400, p);
    assert.equal(JSON.parse(res.body.toString()).errors[0].code, "NAME_INVALID", p);
  }
  for (const p of ["/v2/a/manifests/..", "/v2/a/manifests/%2e%2e", "/v2/a/manifests/.hidden"]) {
    const res = await rawRequest(r.port, "PUT", p, "{}", { "Content-Type": OCI_MANIFEST });
    assert.equal(res.status, 400, p);
    assert.equal(JSON.parse(res.body.toString()).errors[0].code, "MANIFEST_INVALID", p);
  }
  const tags = await rawRequest(r.port, "GET", "/v2/a/b/../../../tags/list");
  assert.equal(tags.status, 400);
  assert.deepEqual(await readdir(join(r.root, "repositories")), []);
  assert.deepEqual(await readdir(join(r.root, "blobs", "sha256")), []);
  // an inner path segment named like an endpoint is part of the name
  await pushBlob(r.base, "a/blobs/b", "inner");
  assert.deepEqual(((await (await fetch(`${r.base}/v2/_catalog`)).json()) as { repositories: string[] }).repositories, ["a/blobs/b"]);
});

test("concurrent pushes of the same blob all succeed and leave one intact blob", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const data = Buffer.alloc(2 * 1024 * 1024);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff;
  const d = digest(data);
  const mono = Array.from({ length: 6 }, (_, i) =>
    fetch(`${r.base}/v2/cc${i % 2}/blobs/uploads/?digest=${d}`, { method: "POST", body: data }).then((res) => res.status));
  const chunked = Array.from({ length: 4 }, async () => {
    const loc = (await fetch(`${r.base}/v2/cc/blobs/uploads/`, { method: "POST" })).headers.get("location") ?? "";
    const half = data.length / 2;
    await fetch(`${r.base}${loc}`, { method: "PATCH", body: data.subarray(0, half), headers: { "Content-Range": `0-${half - 1}` } });
    await fetch(`${r.base}${loc}`, { method: "PATCH", body: data.subarray(half), headers: { "Content-Range": `${half}-${data.length - 1}` } });
    return (await fetch(`${r.base}${loc}?digest=${d}`, { method: "PUT" })).status;
  });
  assert.deepEqual(await Promise.all([...mono, ...chunked]), Array(10).fill(201));
  const got = Buffer.from(await (await fetch(`${r.base}/v2/cc/blobs/${d}`)).arrayBuffer());
  assert.equal(digest(got), d);
  assert.deepEqual(await readdir(join(r.root, "blobs", "sha256")), [d.slice(7)]);
  assert.deepEqual(await readdir(join(r.root, "tmp")), []);
  assert.deepEqual(await readdir(join(r.root, "uploads")), []);
});

test("a request body cut short stores nothing and leaves an upload's offset unchanged", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const { connect } = await import("node:net");
  const sendShort = (head: string, body: string) =>
    new Promise<void>((resolve) => {
      // let the partial body reach the server, then drop the connection
      const s = connect(r.port, "127.0.0.1", () => {
        s.write(`${head}\r\n\r\n${body}`);
        setTimeout(() => s.destroy(), 150);
      });
      s.on("close", () => resolve());
      s.on("error", () => resolve());
      s.resume();
    });
  const d = digest("0123456789");
  await sendShort(`POST /v2/short/blobs/uploads/?digest=${d} HTTP/1.1\r\nHost: x\r\nContent-Length: 10`, "01234");
  assert.equal((await fetch(`${r.base}/v2/short/blobs/${d}`, { method: "HEAD" })).status, 404);
  const loc = (await fetch(`${r.base}/v2/short/blobs/uploads/`, { method: "POST" })).headers.get("location") ?? "";
  assert.equal((await fetch(`${r.base}${loc}`, { method: "PATCH", body: "abc", headers: { "Content-Range": "0-2" } })).status, 202);
  await sendShort(`PATCH ${loc} HTTP/1.1\r\nHost: x\r\nContent-Range: 3-12\r\nContent-Length: 10`, "defg");
  // the partial chunk is truncated away once the server notices the abort
  let range = "";
  for (let i = 0; i < 50 && range !== "0-2"; i++) {
    range = (await fetch(`${r.base}${loc}`)).headers.get("range") ?? "";
    if (range !== "0-2") await new Promise((res) => setTimeout(res, 20));
  }
  assert.equal(range, "0-2");
  assert.deepEqual(await readdir(join(r.root, "blobs", "sha256")), []);
  assert.deepEqual(await readdir(join(r.root, "tmp")), []);
});

test("an empty blob can be pushed and fetched; any Range on it is unsatisfiable", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const d = await pushBlob(r.base, "empty", "");
  assert.equal(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const get = await fetch(`${r.base}/v2/empty/blobs/${d}`);
  assert.equal(get.status, 200);
  assert.equal(get.headers.get("content-length"), "0");
  assert.equal((await get.arrayBuffer()).byteLength, 0);
  assert.equal((await fetch(`${r.base}/v2/empty/blobs/${d}`, { headers: { Range: "bytes=0-" } })).status, 416);
});

test("a storage fault is 500 UNKNOWN without internals in the body, and is logged", async (t) => {
  const errors: unknown[] = [];
  const logger = {
    trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined,
    error: (o: object | string) => void errors.push(o),
    child() { return logger; },
  };
  const r = await startTestRegistry({ logger });
  t.after(() => r.cleanup());
  const { rm: remove, writeFile } = await import("node:fs/promises");
  // the temp directory becomes a file: every monolithic push now fails inside the store
  await remove(join(r.root, "tmp"), { recursive: true });
  await writeFile(join(r.root, "tmp"), "");
  const res = await fetch(`${r.base}/v2/fault/blobs/uploads/?digest=${digest("x")}`, { method: "POST", body: "x" });
  assert.equal(res.status, 500);
  const text = await res.text();
  assert.deepEqual(JSON.parse(text), { errors: [{ code: "UNKNOWN", message: "internal server error" }] });
  assert.equal(text.includes(r.root), false);
  assert.equal(errors.length, 1);
  assert.equal((await fetch(`${r.base}/v2/`)).status, 200, "the server keeps serving");
});
