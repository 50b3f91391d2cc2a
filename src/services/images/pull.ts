/**
 * Pull and push for the image service through distribution/: Engine API parameters
 * (`fromImage`, `tag`, `platform`, X-Registry-Auth) become a reference and a registry
 * client; pulled images are recorded through `ImageService.commitPulled`.
 */
import {
  overlayLayers, parsePlatform, pull, push, RegistryClient,
  type AuthConfig, type ProgressSink, type PullResult, type PushResult, type RegistryConfig,
} from "../../distribution/index.js";
import { invalidArgument } from "../../shared/errors.js";
import type { ContentStore } from "../../store/content/content-store.js";
import type { OverlayStore } from "../../store/snapshots/overlay-store.js";
import { familiarString, fullString, isValidTag, parseReference, withDefaultTag, type Reference } from "./reference.js";

/** What pull and push need from the image service. */
export interface ImageRegistryHost {
  content: ContentStore;
  layers: OverlayStore;
  commitPulled(config: Buffer, layers: Array<{ digest: string; size: number }>, ref: Reference, repoDigest?: string): Promise<{ id: string; changed: boolean }>;
  /** Manifest digest of a local image (by name or id). */
  manifestOf(name: string): string;
  /** Keep blobs from cleanup while the pull runs (see `PullSink.hold`). */
  hold?(digests: string[]): () => void;
}

/** Options of a pull (POST /images/create?fromImage=). */
export interface PullImageOptions {
  fromImage: string;
  /** A tag, or a digest ("sha256:..."); overrides one in `fromImage`. */
  tag?: string | undefined;
  /** "os/arch[/variant]"; default the host's. */
  platform?: string | undefined;
  auth?: AuthConfig;
  registry?: RegistryConfig;
  progress?: ProgressSink;
  signal?: AbortSignal | undefined;
}

/** Options of a push (POST /images/{name}/push). */
export interface PushImageOptions {
  name: string;
  tag?: string | undefined;
  auth?: AuthConfig;
  registry?: RegistryConfig;
  progress?: ProgressSink;
  signal?: AbortSignal | undefined;
}

/** The reference `fromImage` + `tag` names, as moby's postImagesCreate builds it. */
export function pullReference(fromImage: string, tag: string | undefined): Reference {
  const r = parseReference(fromImage);
  if (tag === undefined || tag === "") return withDefaultTag(r);
  if (/^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/.test(tag)) return { ...r, tag: undefined, digest: tag };
  if (!isValidTag(tag)) throw invalidArgument("invalid tag format");
  return { ...r, tag };
}

/** Pull an image into the host's stores. */
export async function pullImage(host: ImageRegistryHost, opts: PullImageOptions): Promise<PullResult & { ref: string }> {
  const ref = pullReference(opts.fromImage, opts.tag);
  const platform = opts.platform !== undefined && opts.platform !== "" ? parsePlatform(opts.platform) : undefined;
  const client = new RegistryClient({ domain: ref.domain, ...(opts.auth ? { auth: opts.auth } : {}), ...(opts.registry ? { config: opts.registry } : {}) });
  const res = await pull({
    client, ref, platform, signal: opts.signal,
    ...(opts.progress ? { progress: opts.progress } : {}),
    sink: {
      ...overlayLayers(host.content, host.layers),
      commitImage: (img) => host.commitPulled(img.config, img.layers, ref, img.digest),
      ...(host.hold !== undefined ? { hold: host.hold } : {}),
    },
  });
  return { ...res, ref: familiarString(ref) };
}

/** Normalise a login's `serveraddress` ("https://index.docker.io/v1/", "http://h:5000") to a domain. */
export function loginDomain(serverAddress: string | undefined): string {
  const s = (serverAddress ?? "").trim().replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  if (s === "" || s === "index.docker.io" || s === "registry-1.docker.io") return "docker.io";
  return s;
}

/** POST /auth: check credentials against the registry, as `docker login` does. */
export async function loginRegistry(auth: AuthConfig, registry?: RegistryConfig): Promise<{ Status: string; IdentityToken: string }> {
  const domain = loginDomain(auth.serveraddress);
  const client = new RegistryClient({ domain, auth, ...(registry ? { config: registry } : {}) });
  await client.login();
  return { Status: "Login Succeeded", IdentityToken: "" };
}

/** Push a local image to the registry its name points at. */
export async function pushImage(host: ImageRegistryHost, opts: PushImageOptions): Promise<PushResult> {
  const base = parseReference(opts.name);
  if (base.digest !== undefined) throw invalidArgument("cannot push a digest reference");
  const ref = opts.tag !== undefined && opts.tag !== "" ? { ...base, tag: opts.tag } : withDefaultTag(base);
  if (ref.tag !== undefined && !isValidTag(ref.tag)) throw invalidArgument("invalid tag format");
  const manifestDigest = host.manifestOf(fullString(ref));
  const client = new RegistryClient({ domain: ref.domain, ...(opts.auth ? { auth: opts.auth } : {}), ...(opts.registry ? { config: opts.registry } : {}) });
  return push({
    client, ref, content: host.content, manifestDigest, signal: opts.signal,
    ...(opts.progress ? { progress: opts.progress } : {}),
  });
}
