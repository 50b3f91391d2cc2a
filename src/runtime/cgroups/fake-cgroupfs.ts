/**
 * A fake cgroupfs for unit tests: a temp directory of plain files standing for
 * /sys/fs/cgroup, in one of three layouts, behind a `CgroupFs` that adds the few kernel
 * behaviours the managers depend on (interface files appearing on mkdir, no O_CREAT,
 * cgroup.procs appending, cpuset ENOSPC, memsw >= memory EINVAL, EBUSY below usage,
 * FREEZING before FROZEN, cgroup.events frozen after a lag, rmdir EBUSY while populated).
 * Every accepted write is recorded, so tests assert the exact files and values.
 */
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { type CgroupFs, kernelError, nodeCgroupFs } from "./cgroup-fs.js";

/** v1 (joined cpu,cpuacct; net_cls,net_prio; CFQ blkio), hybrid (these CI machines), v2 (one cgroup2). */
export type FakeLayoutKind = "v1" | "hybrid" | "v2";

interface FakeHierarchy {
  readonly version: 1 | 2;
  readonly mount: string;
  readonly controllers: readonly string[];
}

const UNLIMITED_V1 = "9223372036854771712";
const MIB = 1024 * 1024;

function v1Files(ctrl: string, kind: FakeLayoutKind): Record<string, string> {
  switch (ctrl) {
    case "cpu":
      return {
        "cpu.shares": "1024", "cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "-1", "cpu.cfs_burst_us": "0",
        "cpu.rt_period_us": "1000000", "cpu.rt_runtime_us": "0", "cpu.idle": "0",
        "cpu.stat": "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n",
      };
    case "cpuacct":
      return {
        "cpuacct.usage": "0", "cpuacct.usage_percpu": "0 0 \n", "cpuacct.usage_percpu_user": "0 0 \n",
        "cpuacct.usage_percpu_sys": "0 0 \n", "cpuacct.usage_user": "0", "cpuacct.usage_sys": "0",
        "cpuacct.stat": "user 0\nsystem 0\n",
      };
    case "cpuset":
      return { "cpuset.cpus": "\n", "cpuset.mems": "\n" };
    case "memory":
      return {
        "memory.limit_in_bytes": UNLIMITED_V1, "memory.soft_limit_in_bytes": UNLIMITED_V1,
        "memory.memsw.limit_in_bytes": UNLIMITED_V1, "memory.usage_in_bytes": "0", "memory.max_usage_in_bytes": "0",
        "memory.failcnt": "0", "memory.memsw.usage_in_bytes": "0", "memory.memsw.max_usage_in_bytes": "0",
        "memory.memsw.failcnt": "0", "memory.kmem.limit_in_bytes": UNLIMITED_V1, "memory.kmem.usage_in_bytes": "0",
        "memory.kmem.tcp.limit_in_bytes": UNLIMITED_V1, "memory.swappiness": "60", "memory.use_hierarchy": "1",
        "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
        "memory.stat": "cache 0\nrss 0\ntotal_cache 0\ntotal_rss 0\n",
      };
    case "devices":
      return { "devices.allow": "", "devices.deny": "", "devices.list": "a *:* rwm\n" };
    case "freezer":
      return { "freezer.state": "THAWED\n" };
    case "blkio": {
      const common = {
        "blkio.throttle.read_bps_device": "", "blkio.throttle.write_bps_device": "",
        "blkio.throttle.read_iops_device": "", "blkio.throttle.write_iops_device": "",
        "blkio.throttle.io_service_bytes_recursive": "Total 0\n", "blkio.throttle.io_serviced_recursive": "Total 0\n",
      };
      return kind === "v1"
        ? { ...common, "blkio.weight": "500", "blkio.weight_device": "", "blkio.leaf_weight": "500",
            "blkio.leaf_weight_device": "", "blkio.io_service_bytes_recursive": "Total 0\n", "blkio.io_serviced_recursive": "Total 0\n" }
        : { ...common, "blkio.bfq.weight": "100", "blkio.bfq.weight_device": "",
            "blkio.bfq.io_service_bytes_recursive": "Total 0\n", "blkio.bfq.io_serviced_recursive": "Total 0\n" };
    }
    case "pids":
      return { "pids.max": "max", "pids.current": "0", "pids.events": "max 0\n" };
    case "hugetlb":
      return {
        "hugetlb.2MB.limit_in_bytes": UNLIMITED_V1, "hugetlb.2MB.usage_in_bytes": "0",
        "hugetlb.2MB.max_usage_in_bytes": "0", "hugetlb.2MB.failcnt": "0",
      };
    case "net_cls":
      return { "net_cls.classid": "0" };
    case "net_prio":
      return { "net_prio.ifpriomap": "lo 0\n", "net_prio.prioidx": "1" };
    default:
      return {};
  }
}

