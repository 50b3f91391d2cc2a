/* The plan decoder: the golden plans written by the TS encoder decode to the values the
 * TS test put in them, and every kind of malformed input is rejected. */
#include <errno.h>
#include <stdint.h>

#include "plan.h"
#include "test.h"

static int
decode (const unsigned char *buf, size_t len, struct berth_plan **plan, int *status)
{
  berth_error_t err = NULL;
  int r = berth_plan_decode (buf, len, plan, &err);
  *status = err ? err->status : 0;
  berth_error_release (&err);
  return r;
}

static void
test_minimal (void)
{
  size_t len;
  unsigned char *buf = read_file ("tests/golden/minimal.bin", &len);
  CHECK (buf != NULL);
  if (buf == NULL)
    return;
  struct berth_plan *plan = NULL;
  int status;
  CHECK (decode (buf, len, &plan, &status) == 0);
  if (plan != NULL)
    {
      CHECK (plan->njoins == 0 && plan->clone_flags == 0 && plan->exec_fifo == NULL);
      CHECK (plan->nops == 1 && plan->ops[0].opcode == BERTH_OP_EXEC);
      CHECK_STR (plan->ops[0].args[0].s, "/bin/true");
      CHECK (plan->ops[0].args[1].u == 1);
      CHECK_STR (plan->ops[0].args[1].strv[0], "true");
      CHECK (plan->ops[0].args[1].strv[1] == NULL);
      CHECK (plan->ops[0].args[2].u == 0 && plan->ops[0].args[2].strv[0] == NULL);
    }
  berth_plan_free (plan);
  free (buf);
}

static const struct berth_op *
find_op (const struct berth_plan *plan, uint16_t opcode)
{
  for (size_t i = 0; i < plan->nops; i++)
    if (plan->ops[i].opcode == opcode)
      return &plan->ops[i];
  return NULL;
}

