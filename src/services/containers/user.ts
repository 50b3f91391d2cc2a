/** `User` ("name", "uid", "name:group", "uid:gid") → ids, through the image's /etc/passwd and /etc/group. */
import { invalidArgument } from "../../shared/errors.js";

/** A resolved user. */
export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

function parsePasswd(text: string): PasswdEntry[] {
  return text.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#")).map((l) => {
    const f = l.split(":");
    return { name: f[0] ?? "", uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? "/" };
  }).filter((e) => Number.isInteger(e.uid) && Number.isInteger(e.gid));
}

function parseGroup(text: string): GroupEntry[] {
  return text.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#")).map((l) => {
    const f = l.split(":");
    return { name: f[0] ?? "", gid: Number(f[2]), members: (f[3] ?? "").split(",").filter((m) => m !== "") };
  }).filter((e) => Number.isInteger(e.gid));
}

const isNum = (s: string) => /^\d+$/.test(s);

/**
 * Resolve `user` as moby's getUser does: a numeric uid needs no passwd entry, a name
 * must exist ("unable to find user x: no matching entries in passwd file").
 */
export function resolveUser(user: string, passwd: string, group: string): ResolvedUser {
  const [u = "", g] = user === "" ? ["0"] : user.split(":", 2);
  const users = parsePasswd(passwd);
  const groups = parseGroup(group);
  let uid: number;
  let gid: number;
  let home = "/";
  let name: string | undefined;
  const byName = users.find((e) => e.name === u);
  const byUid = isNum(u) ? users.find((e) => e.uid === Number(u)) : undefined;
  if (byName !== undefined) {
    ({ uid, gid, home, name } = byName);
  } else if (isNum(u)) {
    uid = Number(u);
    gid = byUid?.gid ?? 0;
    home = byUid?.home ?? "/";
    name = byUid?.name;
  } else {
    throw invalidArgument(`unable to find user ${u}: no matching entries in passwd file`);
  }
  if (g !== undefined && g !== "") {
    const grp = groups.find((e) => e.name === g);
    if (grp !== undefined) gid = grp.gid;
    else if (isNum(g)) gid = Number(g);
    else throw invalidArgument(`unable to find group ${g}: no matching entries in group file`);
  }
  const additionalGids = name === undefined ? [] : groups.filter((e) => e.members.includes(name) && e.gid !== gid).map((e) => e.gid);
  return { uid, gid, additionalGids, home };
}