function v2Files(ctrl: string): Record<string, string> {
  switch (ctrl) {
    case "cpu":
      return { "cpu.weight": "100", "cpu.max": "max 100000", "cpu.max.burst": "0", "cpu.idle": "0" };
    case "cpuset":
      return { "cpuset.cpus": "\n", "cpuset.mems": "\n", "cpuset.cpus.effective": "0-1\n" };
    case "io":
      return { "io.weight": "default 100\n", "io.max": "", "io.stat": "" };
    case "memory":
      return {
        "memory.max": "max", "memory.low": "0", "memory.high": "max", "memory.swap.max": "max", "memory.current": "0",
        "memory.peak": "0", "memory.swap.current": "0", "memory.swap.events": "high 0\nmax 0\nfail 0\n",
        "memory.events": "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n", "memory.stat": "anon 0\nfile 0\n",
      };
    case "pids":
      return { "pids.max": "max", "pids.current": "0", "pids.events": "max 0\n" };
    case "hugetlb":
      return {
        "hugetlb.2MB.max": "max", "hugetlb.2MB.current": "0", "hugetlb.2MB.events": "max 0\n",
        "hugetlb.2MB.rsvd.max": "max", "hugetlb.2MB.rsvd.current": "0",
      };
    case "rdma":
      return { "rdma.max": "" };
    default:
      return {};
  }
}

/** The fake: build with `FakeCgroupfs.create(kind)`, pass `root`, `mountinfo`, `procCgroup` and itself as `fs`. */
export class FakeCgroupfs implements CgroupFs {
  /** Temp dir standing for /sys/fs/cgroup. */
  readonly root: string;
  readonly kind: FakeLayoutKind;
  readonly mountinfo: string;
  readonly procCgroup: string;
  /** Accepted writes in order; `file` is relative to `root` ("memory/x/memory.limit_in_bytes"). */
  readonly writes: { file: string; value: string }[] = [];
  /** Reads of freezer.state / cgroup.events that still report "not yet frozen" after a freeze request. */
  freezeLag = 2;
  readonly #hierarchies: FakeHierarchy[];
  readonly #lag = new Map<string, number>();

