/* The plan wire format and its decoded form.
 *
 * Every constant here is mirrored in src/runtime/plan/opcodes.ts; change both together
 * (the golden files in tests/golden/ are decoded by both sides and catch drift).
 *
 * Layout (all integers little-endian):
 *
 *   header   magic u32 = "BPLN" (0x4e4c5042), version u16 = 1, reserved u16 = 0,
 *            nrecords u32
 *   record   opcode u16, nargs u16, len u32 (bytes of args that follow), then nargs args
 *   arg      type u8, then
 *              BERTH_ARG_U64:   value u64
 *              BERTH_ARG_STR:   length u32, bytes (no NUL inside; NUL-terminated on decode)
 *              BERTH_ARG_BYTES: length u32, bytes (anything)
 *
 * Records with opcodes below BERTH_OP_FIRST carry the parent's fields of the Plan (joins,
 * clone flags, id maps, cgroup files, exec fifo); the others are the child's ops, in order.
 * Lists (argv, env, additional gids) are a u64 count followed by that many args.
 * A record's len must equal the bytes its args use and the records must use the whole
 * input: anything else is rejected. */
#ifndef BERTH_PLAN_H
#define BERTH_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define BERTH_PLAN_MAGIC 0x4e4c5042u /* mirror: PLAN_MAGIC in opcodes.ts */
#define BERTH_PLAN_VERSION 1         /* mirror: PLAN_VERSION */

/* Limits (mirror: PLAN_LIMITS): keep a hostile plan from exhausting memory. */
#define BERTH_PLAN_MAX_SIZE (16u << 20)
#define BERTH_PLAN_MAX_RECORDS 65536u
#define BERTH_PLAN_MAX_LIST 65536u

/* Arg types on the wire (mirror: ARG_TYPE). */
enum
{
  BERTH_ARG_U64 = 1,
  BERTH_ARG_STR = 2,
  BERTH_ARG_BYTES = 3,
};

/* Opcodes (mirror: OPCODE in opcodes.ts). Parent fields first, then ops from 16. */
enum berth_opcode
{
  BERTH_REC_JOIN_NS = 1,        /* nstype u32, path str */
  BERTH_REC_CLONE_FLAGS = 2,    /* flags u32 */
  BERTH_REC_UID_MAP = 3,        /* containerId u32, hostId u32, size u32 */
  BERTH_REC_GID_MAP = 4,        /* containerId u32, hostId u32, size u32 */
  BERTH_REC_CGROUP_PROCS = 5,   /* path str */
  BERTH_REC_EXEC_FIFO = 6,      /* path str */

  BERTH_OP_FIRST = 16,
  BERTH_OP_UNSHARE = 16,          /* flags u32 */
  BERTH_OP_MOUNT = 17,            /* source, target, fstype str, flags u32, data str, optional u32 */
  BERTH_OP_MKDIR = 18,            /* path str, mode u32 */
  BERTH_OP_TOUCH = 19,            /* path str, mode u32 */
  BERTH_OP_SYMLINK = 20,          /* target str, path str */
  BERTH_OP_MKNOD = 21,            /* path str, mode, major, minor, uid, gid u32 */
  BERTH_OP_BIND_DEVICE = 22,      /* source str, path str */
  BERTH_OP_PIVOT_ROOT = 23,       /* root str */
  BERTH_OP_CHROOT = 24,           /* root str */
  BERTH_OP_MASK_PATH = 25,        /* path str */
  BERTH_OP_READONLY_PATH = 26,    /* path str */
  BERTH_OP_WRITE_FILE = 27,       /* path str, data bytes */
  BERTH_OP_SETHOSTNAME = 28,      /* name str */
  BERTH_OP_SETDOMAINNAME = 29,    /* name str */
  BERTH_OP_RLIMIT = 30,           /* resource u32, soft u64, hard u64 */
  BERTH_OP_UMASK = 31,            /* mask u32 */
  BERTH_OP_OPEN_EXEC_FIFO = 32,   /* path str */
  BERTH_OP_CONNECT_CONSOLE = 33,  /* path str */
  BERTH_OP_SETUP_CONSOLE = 34,    /* rows u32, cols u32 */
  BERTH_OP_SYNC = 35,             /* phase str */
  BERTH_OP_RUN_HOOK = 36,         /* path str, args [str], env [str], timeout u32 */
  BERTH_OP_SET_USER = 37,         /* uid u32, gid u32, additionalGids [u32] */
  BERTH_OP_CAPABILITIES = 38,     /* bounding, effective, permitted, inheritable, ambient u64 */
  BERTH_OP_NO_NEW_PRIVILEGES = 39,
  BERTH_OP_SECCOMP = 40,          /* filter bytes, flags u32 */
  BERTH_OP_CHDIR = 41,            /* path str */
  BERTH_OP_WAIT_START = 42,
  BERTH_OP_EXEC = 43,             /* path str, args [str], env [str] */
  BERTH_OP_LAST = 43,
};

/* One decoded arg. Lists decode to one arg holding a NULL-terminated vector. */
struct berth_arg
{
  uint8_t type;      /* BERTH_ARG_* or one of the list kinds below */
  uint64_t u;        /* U64 value; element count for lists */
  char *s;           /* STR (NUL-terminated) or BYTES payload */
  uint32_t len;      /* STR/BYTES length without the added NUL */
  char **strv;       /* string list, NULL-terminated */
  uint64_t *uv;      /* u64 list */
};

enum
{
  BERTH_ARG_STRV = 16,
  BERTH_ARG_U64V = 17,
};

struct berth_op
{
  uint16_t opcode;
  size_t nargs;
  struct berth_arg *args;
};

struct berth_idmap
{
  uint32_t container_id, host_id, size;
};

struct berth_nsjoin
{
  uint32_t nstype;
  char *path;
};

struct berth_plan
{
  struct berth_nsjoin *joins;
  size_t njoins;
  uint64_t clone_flags;
  struct berth_idmap *uid_maps;
  size_t nuid_maps;
  struct berth_idmap *gid_maps;
  size_t ngid_maps;
  char **cgroup_procs;
  size_t ncgroup_procs;
  char *exec_fifo; /* NULL when not wanted */
  struct berth_op *ops;
  size_t nops;
};

/* The name used in error reports and in plan.ts ("pivot-root"), or NULL. */
const char *berth_opcode_name (uint16_t opcode);

/* The arg schema of an opcode: one char per decoded arg. 'u' u64, 'i' u64 that must fit
 * in 32 bits, 's' string, 'b' bytes, 'S' list of strings, 'I' list of 32-bit values.
 * NULL for unknown opcodes. */
const char *berth_opcode_schema (uint16_t opcode);

/* Decode `len` bytes into *out. On failure *out is untouched and err says why. */
int berth_plan_decode (const uint8_t *buf, size_t len, struct berth_plan **out, berth_error_t *err);

void berth_plan_free (struct berth_plan *plan);

#endif
