import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { BERTHD_NODE_FLAGS } from "./node-flags.js";

test("the berthd bin's shebang and npm start run node with BERTHD_NODE_FLAGS", async () => {
  const main = await readFile(new URL("./main.js", import.meta.url), "utf8");
  assert.equal(main.split("\n")[0], `#!/usr/bin/env -S node ${BERTHD_NODE_FLAGS.join(" ")}`);
  const pkg = JSON.parse(await readFile(new URL("../../../package.json", import.meta.url), "utf8")) as { scripts: Record<string, string>; bin: Record<string, string> };
  assert.equal(pkg.scripts.start, `node ${BERTHD_NODE_FLAGS.join(" ")} dist/src/daemon/main.js`);
  assert.equal(pkg.bin.berthd, "dist/src/daemon/main.js");
});
