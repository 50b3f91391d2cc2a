import { test } from "node:test";
import assert from "node:assert/strict";
import { updateBody } from "./update.js";

test("updateBody() maps docker update's flags to the UpdateConfig", () => {
  assert.deepEqual(updateBody({ memory: "64m", memorySwap: "-1", cpus: "1.5", cpuShares: "512", pidsLimit: "-1", restart: "on-failure:3", cpusetCpus: "0-1", blkioWeight: "300" }), {
    Memory: 64 * 1024 * 1024, MemorySwap: -1, NanoCpus: 1_500_000_000, CpuShares: 512, PidsLimit: -1,
    RestartPolicy: { Name: "on-failure", MaximumRetryCount: 3 }, CpusetCpus: "0-1", BlkioWeight: 300,
  });
  assert.deepEqual(updateBody({ cpuQuota: "50000", cpuPeriod: "100000", memoryReservation: "1g" }), { CpuQuota: 50000, CpuPeriod: 100000, MemoryReservation: 1024 ** 3 });
  assert.throws(() => updateBody({}), /provide one or more flags/);
  assert.throws(() => updateBody({ memory: "lots" }), /invalid argument "lots" for "--memory" flag/);
  assert.throws(() => updateBody({ cpus: "one" }), /failed to parse one as a rational number/);
  assert.throws(() => updateBody({ pidsLimit: "1.5" }), /invalid argument "1.5" for "--pids-limit" flag/);
});
