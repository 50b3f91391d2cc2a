/** --format Go templates: berth prints what the docker CLI prints for the same template and daemon. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startDaemon } from "../daemon/daemon-helper.js";

test("ps, inspect and images --format: berth and the docker CLI agree; bad templates are clear errors", async (t) => {
  const d = await startDaemon(t);
  const a = `fa${process.pid}`;
  const b = `fb${process.pid}`;
  assert.equal((await d.docker(["run", "-d", "--name", a, "-l", "tier=front", "-l", "app=web", "-e", "FOO=bar", "busybox", "sleep", "1000"])).code, 0);
  assert.equal((await d.berth(["create", "--name", b, "-l", "tier=back", "busybox", "echo", "hello world"])).code, 0);

  const same = async (args: string[]) => {
    const [x, y] = await Promise.all([d.berth(args), d.docker(args)]);
    assert.equal(y.code, 0, `docker ${args.join(" ")}: ${y.stderr}`);
    assert.equal(x.code, 0, `berth ${args.join(" ")}: ${x.stderr}`);
    assert.equal(x.stdout, y.stdout, `berth and docker differ for ${args.join(" ")}`);
    return x.stdout;
  };
  assert.equal(await same(["ps", "-a", "--format", "{{.Names}}"]), `${b}\n${a}\n`);
  await same(["ps", "-a", "--format", "{{.ID}} {{.Image}} {{.Command}} {{.State}} {{.Labels}}"]);
  await same(["ps", "-a", "--no-trunc", "--format", "{{.ID}}\t{{.Command}}"]);
  assert.equal(await same(["ps", "-a", "--format", '{{.Names}}={{.Label "tier"}}']), `${b}=back\n${a}=front\n`);
  await same(["ps", "-a", "--format", "table {{.ID}}\t{{.Names}}\t{{.State}}\t{{.Networks}}"]);
  await same(["ps", "-a", "--format", '{{if eq .State "running"}}{{upper .Names}}{{else}}{{lower .State}}{{end}}']);
  const json = JSON.parse((await d.berth(["ps", "--format", "{{json .}}"])).stdout) as Record<string, unknown>;
  const djson = JSON.parse((await d.docker(["ps", "--format", "{{json .}}"])).stdout) as Record<string, unknown>;
  assert.deepEqual(Object.keys(json), Object.keys(djson));
  assert.equal(json.Names, a);

  assert.equal(await same(["inspect", "-f", "{{.State.Status}} {{.Name}} {{index .Config.Labels \"tier\"}}", a, b]), `running /${a} front\ncreated /${b} back\n`);
  assert.equal(await same(["inspect", "-f", "[{{index .Config.Labels \"nope\"}}]", a]), "[]\n");
  assert.equal(await same(["inspect", "-f", "{{range .Config.Env}}[{{.}}]{{end}}", a]), "[PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin][FOO=bar]\n");
  assert.equal(await same(["inspect", "-f", "{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}", a]), "app=web;tier=front;\n");
  await same(["inspect", "-f", "{{json .Config.Labels}} {{.Config.Cmd}} {{len .Args}} {{join .Args \",\"}}", b]);
  await same(["inspect", "-f", "{{range .Mounts}}{{.Destination}}{{else}}no mounts{{end}} {{.HostConfig.Memory}} {{.State.Pid}}", b]);
  await same(["inspect", "-f", "{{printf \"%-8s|\" .State.Status}}{{title .Config.Image}}", a]);
  await same(["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"]);
  await same(["images", "--format", "table {{.Repository}}\t{{.Tag}}"]);

  for (const [args, re] of [
    [["ps", "--format", "{{nosuch .ID}}"], /template parsing error: template: :1: function "nosuch" not defined/],
    [["ps", "--format", "{{.ID"], /template parsing error/],
    [["inspect", "-f", "{{define \"x\"}}y{{end}}", a], /template parsing error: .*define/],
    [["inspect", "-f", "{{.Name.Nope}}", a], /can't evaluate field Nope/],
  ] as Array<[string[], RegExp]>) {
    const r = await d.berth(args);
    assert.notEqual(r.code, 0, args.join(" "));
    assert.match(r.stderr, re, args.join(" "));
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
});
