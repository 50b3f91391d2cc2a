/* Plan decoder: bytes (format in include/plan.h) to struct berth_plan. Every read is
 * bounds-checked against the record and the input; anything truncated, oversized,
 * unknown or inconsistent is rejected with EINVAL (E2BIG for limits). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

struct opinfo
{
  const char *name;
  const char *schema;
};

static const struct opinfo opinfos[] = {
  [BERTH_REC_JOIN_NS] = { "join-namespace", "is" },
  [BERTH_REC_CLONE_FLAGS] = { "clone-flags", "i" },
  [BERTH_REC_UID_MAP] = { "uid-mapping", "iii" },
  [BERTH_REC_GID_MAP] = { "gid-mapping", "iii" },
  [BERTH_REC_CGROUP_PROCS] = { "cgroup-procs", "s" },
  [BERTH_REC_EXEC_FIFO] = { "exec-fifo", "s" },
  [BERTH_OP_UNSHARE] = { "unshare", "i" },
  [BERTH_OP_MOUNT] = { "mount", "sssisi" },
  [BERTH_OP_MKDIR] = { "mkdir", "si" },
  [BERTH_OP_TOUCH] = { "touch", "si" },
  [BERTH_OP_SYMLINK] = { "symlink", "ss" },
  [BERTH_OP_MKNOD] = { "mknod", "siiiii" },
  [BERTH_OP_BIND_DEVICE] = { "bind-device", "ss" },
  [BERTH_OP_PIVOT_ROOT] = { "pivot-root", "s" },
  [BERTH_OP_CHROOT] = { "chroot", "s" },
  [BERTH_OP_MASK_PATH] = { "mask-path", "s" },
  [BERTH_OP_READONLY_PATH] = { "readonly-path", "s" },
  [BERTH_OP_WRITE_FILE] = { "write-file", "sb" },
  [BERTH_OP_SETHOSTNAME] = { "sethostname", "s" },
  [BERTH_OP_SETDOMAINNAME] = { "setdomainname", "s" },
  [BERTH_OP_RLIMIT] = { "rlimit", "iuu" },
  [BERTH_OP_UMASK] = { "umask", "i" },
  [BERTH_OP_OPEN_EXEC_FIFO] = { "open-exec-fifo", "s" },
  [BERTH_OP_CONNECT_CONSOLE] = { "connect-console-socket", "s" },
  [BERTH_OP_SETUP_CONSOLE] = { "setup-console", "ii" },
  [BERTH_OP_SYNC] = { "sync", "s" },
  [BERTH_OP_RUN_HOOK] = { "run-hook", "sSSi" },
  [BERTH_OP_SET_USER] = { "set-user", "iiI" },
  [BERTH_OP_CAPABILITIES] = { "capabilities", "uuuuu" },
  [BERTH_OP_NO_NEW_PRIVILEGES] = { "no-new-privileges", "" },
  [BERTH_OP_SECCOMP] = { "seccomp", "bi" },
  [BERTH_OP_CHDIR] = { "chdir", "s" },
  [BERTH_OP_WAIT_START] = { "wait-start", "" },
  [BERTH_OP_EXEC] = { "exec", "sSS" },
};

const char *
berth_opcode_name (uint16_t opcode)
{
  if (opcode >= sizeof (opinfos) / sizeof (opinfos[0]))
    return NULL;
  return opinfos[opcode].name;
}

const char *
berth_opcode_schema (uint16_t opcode)
{
  if (opcode >= sizeof (opinfos) / sizeof (opinfos[0]))
    return NULL;
  return opinfos[opcode].schema;
}

struct reader
{
  const uint8_t *p;
  size_t left;
};

static int
take (struct reader *r, size_t n, const uint8_t **out)
{
  if (r->left < n)
    return -1;
  *out = r->p;
  r->p += n;
  r->left -= n;
  return 0;
}

static int
read_u8 (struct reader *r, uint8_t *v)
{
  const uint8_t *p;
  if (take (r, 1, &p) < 0)
    return -1;
  *v = p[0];
  return 0;
}

static int
read_u16 (struct reader *r, uint16_t *v)
{
  const uint8_t *p;
  if (take (r, 2, &p) < 0)
    return -1;
  *v = (uint16_t) (p[0] | (p[1] << 8));
  return 0;
}

static int
read_u32 (struct reader *r, uint32_t *v)
{
  const uint8_t *p;
  if (take (r, 4, &p) < 0)
    return -1;
  *v = (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
  return 0;
}

static int
read_u64 (struct reader *r, uint64_t *v)
{
  uint32_t lo, hi;
  if (read_u32 (r, &lo) < 0 || read_u32 (r, &hi) < 0)
    return -1;
  *v = (uint64_t) lo | ((uint64_t) hi << 32);
  return 0;
}

/* A typed u64 arg; `max32` rejects values that do not fit in 32 bits. */
static int
arg_u64 (struct reader *r, int max32, uint64_t *v, berth_error_t *err)
{
  uint8_t type;
  if (read_u8 (r, &type) < 0 || read_u64 (r, v) < 0)
    return berth_make_error (err, EINVAL, "decode plan: truncated u64 arg");
  if (type != BERTH_ARG_U64)
    return berth_make_error (err, EINVAL, "decode plan: arg type %u where u64 expected", type);
  if (max32 && *v > UINT32_MAX)
    return berth_make_error (err, EINVAL, "decode plan: value %llu does not fit in 32 bits",
                             (unsigned long long) *v);
  return 0;
}

