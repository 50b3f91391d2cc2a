/**
 * The daemon's event bus: services publish Docker-shaped events; `/events` subscribers
 * get past events (from a bounded ring, for `since`) and live ones, with Docker's
 * filters (type, event/action, image, container, label, scope).
 */
import type { EventMessage } from "../../api/system.js";
import { invalidArgument } from "../../shared/errors.js";

/** Filters as the API sends them: key → accepted values (OR within a key, AND across keys). */
export type EventFilters = Record<string, string[]>;

/** A published event with its exact nanosecond timestamp. */
export interface BusEvent {
  message: EventMessage;
  /** Nanoseconds since the epoch (exact; `message.timeNano` is a rounded number). */
  nano: bigint;
}

const FILTER_KEYS = new Set(["type", "event", "image", "container", "label", "scope", "daemon", "network", "volume", "plugin", "node", "service", "secret", "config"]);

/** Throw invalid-argument for filter keys Docker does not know. */
export function validateEventFilters(filters: EventFilters): void {
  for (const k of Object.keys(filters)) {
    if (!FILTER_KEYS.has(k)) throw invalidArgument(`invalid filter '${k}'`);
  }
}

function anyMatch(values: string[] | undefined, pred: (v: string) => boolean): boolean {
  return values === undefined || values.length === 0 || values.some(pred);
}

/** True when `m` passes `filters`. */
export function matchesFilters(m: EventMessage, filters: EventFilters): boolean {
  const attrs = m.Actor.Attributes;
  return anyMatch(filters.type, (v) => v === m.Type)
    && anyMatch(filters.event, (v) => v === m.Action || m.Action.startsWith(`${v}:`))
    && anyMatch(filters.scope, (v) => v === m.scope)
    && anyMatch(filters.image, (v) => m.Type === "image"
      ? m.Actor.ID === v || m.Actor.ID === `sha256:${v}` || attrs.name === v || attrs.name === `${v}:latest`
      : attrs.image === v || attrs.image === `${v}:latest`)
    && anyMatch(filters.container, (v) => m.Type === "container" && (m.Actor.ID === v || m.Actor.ID.startsWith(v) || attrs.name === v))
    && ["daemon", "network", "volume", "plugin", "node", "service", "secret", "config"].every((type) =>
      anyMatch(filters[type], (v) => m.Type === type && (m.Actor.ID === v || attrs.name === v)))
    && anyMatch(filters.label, (v) => {
      const i = v.indexOf("=");
      return i === -1 ? attrs[v] !== undefined : attrs[v.slice(0, i)] === v.slice(i + 1);
    });
}

/** Options for `subscribe`. Times are nanoseconds since the epoch. */
export interface SubscribeOptions {
  since?: bigint | undefined;
  until?: bigint | undefined;
  filters?: EventFilters | undefined;
}

/** A live subscription: replayed past events, then live ones until `close()` or `until`. */
export interface Subscription extends AsyncIterable<BusEvent> {
  close(): void;
}

/** Publish/subscribe hub for engine events. */
export class EventBus {
  private readonly ring: BusEvent[] = [];
  private readonly capacity: number;
  private readonly now: () => bigint;
  private readonly listeners = new Set<(e: BusEvent) => void>();
  private lastNano = 0n;

  /** @param now clock in nanoseconds (injected for tests) */
  constructor(options: { capacity?: number; now?: () => bigint } = {}) {
    this.capacity = options.capacity ?? 1024;
    this.now = options.now ?? (() => BigInt(Date.now()) * 1_000_000n + process.hrtime.bigint() % 1_000_000n);
  }

  /** Number of live subscribers (`NEventsListener` in /info). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Publish an event of `type` ("image", "container", …) about `id`. */
  publish(type: string, action: string, id: string, attributes: Record<string, string> = {}): BusEvent {
    let nano = this.now();
    if (nano <= this.lastNano) nano = this.lastNano + 1n;
    this.lastNano = nano;
    const message: EventMessage = {
      status: action,
      id,
      ...(attributes.image !== undefined ? { from: attributes.image } : {}),
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: "local",
      time: Number(nano / 1_000_000_000n),
      timeNano: Number(nano),
    };
    const ev = { message, nano };
    this.ring.push(ev);
    if (this.ring.length > this.capacity) this.ring.shift();
    for (const l of this.listeners) l(ev);
    return ev;
  }

  /** Events already published that match (for `since`). */
  past(options: SubscribeOptions): BusEvent[] {
    const f = options.filters ?? {};
    return this.ring.filter((e) =>
      (options.since === undefined || e.nano >= options.since)
      && (options.until === undefined || e.nano <= options.until)
      && matchesFilters(e.message, f));
  }

  /**
   * Subscribe: yields past events when `since` is given, then live events. Ends when
   * `until` passes (checked at least every 100 ms) or on `close()`.
   */
  subscribe(options: SubscribeOptions = {}): Subscription {
    const filters = options.filters ?? {};
    const queue: BusEvent[] = options.since !== undefined ? this.past(options) : [];
    let wake: (() => void) | undefined;
    let closed = false;
    const listener = (e: BusEvent) => {
      if (!matchesFilters(e.message, filters)) return;
      if (options.until !== undefined && e.nano > options.until) return;
      queue.push(e);
      wake?.();
    };
    this.listeners.add(listener);
    const close = () => {
      closed = true;
      this.listeners.delete(listener);
      wake?.();
    };
    const bus = this;
    return {
      close,
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            while (queue.length > 0) yield queue.shift() as BusEvent;
            if (closed) return;
            if (options.until !== undefined && bus.now() > options.until) return;
            let timer: NodeJS.Timeout | undefined;
            await new Promise<void>((resolve) => {
              wake = resolve;
              if (options.until !== undefined) timer = setTimeout(resolve, 100);
            });
            if (timer !== undefined) clearTimeout(timer);
            wake = undefined;
          }
        } finally {
          close();
        }
      },
    };
  }
}
