import { test } from "node:test";
import assert from "node:assert/strict";
import { Command } from "commander";
import { acceptGoBooleans } from "./go-booleans.js";

function parse(cmd: Command, argv: string[]): { opts: Record<string, unknown>; args: string[] } {
  let got: { opts: Record<string, unknown>; args: string[] } = { opts: {}, args: [] };
  cmd.exitOverride().action((...a: unknown[]) => {
    const c = a.at(-1) as Command;
    got = { opts: c.opts(), args: c.args };
  });
  acceptGoBooleans(cmd);
  cmd.parse(argv, { from: "user" });
  return got;
}

test("--x=false / -x=false / --x=true are read as pflag reads them", () => {
  const mk = () => new Command("commit").argument("<c>").argument("[r]")
    .option("-p, --pause", "", true).option("--no-pause").option("-q, --quiet").option("-m, --message <m>");
  assert.equal(parse(mk(), ["--pause=false", "c1"]).opts.pause, false);
  assert.equal(parse(mk(), ["-p=false", "c1"]).opts.pause, false);
  assert.equal(parse(mk(), ["-p=true", "c1"]).opts.pause, true);
  assert.equal(parse(mk(), ["-q=1", "c1"]).opts.quiet, true);
  // No negation: the value is set to false.
  assert.equal(parse(mk(), ["--quiet=false", "c1"]).opts.quiet, false);
  // A boolean flag does not swallow the next word (it did as "-p [bool]").
  assert.deepEqual(parse(mk(), ["-p", "c1", "repo"]).args, ["c1", "repo"]);
  // A valued option's value is not rewritten.
  assert.equal(parse(mk(), ["-m", "-p=false", "c1"]).opts.message, "-p=false");
});

test("the container's command after the image is left alone", () => {
  const run = new Command("run").argument("<image>").argument("[cmd...]").passThroughOptions()
    .option("--rm").option("-e, --env <e>");
  const r = parse(run, ["--rm=true", "-e", "A=1", "busybox", "ls", "--rm=false"]);
  assert.equal(r.opts.rm, true);
  assert.equal(r.opts.env, "A=1");
  assert.deepEqual(r.args, ["busybox", "ls", "--rm=false"]);
});