/* A typed string or bytes arg, copied and NUL-terminated. */
static int
arg_bytes (struct reader *r, uint8_t want, char **s, uint32_t *len, berth_error_t *err)
{
  uint8_t type;
  const uint8_t *p;
  if (read_u8 (r, &type) < 0 || read_u32 (r, len) < 0)
    return berth_make_error (err, EINVAL, "decode plan: truncated %s arg", want == BERTH_ARG_STR ? "string" : "bytes");
  if (type != want)
    return berth_make_error (err, EINVAL, "decode plan: arg type %u where %u expected", type, want);
  if (take (r, *len, &p) < 0)
    return berth_make_error (err, EINVAL, "decode plan: %s arg of %u bytes overruns its record",
                             want == BERTH_ARG_STR ? "string" : "bytes", *len);
  if (want == BERTH_ARG_STR && memchr (p, 0, *len) != NULL)
    return berth_make_error (err, EINVAL, "decode plan: string arg contains a NUL byte");
  *s = malloc ((size_t) *len + 1);
  if (*s == NULL)
    return berth_make_error (err, ENOMEM, "decode plan: malloc");
  memcpy (*s, p, *len);
  (*s)[*len] = '\0';
  return 0;
}

/* A list: a u64 count, then that many args; every element needs at least 5 wire bytes,
 * so a count larger than what is left is rejected before allocating. */
static int
arg_list (struct reader *r, char kind, struct berth_arg *a, uint32_t *wire_args, berth_error_t *err)
{
  uint64_t count;
  if (arg_u64 (r, 0, &count, err) < 0)
    return -1;
  if (count > BERTH_PLAN_MAX_LIST || count > r->left / 5)
    return berth_make_error (err, E2BIG, "decode plan: list of %llu elements is too long", (unsigned long long) count);
  *wire_args += 1 + (uint32_t) count;
  a->u = count;
  if (kind == 'S')
    {
      a->type = BERTH_ARG_STRV;
      a->strv = calloc (count + 1, sizeof (char *));
      if (a->strv == NULL)
        return berth_make_error (err, ENOMEM, "decode plan: calloc");
      for (uint64_t i = 0; i < count; i++)
        {
          uint32_t len;
          if (arg_bytes (r, BERTH_ARG_STR, &a->strv[i], &len, err) < 0)
            return -1;
        }
      return 0;
    }
  a->type = BERTH_ARG_U64V;
  a->uv = calloc (count + 1, sizeof (uint64_t));
  if (a->uv == NULL)
    return berth_make_error (err, ENOMEM, "decode plan: calloc");
  for (uint64_t i = 0; i < count; i++)
    if (arg_u64 (r, 1, &a->uv[i], err) < 0)
      return -1;
  return 0;
}