  private constructor(kind: FakeLayoutKind) {
    this.kind = kind;
    this.root = fs.mkdtempSync(join(tmpdir(), `berth-fake-cgroup-${kind}-`));
    const v1 = (names: string[]) => names.map((n) => ({
      version: 1 as const, mount: n, controllers: n === "systemd" ? ["name=systemd"] : n.split(","),
    }));
    let procLines: string[];
    if (kind === "v1") {
      this.#hierarchies = v1(["systemd", "cpu,cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "hugetlb", "net_cls,net_prio"]);
      // rdma is listed for this process but not mounted: detection must cope.
      procLines = ["12:rdma:/", "11:net_cls,net_prio:/", "10:hugetlb:/", "9:pids:/", "8:blkio:/", "7:freezer:/",
        "6:devices:/", "5:memory:/", "4:cpuset:/", "3:cpu,cpuacct:/", "1:name=systemd:/"];
    } else if (kind === "hybrid") {
      this.#hierarchies = [
        ...v1(["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "systemd"]),
        { version: 2, mount: "unified", controllers: ["hugetlb"] },
      ];
      procLines = ["9:name=systemd:/", "8:pids:/", "7:blkio:/", "6:freezer:/", "5:devices:/",
        "4:memory:/process_api/0123abcd", "3:cpuset:/", "2:cpuacct:/", "1:cpu:/", "0::/"];
    } else {
      this.#hierarchies = [{ version: 2, mount: "", controllers: ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma"] }];
      procLines = ["0::/"];
    }
    const mounts = this.#hierarchies.map((h, i) => {
      const mp = h.mount === "" ? "/sys/fs/cgroup" : `/sys/fs/cgroup/${h.mount}`;
      return h.version === 2
        ? `${40 + i} 30 0:${40 + i} / ${mp} rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate`
        : `${40 + i} 30 0:${40 + i} / ${mp} rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,${h.controllers.join(",")}`;
    });
    this.mountinfo = [
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
      "23 22 0:5 / /mnt/with\\040space rw - tmpfs tmpfs rw",
      ...(kind === "v2" ? [] : ["30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755"]),
      ...mounts,
      "",
    ].join("\n");
    this.procCgroup = procLines.join("\n") + "\n";
    for (const h of this.#hierarchies) {
      const dir = join(this.root, h.mount);
      fs.mkdirSync(dir, { recursive: true });
      this.#populate(h, dir, true);
    }
    if (kind === "hybrid") this.mkdirRaw("memory/process_api/0123abcd");
  }

  /** A fresh fake of the given layout; call `cleanup()` when done. */
  static create(kind: FakeLayoutKind): FakeCgroupfs {
    return new FakeCgroupfs(kind);
  }

  /** Removes the temp dir. */
  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }

  /** A file's content, `rel` relative to root. */
  content(rel: string): string {
    return fs.readFileSync(join(this.root, rel), "utf8");
  }

  /** Sets a file's content as the kernel would report it (usage, stats fixtures), without recording a write. */
  setContent(rel: string, text: string): void {
    fs.writeFileSync(join(this.root, rel), text);
  }

  /** Creates a cgroup directory as the kernel does, without recording. */
  mkdirRaw(rel: string): void {
    const parts = rel.split("/");
    for (let i = 1; i <= parts.length; i++) {
      const p = join(this.root, ...parts.slice(0, i));
      if (!fs.existsSync(p)) this.mkdir(p);
    }
  }

  /** Every process in the fake leaves every cgroup (they exited). */
  exitAll(): void {
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name === "cgroup.procs" || e.name === "tasks") fs.writeFileSync(p, "");
      }
    };
    walk(this.root);
  }

  /**
   * Process `pid` exits: it leaves every cgroup. With `oom`, the kernel's OOM killer took it:
   * the memory cgroups it was in count one oom kill.
   */
  processExit(pid: number, oom = false): void {
    const walk = (dir: string) => {
      const procsFile = join(dir, "cgroup.procs");
      if (fs.existsSync(procsFile)) {
        const pids = fs.readFileSync(procsFile, "utf8").split("\n").filter((l) => l !== "");
        if (pids.includes(String(pid))) {
          const rest = pids.filter((l) => l !== String(pid));
          const text = rest.map((l) => l + "\n").join("");
          fs.writeFileSync(procsFile, text);
          if (fs.existsSync(join(dir, "tasks"))) fs.writeFileSync(join(dir, "tasks"), text);
          this.#account(dir, rest.length);
          if (oom) {
            for (const f of ["memory.oom_control", "memory.events"]) {
              const p = join(dir, f);
              if (!fs.existsSync(p)) continue;
              fs.writeFileSync(p, fs.readFileSync(p, "utf8").replace(/^oom_kill (\d+)$/m, (_, n: string) => `oom_kill ${Number(n) + 1}`));
            }
          }
        }
      }
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name));
    };
    walk(this.root);
  }

  /** The writes whose file path starts with `prefix`, as "file=value" strings (compact assertions). */
  writesUnder(prefix: string): string[] {
    return this.writes.filter((w) => w.file.startsWith(prefix)).map((w) => `${w.file.slice(prefix.length)}=${w.value}`);
  }

  #hierarchyOf(path: string): FakeHierarchy | undefined {
    const rel = relative(this.root, path);
    let best: FakeHierarchy | undefined;
    for (const h of this.#hierarchies) {
      if (h.mount === "" || rel === h.mount || rel.startsWith(h.mount + "/")) {
        if (best === undefined || h.mount.length > best.mount.length) best = h;
      }
    }
    return best;
  }

  #populate(h: FakeHierarchy, dir: string, isRoot: boolean): void {
    const files: Record<string, string> = { "cgroup.procs": "" };
    if (h.version === 1) {
      Object.assign(files, { tasks: "", "cgroup.clone_children": "0", notify_on_release: "0" });
      for (const c of h.controllers) Object.assign(files, v1Files(c, this.kind));
      if (isRoot && h.controllers.includes("cpuset")) Object.assign(files, { "cpuset.cpus": "0-1\n", "cpuset.mems": "0\n" });
    } else {
      const enabled = isRoot
        ? [...h.controllers]
        : fs.readFileSync(join(dirname(dir), "cgroup.subtree_control"), "utf8").split(/\s+/).filter((c) => c !== "");
      Object.assign(files, {
        "cgroup.controllers": enabled.join(" ") + "\n", "cgroup.subtree_control": "\n", "cgroup.type": "domain\n",
        "cgroup.events": "populated 0\nfrozen 0\n", "cgroup.freeze": "0\n",
        "cpu.stat": "usage_usec 0\nuser_usec 0\nsystem_usec 0\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n",
      });
      if (!isRoot) for (const c of enabled) Object.assign(files, v2Files(c));
    }
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(join(dir, name), text);
  }

  readFile(path: string): string {
    const text = nodeCgroupFs.readFile(path);
    const left = this.#lag.get(path);
    if (left !== undefined) {
      if (left > 0) {
        this.#lag.set(path, left - 1);
        return path.endsWith("freezer.state") ? "FREEZING\n" : text;
      }
      this.#lag.delete(path);
      if (path.endsWith("freezer.state")) fs.writeFileSync(path, "FROZEN\n");
      else fs.writeFileSync(path, text.replace(/^frozen \d+$/m, "frozen 1"));
      return nodeCgroupFs.readFile(path);
    }
    return text;
  }

  writeFile(path: string, data: string): void {
    if (!fs.existsSync(path)) throw kernelError("open", "ENOENT", path);
    const dir = dirname(path);
    const name = path.slice(dir.length + 1);
    const h = this.#hierarchyOf(path);
    const value = data.trim();
    const fail = (code: string) => kernelError("write", code, path);
    const num = (s: string) => (s === "-1" ? Number(UNLIMITED_V1) : Number(s));
    const read = (f: string) => fs.readFileSync(join(dir, f), "utf8").trim();
    let stored = data;

    // Device-keyed files: majors this high name no device on any machine.
    if (/^(blkio\.throttle\.|blkio\.(bfq\.)?weight_device|io\.max|io\.weight|io\.bfq\.weight)/.test(name)) {
      const dev = /^(\d+):\d+ /.exec(value);
      if (dev && Number(dev[1]) >= 4000) throw fail("ENODEV");
    }
    switch (name) {
      case "cgroup.procs":
      case "tasks": {
        if (!/^\d+$/.test(value)) throw fail("EINVAL");
        if (h?.version === 1 && h.controllers.includes("cpuset") && (read("cpuset.cpus") === "" || read("cpuset.mems") === "")) {
          throw fail("ENOSPC");
        }
        const pids = read("cgroup.procs").split("\n").filter((l) => l !== "");
        if (!pids.includes(value)) pids.push(value);
        stored = pids.join("\n") + "\n";
        if (h?.version === 1) fs.writeFileSync(join(dir, "tasks"), stored);
        this.#account(dir, pids.length);
        break;
      }
      case "cgroup.subtree_control": {
        const available = read("cgroup.controllers").split(/\s+/);
        const enabled = new Set(read("cgroup.subtree_control").split(/\s+/).filter((c) => c !== ""));
        for (const tok of value.split(/\s+/)) {
          const c = tok.slice(1);
          if (!/^[+-]/.test(tok) || !available.includes(c)) throw fail("EINVAL");
          if (tok.startsWith("+")) enabled.add(c);
          else enabled.delete(c);
        }
        stored = [...enabled].join(" ") + "\n";
        break;
      }
      case "freezer.state":
        if (value === "FROZEN") {
          if (read("freezer.state") !== "FROZEN" && !this.#lag.has(path)) this.#lag.set(path, this.freezeLag);
          return this.#record(path, data, read("freezer.state") === "FROZEN" ? "FROZEN\n" : "FREEZING\n");
        }
        if (value !== "THAWED") throw fail("EINVAL");
        this.#lag.delete(path);
        break;
      case "cgroup.freeze": {
        if (value !== "0" && value !== "1") throw fail("EINVAL");
        const events = join(dir, "cgroup.events");
        if (value === "1") this.#lag.set(events, this.freezeLag);
        else {
          this.#lag.delete(events);
          fs.writeFileSync(events, read("cgroup.events").replace(/^frozen \d+$/m, "frozen 0") + "\n");
        }
        break;
      }
      case "memory.limit_in_bytes": {
        const v = num(value);
        if (Number.isNaN(v)) throw fail("EINVAL");
        if (v < Number(read("memory.usage_in_bytes"))) throw fail("EBUSY");
        if (v > Number(read("memory.memsw.limit_in_bytes"))) throw fail("EINVAL");
        stored = value === "-1" ? UNLIMITED_V1 : value;
        break;
      }
      case "memory.memsw.limit_in_bytes": {
        const v = num(value);
        if (Number.isNaN(v) || v < Number(read("memory.limit_in_bytes"))) throw fail("EINVAL");
        stored = value === "-1" ? UNLIMITED_V1 : value;
        break;
      }
      case "cpu.shares":
        if (!/^\d+$/.test(value)) throw fail("EINVAL");
        stored = String(Math.min(262144, Math.max(2, Number(value))));
        break;
      case "devices.allow":
      case "devices.deny": {
        const list = read("devices.list").split("\n").filter((l) => l !== "");
        const all = value.startsWith("a");
        let next: string[];
        if (name === "devices.allow") next = all ? ["a *:* rwm"] : list.includes("a *:* rwm") ? list : [...list, value];
        else next = all ? [] : list.filter((l) => l !== value);
        fs.writeFileSync(join(dir, "devices.list"), next.map((l) => l + "\n").join(""));
        break;
      }
      default:
        break;
    }
    this.#record(path, data, stored);
  }

  #record(path: string, data: string, stored: string): void {
    fs.writeFileSync(path, stored);
    this.writes.push({ file: relative(this.root, path), value: data });
  }

  /** What the kernel would report once `n` processes run in `dir`: 1 MiB of anon memory each, n pids. */
  #account(dir: string, n: number): void {
    const set = (f: string, v: string) => {
      if (fs.existsSync(join(dir, f))) fs.writeFileSync(join(dir, f), v);
    };
    const bytes = String(n * MIB);
    set("pids.current", String(n));
    set("cpuacct.usage", String(n * 1_000_000));
    set("cpuacct.usage_percpu", `${n * 1_000_000} 0 \n`);
    if (this.#hierarchyOf(dir)?.version === 2) {
      set("cpu.stat", `usage_usec ${n * 1000}\nuser_usec ${n * 1000}\nsystem_usec 0\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n`);
    }
    set("memory.usage_in_bytes", bytes);
    set("memory.max_usage_in_bytes", bytes);
    set("memory.current", bytes);
    set("memory.peak", bytes);
    if (fs.existsSync(join(dir, "memory.stat"))) {
      set("memory.stat", this.#hierarchyOf(dir)?.version === 1
        ? `cache 0\nrss ${bytes}\ntotal_cache 0\ntotal_rss ${bytes}\n`
        : `anon ${bytes}\nfile 0\n`);
    }
    set("cgroup.events", `populated ${n > 0 ? 1 : 0}\nfrozen 0\n`);
  }

  exists(path: string): boolean {
    return fs.existsSync(path);
  }

  mkdir(path: string): void {
    nodeCgroupFs.mkdir(path);
    const h = this.#hierarchyOf(path);
    if (h) this.#populate(h, path, false);
  }

  rmdir(path: string): void {
    if (!fs.existsSync(path)) throw kernelError("rmdir", "ENOENT", path);
    if (fs.readFileSync(join(path, "cgroup.procs"), "utf8").trim() !== "" || this.subdirs(path).length > 0) {
      throw kernelError("rmdir", "EBUSY", path);
    }
    fs.rmSync(path, { recursive: true });
  }

  subdirs(path: string): string[] {
    return nodeCgroupFs.subdirs(path);
  }

  files(path: string): string[] {
    return nodeCgroupFs.files(path);
  }
}
