import { test } from "node:test";
import assert from "node:assert/strict";
import { parseFlags, str, bool, list } from "./args.js";
import { parseCommand } from "./commands.js";

const specs = [{ names: ["bundle", "b"], value: true }, { names: ["detach", "d"] }, { names: ["env", "e"], value: true, repeat: true }];

test("parseFlags() reads --flag value, --flag=value, -f value and Go's -flag", () => {
  const p = parseFlags(["--bundle", "/b", "-d", "-e", "A=1", "--env=B=2", "-env", "C=3", "id", "--not-a-flag"], specs);
  assert.equal(str(p, "bundle"), "/b");
  assert.equal(bool(p, "detach"), true);
  assert.deepEqual(list(p, "env"), ["A=1", "B=2", "C=3"]);
  assert.deepEqual(p.args, ["id", "--not-a-flag"]);
  assert.equal(str(parseFlags(["-bundle=/x"], specs), "bundle"), "/x");
});

test("parseFlags() stops at -- and rejects unknown flags and missing values", () => {
  assert.deepEqual(parseFlags(["--", "-d"], specs).args, ["-d"]);
  assert.throws(() => parseFlags(["--nope"], specs), /flag provided but not defined: -nope/);
  assert.throws(() => parseFlags(["--bundle"], specs), /flag needs an argument: -bundle/);
  assert.throws(() => parseFlags(["--detach=maybe"], specs), /invalid boolean value "maybe"/);
});

test("parseCommand() checks the number of arguments", () => {
  assert.throws(() => parseCommand("start", []), /start: wrong number of arguments; usage: berth-runtime start <container-id>/);
  assert.throws(() => parseCommand("nope", []), /unknown command "nope"/);
  const { parsed } = parseCommand("exec", ["-t", "id", "sh", "-c", "echo -e"]);
  assert.deepEqual(parsed.args, ["id", "sh", "-c", "echo -e"]);
  assert.equal(bool(parsed, "tty"), true);
  assert.equal(bool(parseCommand("kill", ["--all", "id", "9"]).parsed, "all"), true);
});
