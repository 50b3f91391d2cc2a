/**
 * The typed surface of the Engine API the CLI uses. `EngineClient` implements it over
 * HTTP; CLI tests use a fake.
 */
import type { Readable } from "node:stream";
import type { ImageDeleteItem, ImageHistoryItem, ImageInspect, ImageSummary } from "../api/images.js";
import type { EventMessage, InfoResponse, VersionResponse } from "../api/system.js";

/** Image list options. */
export interface ImageListOptions {
  all?: boolean;
  digests?: boolean;
  filters?: Record<string, string[]>;
}

/** Image import options. */
export interface ImageImportOptions {
  repo?: string;
  tag?: string;
  changes?: string[];
  message?: string;
}

/** Event stream options (Docker timestamps: unix seconds, RFC 3339 or durations). */
export interface EventsOptions {
  since?: string;
  until?: string;
  filters?: Record<string, string[]>;
}

/** An event with its exact time: JSON numbers lose `timeNano`'s last digits. */
export interface ClientEvent extends EventMessage {
  nano: bigint;
}

/** The Engine API calls the CLI makes. */
export interface EngineApi {
  /** The address this client talks to, for messages. */
  readonly host: string;
  ping(): Promise<{ apiVersion: string }>;
  version(): Promise<VersionResponse>;
  info(): Promise<InfoResponse>;
  listImages(options?: ImageListOptions): Promise<ImageSummary[]>;
  inspectImage(name: string): Promise<ImageInspect>;
  imageHistory(name: string): Promise<ImageHistoryItem[]>;
  tagImage(source: string, repo: string, tag: string | undefined): Promise<void>;
  removeImage(name: string, options?: { force?: boolean; noprune?: boolean }): Promise<ImageDeleteItem[]>;
  importImage(body: Readable, options?: ImageImportOptions): Promise<string>;
  /** Returns the lines the daemon reported ("Loaded image: …"). */
  loadImages(body: Readable, quiet?: boolean): Promise<string[]>;
  /** POST /images/create?fromImage=: pull, calling `onMessage` for each progress message. */
  pullImage?(image: string, options: RegistryTransferOptions): Promise<void>;
  /** POST /images/{name}/push. */
  pushImage?(name: string, options: RegistryTransferOptions): Promise<void>;
  /** POST /auth: check credentials; resolves with the daemon's status text. */
  login?(auth: RegistryAuth): Promise<string>;
  saveImages(names: readonly string[]): Promise<Readable>;
  events(options?: EventsOptions, signal?: AbortSignal): AsyncIterable<ClientEvent>;
}

/** Registry credentials as sent in X-Registry-Auth and to POST /auth (Docker's AuthConfig). */
export interface RegistryAuth {
  username?: string;
  password?: string;
  serveraddress?: string;
  identitytoken?: string;
}

/** A progress message of a pull or push stream. */
export interface TransferMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message: string };
  aux?: Record<string, unknown>;
}

/** Options of pullImage / pushImage. */
export interface RegistryTransferOptions {
  tag?: string | undefined;
  platform?: string | undefined;
  auth?: RegistryAuth | undefined;
  onMessage?: ((m: TransferMessage) => void) | undefined;
}
