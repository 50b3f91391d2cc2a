/**
 * `berth cp`: copy files between a container and the local filesystem, with docker's
 * argument syntax (`ctr:/path`, `-` for a tar on stdin/stdout) and docker's copy rules
 * (a directory is copied into an existing directory, or becomes a missing destination;
 * `src/.` copies the directory's content).
 */
import { realpath, stat, lstat } from "node:fs/promises";
import { posix } from "node:path";
import { pipeline } from "node:stream/promises";
import { Command } from "commander";
import type { ContainerPathStat } from "../../../api/container-files.js";
import { DaemonError } from "../../../client/engine-client.js";
import { FilesClient } from "../../../client/files-client.js";
import { BerthError } from "../../../shared/errors.js";
import type { Cli } from "../../cli.js";
import { extractLocal, packLocal } from "./cp-local.js";

/** Options of `cp`. */
export interface CpOptions {
  archive?: boolean;
  followLink?: boolean;
}

/** docker's splitCpArg: `ctr:path`, or a local path (absolute, `./x:y`, or without a colon). */
export function splitCpArg(arg: string): { container: string; path: string } {
  if (arg.startsWith("/")) return { container: "", path: arg };
  const i = arg.indexOf(":");
  if (i === -1 || arg.startsWith(".")) return { container: "", path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

function isDirMode(s: ContainerPathStat): boolean {
  return Math.floor(s.mode / 2 ** 31) % 2 === 1;
}

function isSymlinkMode(s: ContainerPathStat): boolean {
  return Math.floor(s.mode / 2 ** 27) % 2 === 1;
}

function isCurrentDir(p: string): boolean {
  return p === "." || p.endsWith("/.");
}

function base(p: string): string {
  const n = posix.basename(posix.normalize(p));
  return n === "" ? "/" : n;
}

function dir(p: string): string {
  return posix.dirname(posix.normalize(p.replace(/\/+$/, "") || "/"));
}

function bad(msg: string): BerthError {
  return new BerthError("invalid-argument", msg);
}

async function localStat(p: string) {
  return stat(p).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
}

async function copyFromContainer(cli: Cli, fc: FilesClient, ctr: string, srcPath: string, dstPath: string, o: CpOptions): Promise<void> {
  let src = srcPath;
  let rebaseName: string | undefined;
  if (o.followLink === true && !src.endsWith("/") && !isCurrentDir(src)) {
    const st = await fc.statPath(ctr, src);
    if (st.linkTarget !== "") {
      rebaseName = base(src);
      src = st.linkTarget;
    }
  }
  const { stat: st, stream } = await fc.getArchive(ctr, src);
  if (dstPath === "-") {
    await pipeline(stream, cli.out);
    return;
  }
  const srcIsDir = isDirMode(st);
  const srcBase = st.name === "/" ? "" : st.name;
  const name = rebaseName ?? srcBase;
  const opts = { keepOwners: o.archive === true };
  const dst = await localStat(dstPath);
  if (srcBase === "") {
    // The container's root: its entries have no prefix.
    if (dst !== undefined && !dst.isDirectory()) throw bad(`cannot copy a directory to the file "${dstPath}"`);
    if (dst === undefined) await (await import("node:fs/promises")).mkdir(dstPath);
    await extractLocal(stream, dstPath, opts);
    return;
  }
  if (dst?.isDirectory() === true) {
    if (srcIsDir && isCurrentDir(src)) await extractLocal(stream, dstPath, { ...opts, rebase: { from: ".", to: "" } });
    else await extractLocal(stream, dstPath, { ...opts, rebase: { from: srcBase, to: name } });
    return;
  }
  if (dst !== undefined && srcIsDir) throw bad(`cannot copy a directory to the file "${dstPath}"`);
  if (dst === undefined && dstPath.endsWith("/") && !srcIsDir) throw bad(`destination directory "${dstPath}" does not exist`);
  const parent = dir(dstPath);
  if ((await localStat(parent))?.isDirectory() !== true) throw bad(`destination directory "${parent}" does not exist`);
  await extractLocal(stream, parent, { ...opts, rebase: { from: srcBase === "." ? "." : srcBase, to: base(dstPath) } });
}

async function copyToContainer(cli: Cli, fc: FilesClient, srcPath: string, ctr: string, dstPath: string, o: CpOptions): Promise<void> {
  const put = { noOverwriteDirNonDir: true, copyUIDGID: o.archive === true };
  if (srcPath === "-") {
    await fc.putArchive(ctr, dstPath, cli.in, put);
    return;
  }
  const lst = await lstat(srcPath).catch(() => undefined);
  if (lst === undefined) throw bad(`could not find the file ${srcPath}`);
  let src = srcPath;
  let name = base(srcPath);
  if (o.followLink === true && lst.isSymbolicLink()) src = await realpath(srcPath);
  const srcIsDir = (o.followLink === true ? await stat(src) : lst).isDirectory();
  let dstStat: ContainerPathStat | undefined;
  try {
    dstStat = await fc.statPath(ctr, dstPath);
  } catch (err) {
    if (!(err instanceof DaemonError && err.status === 404 && !/No such container/.test(err.message))) throw err;
  }
  let dst = dstPath;
  if (dstStat !== undefined && isSymlinkMode(dstStat) && dstStat.linkTarget !== "") {
    dst = dstStat.linkTarget;
    dstStat = await fc.statPath(ctr, dst);
  }
  if (dstStat !== undefined && isDirMode(dstStat)) {
    // Into the existing directory: the source keeps its name, or `src/.` gives its content.
    if (srcIsDir && isCurrentDir(srcPath)) await fc.putArchive(ctr, dst, packLocal(src, ""), put);
    else await fc.putArchive(ctr, dst, packLocal(src, name), put);
    return;
  }
  if (dstStat !== undefined && srcIsDir) throw bad(`cannot copy a directory to the file "${dstPath}"`);
  if (dstStat === undefined && dst.endsWith("/") && !srcIsDir) throw bad(`destination directory "${ctr}:${dstPath}" does not exist`);
  name = base(dst);
  await fc.putArchive(ctr, dir(dst), packLocal(src, name), put);
}

/** Run `cp`. */
export async function runCp(cli: Cli, source: string, destination: string, o: CpOptions): Promise<void> {
  const s = splitCpArg(source);
  const d = splitCpArg(destination);
  if (s.container === "" && d.container === "") throw bad("must specify at least one container source");
  if (s.container !== "" && d.container !== "") throw bad("copying between containers is not supported");
  const fc = new FilesClient(cli.client().host);
  if (s.container !== "") {
    if (s.path === "") throw bad("source path can not be empty");
    await copyFromContainer(cli, fc, s.container, s.path, d.path, o);
  } else {
    if (d.path === "") throw bad("destination path can not be empty");
    await copyToContainer(cli, fc, s.path, d.container, d.path, o);
  }
}

/** The `cp` command. */
export function createCpCommand(cli: Cli): Command {
  return new Command("cp")
    .description("Copy files/folders between a container and the local filesystem")
    .usage("[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n       berth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH")
    .argument("<source>")
    .argument("<destination>")
    .option("-a, --archive", "archive mode (copy all uid/gid information)")
    .option("-L, --follow-link", "always follow symbol link in SRC_PATH")
    .option("-q, --quiet", "suppress progress output during copy")
    .action(async (source: string, destination: string, o: CpOptions) => runCp(cli, source, destination, o));
}
