import { test } from "node:test";
import assert from "node:assert/strict";
import { parseBind, parseConfigVolume, parseMount, parseTmpfs, parseVolumesFrom, validMountMode } from "./mount-spec.js";

const exists = (p: string) => p === "/srv/data";

test("parseBind: named volumes, host paths, anonymous destinations and modes", () => {
  assert.deepEqual(parseBind("data:/var/lib/x"), {
    Type: "volume", Destination: "/var/lib/x", Source: "", Name: "data", RW: true, Mode: "", Propagation: "",
    CopyData: true, Data: "", CreateSource: false, NonRecursive: false,
  });
  const ro = parseBind("data:/x/:ro,nocopy");
  assert.equal(ro.Destination, "/x");
  assert.equal(ro.RW, false);
  assert.equal(ro.CopyData, false);
  assert.equal(ro.Mode, "ro,nocopy");
  const bind = parseBind("/srv//data:/data:rw,z,rshared");
  assert.equal(bind.Type, "bind");
  assert.equal(bind.Source, "/srv/data");
  assert.equal(bind.Propagation, "rshared");
  assert.equal(bind.RW, true);
  assert.equal(bind.CreateSource, true);
  assert.equal(parseBind("/tmp:/t").Propagation, "rprivate");
  const anon = parseBind("/only");
  assert.equal(anon.Type, "volume");
  assert.equal(anon.Name, "");
});

test("parseBind: Docker's errors for bad specifications", () => {
  assert.throws(() => parseBind("/tmp:/"), { message: "invalid volume specification: '/tmp:/': invalid mount config for type \"bind\": invalid specification: destination can't be '/'" });
  assert.throws(() => parseBind("v:rel/path"), { message: "invalid volume specification: 'v:rel/path': invalid mount config for type \"volume\": invalid mount path: 'rel/path' mount path must be absolute" });
  assert.throws(() => parseBind("v:/x:bogus"), { message: "invalid mode: bogus" });
  assert.throws(() => parseBind("v:/x:ro,rw"), { message: "invalid mode: ro,rw" });
  assert.throws(() => parseBind("/x:ro"), { message: "invalid volume specification: '/x:ro'" });
  assert.throws(() => parseBind("a:b:c:d"), { message: "invalid volume specification: 'a:b:c:d'" });
  assert.throws(() => parseBind(":/x"), { message: "invalid volume specification: ':/x'" });
  assert.throws(() => parseBind("v:/x:rshared"), /field BindOptions must not be specified/);
});

test("parseMount: bind, volume and tmpfs with their options", () => {
  const b = parseMount({ Type: "bind", Source: "/srv/data", Target: "/d", ReadOnly: true, BindOptions: { Propagation: "rslave" } }, exists);
  assert.deepEqual([b.Type, b.Source, b.Destination, b.RW, b.Propagation, b.CreateSource], ["bind", "/srv/data", "/d", false, "rslave", false]);
  const v = parseMount({ Type: "volume", Source: "cache", Target: "/c", VolumeOptions: { NoCopy: true, Labels: { a: "b" } } }, exists);
  assert.deepEqual([v.Type, v.Name, v.CopyData, v.VolumeLabels], ["volume", "cache", false, { a: "b" }]);
  const t = parseMount({ Type: "tmpfs", Target: "/t", TmpfsOptions: { SizeBytes: 2 * 1024 * 1024, Mode: 0o1770 } }, exists);
  assert.deepEqual([t.Type, t.Data], ["tmpfs", "size=2m,mode=1770"]);
  assert.equal(parseMount({ Type: "tmpfs", Target: "/t", TmpfsOptions: { SizeBytes: 1000 } }, exists).Data, "size=1000");
});

test("parseMount: missing bind source, bad fields and types", () => {
  assert.throws(() => parseMount({ Type: "bind", Source: "/nope", Target: "/d" }, exists), { message: "invalid mount config for type \"bind\": bind source path does not exist: /nope" });
  assert.doesNotThrow(() => parseMount({ Type: "bind", Source: "/nope", Target: "/d", BindOptions: { CreateMountpoint: true } }, exists));
  assert.throws(() => parseMount({ Type: "bind", Source: "rel", Target: "/d" }, exists), /invalid mount path: 'rel' mount path must be absolute/);
  assert.throws(() => parseMount({ Type: "tmpfs", Source: "x", Target: "/t" }, exists), { message: "invalid mount config for type \"tmpfs\": field Source must not be specified" });
  assert.throws(() => parseMount({ Type: "volume", Target: "/v", ReadOnly: true }, exists), /must not set ReadOnly mode when using anonymous volumes/);
  assert.throws(() => parseMount({ Type: "weird", Target: "/v" }, exists), { message: "invalid mount config for type \"weird\": mount type unknown" });
  assert.throws(() => parseMount({ Type: "volume", Source: "v", Target: "/" }, exists), /destination can't be '\/'/);
  assert.throws(() => parseMount({ Type: "volume", Source: "v", Target: "" }, exists), /field Target must not be empty/);
  assert.throws(() => parseMount({ Type: "bind", Source: "/srv/data", Target: "/d", BindOptions: { Propagation: "sideways" } }, exists), /invalid propagation mode: sideways/);
});

test("parseTmpfs, parseVolumesFrom, parseConfigVolume", () => {
  assert.deepEqual([parseTmpfs("/run/", "size=64k,mode=1777").Destination, parseTmpfs("/run", "size=64k,mode=1777").Data], ["/run", "size=64k,mode=1777"]);
  assert.equal(parseTmpfs("/r", "ro").RW, false);
  assert.throws(() => parseTmpfs("/r", "bogus"), /invalid tmpfs option \["bogus"\]/);
  assert.throws(() => parseTmpfs("r", ""), /mount path must be absolute/);
  assert.deepEqual(parseVolumesFrom("box"), { container: "box", mode: "rw" });
  assert.deepEqual(parseVolumesFrom("box:ro"), { container: "box", mode: "ro" });
  assert.throws(() => parseVolumesFrom("box:rshared"), { message: "invalid mode: rshared" });
  assert.throws(() => parseVolumesFrom(""), /cannot be an empty string/);
  assert.equal(parseConfigVolume("/data/").Destination, "/data");
  assert.throws(() => parseConfigVolume("/"), { message: "invalid volume specification: '/': invalid mount config for type \"volume\": invalid specification: destination can't be '/'" });
  assert.equal(validMountMode("ro,Z,rslave,nocopy,cached"), true);
  assert.equal(validMountMode("z,Z"), false);
});