static void
test_full (void)
{
  size_t len;
  unsigned char *buf = read_file ("tests/golden/full.bin", &len);
  CHECK (buf != NULL);
  if (buf == NULL)
    return;
  struct berth_plan *plan = NULL;
  int status;
  CHECK (decode (buf, len, &plan, &status) == 0);
  if (plan == NULL)
    {
      free (buf);
      return;
    }
  CHECK (plan->njoins == 2);
  CHECK (plan->joins[0].nstype == 0x10000000);
  CHECK_STR (plan->joins[0].path, "/proc/42/ns/user");
  CHECK_STR (plan->joins[1].path, "/proc/42/ns/mnt");
  CHECK (plan->clone_flags == (0x20000000 | 0x00020000));
  CHECK (plan->nuid_maps == 1 && plan->uid_maps[0].host_id == 100000 && plan->uid_maps[0].size == 65536);
  CHECK (plan->ngid_maps == 1 && plan->gid_maps[0].host_id == 200000);
  CHECK (plan->ncgroup_procs == 1);
  CHECK_STR (plan->cgroup_procs[0], "/sys/fs/cgroup/memory/berth/c1/cgroup.procs");
  CHECK_STR (plan->exec_fifo, "/run/berth/c1/exec.fifo");
  /* Every op of plan.ts, in the order the TS test lists them. */
  CHECK (plan->nops == BERTH_OP_LAST - BERTH_OP_FIRST + 1);
  CHECK (plan->ops[0].opcode == BERTH_OP_UNSHARE && plan->ops[0].args[0].u == 0x02000000);

  const struct berth_op *op = find_op (plan, BERTH_OP_MOUNT);
  CHECK (op != NULL && op->nargs == 6);
  if (op)
    {
      CHECK_STR (op->args[0].s, "proc");
      CHECK_STR (op->args[1].s, "/rootfs/proc");
      CHECK (op->args[3].u == 14 && op->args[4].len == 0 && op->args[5].u == 1);
    }
  op = find_op (plan, BERTH_OP_MKNOD);
  CHECK (op != NULL && op->args[1].u == 020666 && op->args[2].u == 1 && op->args[3].u == 3);
  op = find_op (plan, BERTH_OP_WRITE_FILE);
  CHECK (op != NULL && op->args[1].type == BERTH_ARG_BYTES && op->args[1].len == 1 && op->args[1].s[0] == '1');
  op = find_op (plan, BERTH_OP_SETHOSTNAME);
  CHECK (op != NULL && op->args[0].len == 6); /* "héllo" is 6 bytes of UTF-8 */
  op = find_op (plan, BERTH_OP_RLIMIT);
  CHECK (op != NULL && op->args[0].u == 7 && op->args[1].u == 1024 && op->args[2].u == UINT64_MAX);
  op = find_op (plan, BERTH_OP_RUN_HOOK);
  CHECK (op != NULL && op->args[1].u == 2 && op->args[3].u == 5);
  if (op)
    {
      CHECK_STR (op->args[1].strv[1], "a b");
      CHECK_STR (op->args[2].strv[0], "X=1");
    }
  op = find_op (plan, BERTH_OP_SET_USER);
  CHECK (op != NULL && op->args[0].u == 1000 && op->args[2].type == BERTH_ARG_U64V && op->args[2].u == 3);
  if (op)
    CHECK (op->args[2].uv[0] == 10 && op->args[2].uv[2] == 30);
  op = find_op (plan, BERTH_OP_CAPABILITIES);
  CHECK (op != NULL && op->args[0].u == 0xa80425fbULL && op->args[4].u == (1ULL << 40));
  op = find_op (plan, BERTH_OP_SECCOMP);
  CHECK (op != NULL && op->args[0].len == 8 && (unsigned char) op->args[0].s[6] == 0xff && op->args[1].u == 1);
  op = find_op (plan, BERTH_OP_SETUP_CONSOLE);
  CHECK (op != NULL && op->args[0].u == 24 && op->args[1].u == 80);
  CHECK (plan->ops[plan->nops - 1].opcode == BERTH_OP_EXEC);
  CHECK_STR (plan->ops[plan->nops - 1].args[2].strv[1], "TERM=xterm");
  CHECK_STR (berth_opcode_name (BERTH_OP_PIVOT_ROOT), "pivot-root");
  berth_plan_free (plan);

  /* Every proper prefix is truncated input. */
  for (size_t n = 0; n < len; n++)
    {
      struct berth_plan *p = NULL;
      CHECK (decode (buf, n, &p, &status) < 0 && p == NULL);
    }
  free (buf);
}

/* Byte-level builders for hand-made bad plans. */
struct buf
{
  unsigned char b[512];
  size_t n;
};

static void
put (struct buf *b, uint64_t v, int width)
{
  for (int i = 0; i < width; i++)
    b->b[b->n++] = (unsigned char) (v >> (8 * i));
}

static void
header (struct buf *b, uint32_t nrecords)
{
  b->n = 0;
  put (b, BERTH_PLAN_MAGIC, 4);
  put (b, BERTH_PLAN_VERSION, 2);
  put (b, 0, 2);
  put (b, nrecords, 4);
}

/* exec "/x" with empty argv and env: 3 + 2 wire args. */
static void
exec_record (struct buf *b)
{
  put (b, BERTH_OP_EXEC, 2);
  put (b, 3, 2);
  put (b, 1 + 4 + 2 + 2 * 9, 4);
  put (b, BERTH_ARG_STR, 1);
  put (b, 2, 4);
  b->b[b->n++] = '/';
  b->b[b->n++] = 'x';
  put (b, BERTH_ARG_U64, 1);
  put (b, 0, 8);
  put (b, BERTH_ARG_U64, 1);
  put (b, 0, 8);
}

static int
rejects (struct buf *b, int want_status)
{
  struct berth_plan *p = NULL;
  int status;
  int r = decode (b->b, b->n, &p, &status);
  if (r == 0)
    berth_plan_free (p);
  return r < 0 && p == NULL && status == want_status;
}

