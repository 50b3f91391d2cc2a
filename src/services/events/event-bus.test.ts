import { test } from "node:test";
import assert from "node:assert/strict";
import { EventBus, matchesFilters, validateEventFilters } from "./event-bus.js";

function clock(start = 1_000_000_000_000n) {
  let t = start;
  return { now: () => t, advance: (d: bigint) => { t += d; } };
}

test("EventBus.publish() builds Docker's event message shape", () => {
  const c = clock();
  const bus = new EventBus({ now: c.now });
  const e = bus.publish("image", "tag", "sha256:abc", { name: "busybox:latest" });
  assert.deepEqual(e.message, {
    status: "tag", id: "sha256:abc", Type: "image", Action: "tag",
    Actor: { ID: "sha256:abc", Attributes: { name: "busybox:latest" } },
    scope: "local", time: 1000, timeNano: 1_000_000_000_000,
  });
});

test("EventBus.subscribe() replays since/until and filters, then streams live events", async () => {
  const c = clock();
  const bus = new EventBus({ now: c.now });
  bus.publish("image", "tag", "sha256:a", { name: "a:latest" });
  c.advance(10n);
  bus.publish("image", "delete", "sha256:b", {});
  c.advance(10n);
  bus.publish("container", "start", "c1", { image: "a" });
  const past = bus.past({ since: 1_000_000_000_005n, filters: {} }).map((e) => e.message.Action);
  assert.deepEqual(past, ["delete", "start"]);
  assert.deepEqual(bus.past({ since: 0n, until: 1_000_000_000_005n }).map((e) => e.message.Action), ["tag"]);
  assert.deepEqual(bus.past({ since: 0n, filters: { type: ["image"], event: ["delete"] } }).map((e) => e.message.Actor.ID), ["sha256:b"]);

  const sub = bus.subscribe({ filters: { image: ["a"] } });
  const got: string[] = [];
  const reading = (async () => {
    for await (const e of sub) {
      got.push(`${e.message.Type}:${e.message.Action}`);
      if (got.length === 2) sub.close();
    }
  })();
  bus.publish("image", "untag", "sha256:z", { name: "z:latest" });
  bus.publish("image", "untag", "sha256:a", { name: "a:latest" });
  bus.publish("container", "die", "c2", { image: "a" });
  await reading;
  assert.deepEqual(got, ["image:untag", "container:die"]);
  assert.equal(bus.listenerCount, 0);
});

test("EventBus subscription ends once until has passed", async () => {
  const c = clock();
  const bus = new EventBus({ now: c.now });
  bus.publish("image", "tag", "sha256:a");
  const sub = bus.subscribe({ since: 0n, until: c.now() + 5n });
  const seen: string[] = [];
  setTimeout(() => c.advance(100n), 20);
  for await (const e of sub) seen.push(e.message.Action);
  assert.deepEqual(seen, ["tag"]);
});

test("matchesFilters() handles labels and validateEventFilters() rejects unknown keys", () => {
  const bus = new EventBus({ now: clock().now });
  const m = bus.publish("container", "start", "abc", { "com.x": "1", name: "web" }).message;
  assert.equal(matchesFilters(m, { label: ["com.x"] }), true);
  assert.equal(matchesFilters(m, { label: ["com.x=1"] }), true);
  assert.equal(matchesFilters(m, { label: ["com.x=2"] }), false);
  assert.equal(matchesFilters(m, { container: ["web"] }), true);
  assert.throws(() => validateEventFilters({ bogus: ["1"] }), /invalid filter 'bogus'/);
  assert.equal(matchesFilters(m, { network: ["bridge"] }), false);
  const n = bus.publish("network", "connect", "netid", { name: "bridge", container: "abc" }).message;
  assert.equal(matchesFilters(n, { network: ["bridge"] }), true);
  assert.equal(matchesFilters(n, { network: ["netid"], type: ["network"] }), true);
});