static void
free_args (struct berth_arg *args, size_t n)
{
  if (args == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    {
      free (args[i].s);
      if (args[i].strv != NULL)
        for (char **v = args[i].strv; *v != NULL; v++)
          free (*v);
      free (args[i].strv);
      free (args[i].uv);
    }
  free (args);
}

void
berth_plan_free (struct berth_plan *plan)
{
  if (plan == NULL)
    return;
  for (size_t i = 0; i < plan->njoins; i++)
    free (plan->joins[i].path);
  free (plan->joins);
  free (plan->uid_maps);
  free (plan->gid_maps);
  for (size_t i = 0; i < plan->ncgroup_procs; i++)
    free (plan->cgroup_procs[i]);
  free (plan->cgroup_procs);
  free (plan->exec_fifo);
  for (size_t i = 0; i < plan->nops; i++)
    free_args (plan->ops[i].args, plan->ops[i].nargs);
  free (plan->ops);
  free (plan);
}

/* Decode one record's args per its schema into a fresh array. */
static int
decode_args (struct reader *rec, uint16_t opcode, uint16_t nargs, struct berth_arg **out, size_t *nout,
             berth_error_t *err)
{
  const char *schema = berth_opcode_schema (opcode);
  size_t n = strlen (schema);
  uint32_t wire_args = 0;
  struct berth_arg *args = calloc (n + 1, sizeof (*args));
  if (args == NULL)
    return berth_make_error (err, ENOMEM, "decode plan: calloc");
  for (size_t i = 0; i < n; i++)
    {
      struct berth_arg *a = &args[i];
      int r = 0;
      switch (schema[i])
        {
        case 'u':
        case 'i':
          a->type = BERTH_ARG_U64;
          r = arg_u64 (rec, schema[i] == 'i', &a->u, err);
          wire_args++;
          break;
        case 's':
        case 'b':
          a->type = schema[i] == 's' ? BERTH_ARG_STR : BERTH_ARG_BYTES;
          r = arg_bytes (rec, a->type, &a->s, &a->len, err);
          wire_args++;
          break;
        default:
          r = arg_list (rec, schema[i] == 'S' ? 'S' : 'I', a, &wire_args, err);
          break;
        }
      if (r < 0)
        {
          free_args (args, n);
          return berth_error_wrap (err, "record `%s`", berth_opcode_name (opcode));
        }
    }
  if (wire_args != nargs || rec->left != 0)
    {
      free_args (args, n);
      return berth_make_error (err, EINVAL, "decode plan: record `%s` declares %u args and %s bytes it does not use",
                               berth_opcode_name (opcode), nargs, rec->left ? "has" : "no");
    }
  *out = args;
  *nout = n;
  return 0;
}

static int
grow (void **arr, size_t *n, size_t size)
{
  void *p = realloc (*arr, (*n + 1) * size);
  if (p == NULL)
    return -1;
  memset ((char *) p + *n * size, 0, size);
  *arr = p;
  (*n)++;
  return 0;
}

/* Move a decoded parent record into the plan's fields. */
static int
store_parent_record (struct berth_plan *plan, uint16_t opcode, struct berth_arg *args, int *seen_clone,
                     berth_error_t *err)
{
  switch (opcode)
    {
    case BERTH_REC_JOIN_NS:
      if (grow ((void **) &plan->joins, &plan->njoins, sizeof (*plan->joins)) < 0)
        return berth_make_error (err, ENOMEM, "decode plan: realloc");
      plan->joins[plan->njoins - 1].nstype = (uint32_t) args[0].u;
      plan->joins[plan->njoins - 1].path = args[1].s;
      args[1].s = NULL;
      return 0;
    case BERTH_REC_CLONE_FLAGS:
      if ((*seen_clone)++)
        return berth_make_error (err, EINVAL, "decode plan: clone flags given twice");
      plan->clone_flags = args[0].u;
      return 0;
    case BERTH_REC_UID_MAP:
    case BERTH_REC_GID_MAP:
      {
        struct berth_idmap **maps = opcode == BERTH_REC_UID_MAP ? &plan->uid_maps : &plan->gid_maps;
        size_t *nmaps = opcode == BERTH_REC_UID_MAP ? &plan->nuid_maps : &plan->ngid_maps;
        if (*nmaps >= 340) /* the kernel's limit of lines in a uid_map */
          return berth_make_error (err, E2BIG, "decode plan: too many id mappings");
        if (grow ((void **) maps, nmaps, sizeof (**maps)) < 0)
          return berth_make_error (err, ENOMEM, "decode plan: realloc");
        (*maps)[*nmaps - 1] = (struct berth_idmap){ (uint32_t) args[0].u, (uint32_t) args[1].u, (uint32_t) args[2].u };
        return 0;
      }
    case BERTH_REC_CGROUP_PROCS:
      if (grow ((void **) &plan->cgroup_procs, &plan->ncgroup_procs, sizeof (char *)) < 0)
        return berth_make_error (err, ENOMEM, "decode plan: realloc");
      plan->cgroup_procs[plan->ncgroup_procs - 1] = args[0].s;
      args[0].s = NULL;
      return 0;
    case BERTH_REC_EXEC_FIFO:
      if (plan->exec_fifo != NULL)
        return berth_make_error (err, EINVAL, "decode plan: exec fifo given twice");
      if (args[0].len == 0)
        return berth_make_error (err, EINVAL, "decode plan: empty exec fifo path");
      plan->exec_fifo = args[0].s;
      args[0].s = NULL;
      return 0;
    default:
      return berth_make_error (err, EINVAL, "decode plan: unknown record %u", opcode);
    }
}

int
berth_plan_decode (const uint8_t *buf, size_t len, struct berth_plan **out, berth_error_t *err)
{
  struct reader r = { buf, len };
  uint32_t magic, nrecords;
  uint16_t version, reserved;
  int seen_clone = 0;

  if (len > BERTH_PLAN_MAX_SIZE)
    return berth_make_error (err, E2BIG, "decode plan: %zu bytes is larger than the limit", len);
  if (read_u32 (&r, &magic) < 0 || read_u16 (&r, &version) < 0 || read_u16 (&r, &reserved) < 0
      || read_u32 (&r, &nrecords) < 0)
    return berth_make_error (err, EINVAL, "decode plan: truncated header");
  if (magic != BERTH_PLAN_MAGIC)
    return berth_make_error (err, EINVAL, "decode plan: bad magic 0x%08x", magic);
  if (version != BERTH_PLAN_VERSION)
    return berth_make_error (err, EINVAL, "decode plan: unsupported version %u", version);
  if (reserved != 0)
    return berth_make_error (err, EINVAL, "decode plan: reserved header field is %u", reserved);
  /* Each record needs at least its 8-byte head. */
  if (nrecords > BERTH_PLAN_MAX_RECORDS || nrecords > r.left / 8)
    return berth_make_error (err, E2BIG, "decode plan: %u records cannot fit", nrecords);

  struct berth_plan *plan = calloc (1, sizeof (*plan));
  if (plan == NULL)
    return berth_make_error (err, ENOMEM, "decode plan: calloc");

  for (uint32_t i = 0; i < nrecords; i++)
    {
      uint16_t opcode, nargs;
      uint32_t reclen;
      const uint8_t *body;
      if (read_u16 (&r, &opcode) < 0 || read_u16 (&r, &nargs) < 0 || read_u32 (&r, &reclen) < 0)
        {
          berth_make_error (err, EINVAL, "decode plan: truncated record %u", i);
          goto fail;
        }
      if (berth_opcode_schema (opcode) == NULL)
        {
          berth_make_error (err, EINVAL, "decode plan: unknown opcode %u in record %u", opcode, i);
          goto fail;
        }
      if (take (&r, reclen, &body) < 0)
        {
          berth_make_error (err, EINVAL, "decode plan: record %u of %u bytes overruns the plan", i, reclen);
          goto fail;
        }
      if (plan->nops > 0 && opcode < BERTH_OP_FIRST)
        {
          berth_make_error (err, EINVAL, "decode plan: record `%s` after the first op", berth_opcode_name (opcode));
          goto fail;
        }
      if (plan->nops > 0 && plan->ops[plan->nops - 1].opcode == BERTH_OP_EXEC)
        {
          berth_make_error (err, EINVAL, "decode plan: op `%s` after exec", berth_opcode_name (opcode));
          goto fail;
        }

      struct reader rec = { body, reclen };
      struct berth_arg *args = NULL;
      size_t n = 0;
      if (decode_args (&rec, opcode, nargs, &args, &n, err) < 0)
        goto fail;
      if (opcode < BERTH_OP_FIRST)
        {
          int ret = store_parent_record (plan, opcode, args, &seen_clone, err);
          free_args (args, n);
          if (ret < 0)
            goto fail;
          continue;
        }
      if (grow ((void **) &plan->ops, &plan->nops, sizeof (*plan->ops)) < 0)
        {
          free_args (args, n);
          berth_make_error (err, ENOMEM, "decode plan: realloc");
          goto fail;
        }
      plan->ops[plan->nops - 1] = (struct berth_op){ opcode, n, args };
    }
  if (r.left != 0)
    {
      berth_make_error (err, EINVAL, "decode plan: %zu trailing bytes", r.left);
      goto fail;
    }
  if (plan->nops == 0 || plan->ops[plan->nops - 1].opcode != BERTH_OP_EXEC)
    {
      berth_make_error (err, EINVAL, "decode plan: the last op is not exec");
      goto fail;
    }
  *out = plan;
  return 0;

fail:
  berth_plan_free (plan);
  return -1;
}