static void
test_bad (void)
{
  struct buf b;
  struct berth_plan *p = NULL;
  int status;

  header (&b, 1);
  exec_record (&b);
  CHECK (decode (b.b, b.n, &p, &status) == 0); /* the base case is valid */
  berth_plan_free (p);

  b.b[0] ^= 1;
  CHECK (rejects (&b, EINVAL)); /* magic */
  b.b[0] ^= 1;
  b.b[4] = 2;
  CHECK (rejects (&b, EINVAL)); /* version */
  b.b[4] = 1;
  b.b[6] = 1;
  CHECK (rejects (&b, EINVAL)); /* reserved */
  b.b[6] = 0;

  header (&b, 2);
  exec_record (&b);
  CHECK (rejects (&b, EINVAL)); /* more records declared than present */

  header (&b, 0x7fffffff);
  exec_record (&b);
  CHECK (rejects (&b, E2BIG)); /* record count that cannot fit */

  header (&b, 1);
  exec_record (&b);
  b.b[b.n++] = 0;
  CHECK (rejects (&b, EINVAL)); /* trailing byte */

  header (&b, 1);
  exec_record (&b);
  b.b[12] = 99;
  CHECK (rejects (&b, EINVAL)); /* unknown opcode */

  header (&b, 1);
  exec_record (&b);
  b.b[14] = 4;
  CHECK (rejects (&b, EINVAL)); /* nargs disagrees with the args */

  header (&b, 1);
  exec_record (&b);
  b.b[16] += 1;
  CHECK (rejects (&b, EINVAL)); /* record len overruns the input */

  header (&b, 1);
  exec_record (&b);
  b.b[21] = 0xff;
  b.b[22] = 0xff;
  CHECK (rejects (&b, EINVAL)); /* string length overruns its record */

  header (&b, 1);
  exec_record (&b);
  b.b[20] = BERTH_ARG_U64;
  CHECK (rejects (&b, EINVAL)); /* wrong arg type */

  header (&b, 1);
  exec_record (&b);
  b.b[25] = '\0';
  CHECK (rejects (&b, EINVAL)); /* NUL inside a string */

  header (&b, 1);
  exec_record (&b);
  b.b[28] = 0xff; /* argv count of 255 with no elements behind it */
  CHECK (rejects (&b, E2BIG));

  /* umask with a value over 32 bits */
  header (&b, 2);
  put (&b, BERTH_OP_UMASK, 2);
  put (&b, 1, 2);
  put (&b, 9, 4);
  put (&b, BERTH_ARG_U64, 1);
  put (&b, 1ULL << 32, 8);
  exec_record (&b);
  CHECK (rejects (&b, EINVAL));

  /* no exec */
  header (&b, 1);
  put (&b, BERTH_OP_WAIT_START, 2);
  put (&b, 0, 2);
  put (&b, 0, 4);
  CHECK (rejects (&b, EINVAL));

  /* an op after exec */
  header (&b, 2);
  exec_record (&b);
  put (&b, BERTH_OP_WAIT_START, 2);
  put (&b, 0, 2);
  put (&b, 0, 4);
  CHECK (rejects (&b, EINVAL));

  /* a parent record after the first op */
  header (&b, 3);
  put (&b, BERTH_OP_WAIT_START, 2);
  put (&b, 0, 2);
  put (&b, 0, 4);
  put (&b, BERTH_REC_CLONE_FLAGS, 2);
  put (&b, 1, 2);
  put (&b, 9, 4);
  put (&b, BERTH_ARG_U64, 1);
  put (&b, 0, 8);
  exec_record (&b);
  CHECK (rejects (&b, EINVAL));

  /* clone flags twice */
  header (&b, 3);
  for (int i = 0; i < 2; i++)
    {
      put (&b, BERTH_REC_CLONE_FLAGS, 2);
      put (&b, 1, 2);
      put (&b, 9, 4);
      put (&b, BERTH_ARG_U64, 1);
      put (&b, 0, 8);
    }
  exec_record (&b);
  CHECK (rejects (&b, EINVAL));

  /* oversized input is refused before it is read */
  berth_error_t err = NULL;
  CHECK (berth_plan_decode (b.b, BERTH_PLAN_MAX_SIZE + 1, &p, &err) < 0 && err != NULL && err->status == E2BIG);
  berth_error_release (&err);
}

int
main (void)
{
  test_minimal ();
  test_full ();
  test_bad ();
  TEST_EXIT ();
}
