/** What the events route needs (the EventBus satisfies it). */
import type { EventMessage } from "../../../../api/system.js";

/** A subscription yielding events with exact nanosecond times. */
export interface EventsSubscription extends AsyncIterable<{ message: EventMessage; nano: bigint }> {
  close(): void;
}

/** Backend of GET /events. */
export interface EventsBackend {
  subscribe(options: { since?: bigint | undefined; until?: bigint | undefined; filters?: Record<string, string[]> }): EventsSubscription;
}
