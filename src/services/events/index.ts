/** The event bus. */
export { EventBus, matchesFilters, validateEventFilters, type BusEvent, type EventFilters, type SubscribeOptions, type Subscription } from "./event-bus.js";
