import { test } from "node:test";
import assert from "node:assert/strict";
import { mergeUpdate, parseCpuset, parseUpdateBody, updateResources, validateUpdate } from "./container-update.js";

const MiB = 1024 * 1024;

test("parseUpdateBody checks JSON types and drops nulls", () => {
  assert.deepEqual(parseUpdateBody({ Memory: 64 * MiB, CpusetCpus: null }), { Memory: 64 * MiB });
  assert.deepEqual(parseUpdateBody(undefined), {});
  assert.throws(() => parseUpdateBody({ Memory: "64m" }), /Memory must be an integer/);
  assert.throws(() => parseUpdateBody({ NanoCpus: 1.5 }), /NanoCpus must be an integer/);
  assert.throws(() => parseUpdateBody({ RestartPolicy: { Name: 3 } }), /RestartPolicy.Name must be a string/);
  assert.throws(() => parseUpdateBody([]), /must be an object/);
});

test("validateUpdate: moby's limits and texts", () => {
  validateUpdate({ Memory: 6 * MiB, NanoCpus: 2e9, CpuPeriod: 0, BlkioWeight: 10, CpusetCpus: "0-1" }, 2);
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ Memory: 1 }, /Minimum memory limit allowed is 6MB/],
    [{ Memory: -1 }, /Minimum memory limit allowed is 6MB/],
    [{ Memory: 64 * MiB, MemorySwap: 32 * MiB }, /Minimum memoryswap limit should be larger than memory limit/],
    [{ NanoCpus: 3e9 }, /Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available/],
    [{ NanoCpus: 1e9, CpuQuota: 50000 }, /Nano CPUs and CPU Quota cannot both be set/],
    [{ CpuPeriod: 999 }, /CPU cfs period can not be less than 1ms/],
    [{ CpuQuota: 10 }, /CPU cfs quota can not be less than 1ms/],
    [{ BlkioWeight: 1001 }, /Range of blkio weight is from 10 to 1000/],
    [{ CpusetCpus: "0-x" }, /Invalid value 0-x for cpuset cpus/],
    [{ CpusetCpus: "3" }, /Requested CPUs are not available - requested 3, available: 0-1/],
    [{ RestartPolicy: { Name: "always", MaximumRetryCount: 2 } }, /maximum retry count can only be used with 'on-failure'/],
    [{ RestartPolicy: { Name: "on-failure", MaximumRetryCount: -1 } }, /cannot be negative/],
  ];
  for (const [u, re] of bad) assert.throws(() => validateUpdate(u, 2), re, JSON.stringify(u));
  assert.deepEqual(parseCpuset("0-2,5"), [0, 1, 2, 5]);
  assert.equal(parseCpuset("2-1"), undefined);
});

test("mergeUpdate: zero means unchanged, the implicit swap becomes explicit, conflicts as moby", () => {
  const hc = { Memory: 64 * MiB, PidsLimit: 100, NanoCpus: 0 };
  const m = mergeUpdate(hc, { Memory: 100 * MiB, PidsLimit: -1 });
  assert.equal(m.Memory, 100 * MiB);
  assert.equal(m.MemorySwap, 128 * MiB, "2x the old memory, as docker stored it");
  assert.equal(m.PidsLimit, 0);
  assert.equal(hc.Memory, 64 * MiB, "the current config is not changed");
  assert.throws(() => mergeUpdate(hc, { Memory: 200 * MiB }), (e: Error & { kind?: string }) => e.kind === "conflict" && /smaller than already set memoryswap/.test(e.message));
  assert.equal(mergeUpdate(hc, { Memory: 200 * MiB, MemorySwap: 400 * MiB }).MemorySwap, 400 * MiB);
  assert.equal(mergeUpdate({}, { Memory: 200 * MiB }).MemorySwap, undefined, "no limit before: no swap made up");
  assert.throws(() => mergeUpdate({ NanoCpus: 1e9 }, { CpuQuota: 50000 }), /CPU Quota cannot be updated as NanoCPUs has already been set/);
  assert.throws(() => mergeUpdate({ CpuPeriod: 100000 }, { NanoCpus: 1e9 }), /Nano CPUs cannot be updated as CPU Period has already been set/);
  assert.throws(() => mergeUpdate({ AutoRemove: true }, { RestartPolicy: { Name: "always" } }), /AutoRemove is enabled/);
  assert.deepEqual(mergeUpdate({}, { RestartPolicy: { Name: "on-failure", MaximumRetryCount: 3 } }).RestartPolicy, { Name: "on-failure", MaximumRetryCount: 3 });
});

test("updateResources: only what the update changes, in OCI terms", () => {
  const u = { Memory: 100 * MiB, NanoCpus: 5e8, CpuShares: 512, PidsLimit: 0, BlkioWeight: 300, CpusetCpus: "0" };
  assert.deepEqual(updateResources(mergeUpdate({ Memory: 64 * MiB }, u), u), {
    memory: { limit: 100 * MiB, swap: 128 * MiB },
    cpu: { shares: 512, period: 100000, quota: 50000, cpus: "0" },
    pids: { limit: -1 },
    blockIO: { weight: 300 },
  });
  assert.deepEqual(updateResources({}, { RestartPolicy: { Name: "always" } }), {});
});
