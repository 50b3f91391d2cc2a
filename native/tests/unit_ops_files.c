/* File ops that need no privileges, run in a temp dir: mkdir -p, touch, symlink,
 * write-file, chdir, and exec's PATH lookup error. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "execute.h"
#include "test.h"

static char dir[] = "/tmp/berth-unit-ops-XXXXXX";

static struct berth_arg
str (const char *s)
{
  return (struct berth_arg){ .type = BERTH_ARG_STR, .s = (char *) s, .len = (uint32_t) strlen (s) };
}

static struct berth_arg
u64 (uint64_t v)
{
  return (struct berth_arg){ .type = BERTH_ARG_U64, .u = v };
}

static int
run (berth_op_fn fn, uint16_t opcode, struct berth_arg *args, size_t n, int *status)
{
  struct berth_op op = { opcode, n, args };
  struct berth_exec_ctx ctx = { .sync_fd = -1, .parent_fd = -1, .fifo_fd = -1, .console_fd = -1 };
  berth_error_t err = NULL;
  int r = fn (&op, &ctx, &err);
  *status = err ? err->status : 0;
  berth_error_release (&err);
  return r;
}

static char *
at (const char *rel)
{
  static char buf[4][256];
  static int i;
  i = (i + 1) % 4;
  snprintf (buf[i], sizeof buf[i], "%s/%s", dir, rel);
  return buf[i];
}

int
main (void)
{
  int status;
  struct stat st;
  if (mkdtemp (dir) == NULL)
    return 77;

  struct berth_arg mk[] = { str (at ("a/b/c")), u64 (0700) };
  CHECK (run (berth_op_mkdir, BERTH_OP_MKDIR, mk, 2, &status) == 0);
  CHECK (stat (at ("a/b/c"), &st) == 0 && S_ISDIR (st.st_mode) && (st.st_mode & 0777) == 0700);
  CHECK (run (berth_op_mkdir, BERTH_OP_MKDIR, mk, 2, &status) == 0); /* idempotent */

  struct berth_arg t[] = { str (at ("a/file")), u64 (0600) };
  CHECK (run (berth_op_touch, BERTH_OP_TOUCH, t, 2, &status) == 0);
  CHECK (run (berth_op_touch, BERTH_OP_TOUCH, t, 2, &status) == 0);
  CHECK (stat (at ("a/file"), &st) == 0 && S_ISREG (st.st_mode) && st.st_size == 0);

  /* mkdir over a file is ENOTDIR; touch under a missing dir is ENOENT. */
  struct berth_arg mkf[] = { str (at ("a/file")), u64 (0755) };
  CHECK (run (berth_op_mkdir, BERTH_OP_MKDIR, mkf, 2, &status) < 0 && status == ENOTDIR);
  struct berth_arg tmiss[] = { str (at ("missing/file")), u64 (0600) };
  CHECK (run (berth_op_touch, BERTH_OP_TOUCH, tmiss, 2, &status) < 0 && status == ENOENT);

  /* touch does not create through a dangling symlink. */
  CHECK (symlink (at ("outside"), at ("a/dangling")) == 0);
  struct berth_arg tl[] = { str (at ("a/dangling")), u64 (0600) };
  CHECK (run (berth_op_touch, BERTH_OP_TOUCH, tl, 2, &status) == 0);
  CHECK (access (at ("outside"), F_OK) < 0 && errno == ENOENT);

  struct berth_arg wf[] = { str (at ("a/file")), { .type = BERTH_ARG_BYTES, .s = (char *) "x\0y", .len = 3 } };
  CHECK (run (berth_op_write_file, BERTH_OP_WRITE_FILE, wf, 2, &status) == 0);
  CHECK (stat (at ("a/file"), &st) == 0 && st.st_size == 3);
  struct berth_arg wfm[] = { str (at ("a/nofile")), { .type = BERTH_ARG_BYTES, .s = (char *) "x", .len = 1 } };
  CHECK (run (berth_op_write_file, BERTH_OP_WRITE_FILE, wfm, 2, &status) < 0 && status == ENOENT);

  struct berth_arg sl[] = { str ("file"), str (at ("a/link")) };
  CHECK (run (berth_op_symlink, BERTH_OP_SYMLINK, sl, 2, &status) == 0);
  CHECK (run (berth_op_symlink, BERTH_OP_SYMLINK, sl, 2, &status) == 0); /* EEXIST is fine */
  char target[64] = "";
  CHECK (readlink (at ("a/link"), target, sizeof target - 1) == 4 && strncmp (target, "file", 4) == 0);

  char *argv[] = { (char *) "nope", NULL };
  char *env[] = { (char *) "PATH=/nonexistent:", NULL };
  struct berth_arg ex[] = { str ("berth-no-such-command"), { .type = BERTH_ARG_STRV, .u = 1, .strv = argv },
                            { .type = BERTH_ARG_STRV, .u = 1, .strv = env } };
  CHECK (run (berth_op_exec, BERTH_OP_EXEC, ex, 3, &status) < 0 && status == ENOENT);

  struct berth_arg cd[] = { str (at ("a/b")) };
  CHECK (run (berth_op_chdir, BERTH_OP_CHDIR, cd, 1, &status) == 0);
  char cwd[256];
  CHECK (getcwd (cwd, sizeof cwd) != NULL && strcmp (cwd, at ("a/b")) == 0);
  CHECK (chdir ("/") == 0);

  unlink (at ("a/link"));
  unlink (at ("a/dangling"));
  unlink (at ("a/file"));
  rmdir (at ("a/b/c"));
  rmdir (at ("a/b"));
  rmdir (at ("a"));
  CHECK (rmdir (dir) == 0);
  TEST_EXIT ();
}
