/* The end of a plan: open-exec-fifo, wait-start and exec. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "execute.h"
#include "io.h"

int
berth_op_open_exec_fifo (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  const char *path = op->args[0].s;
  /* O_PATH does not block and needs no permission on the fifo; wait-start reopens it
   * through /proc/self/fd after pivot_root, when the host path is gone. */
  int fd = open (path, O_PATH | O_CLOEXEC);
  if (fd < 0)
    return berth_make_error_path (err, errno, path, "open exec fifo `%s`", path);
  if (ctx->fifo_fd >= 0)
    close (ctx->fifo_fd);
  ctx->fifo_fd = fd;
  return 0;
}

int
berth_op_wait_start (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  (void) op;
  static const char created[] = "{\"type\":\"created\"}\n";
  char path[64];
  if (ctx->fifo_fd < 0)
    return berth_make_error (err, EBADF, "wait-start: no exec fifo was opened");
  snprintf (path, sizeof path, "/proc/self/fd/%d", ctx->fifo_fd);
  if (berth_write_all (ctx->sync_fd, created, sizeof created - 1, err) < 0)
    return -1;
  /* Opening a fifo for writing blocks until `start` opens it for reading. */
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_make_error_path (err, errno, path, "open exec fifo `%s`", path);
  if (berth_write_all (fd, "0", 1, err) < 0)
    return -1;
  close (ctx->fifo_fd);
  ctx->fifo_fd = -1;
  return 0;
}

static const char *
env_path (char **env)
{
  for (; *env != NULL; env++)
    if (strncmp (*env, "PATH=", 5) == 0)
      return *env + 5;
  return NULL;
}

/* Go's exec.LookPath over PATH from the container's env: the first regular, executable
 * file wins; an empty element means the current directory. */
static int
look_path (const char *name, char **env, char *out, size_t outsize)
{
  const char *path = env_path (env);
  if (path == NULL)
    return -1;
  for (const char *p = path;;)
    {
      const char *end = strchrnul (p, ':');
      int dirlen = (int) (end - p);
      int n = dirlen == 0 ? snprintf (out, outsize, "./%s", name) : snprintf (out, outsize, "%.*s/%s", dirlen, p, name);
      struct stat st;
      if (n > 0 && (size_t) n < outsize && stat (out, &st) == 0 && S_ISREG (st.st_mode) && access (out, X_OK) == 0)
        return 0;
      if (*end == '\0')
        return -1;
      p = end + 1;
    }
}

int
berth_op_exec (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  (void) ctx;
  const char *path = op->args[0].s;
  char **argv = op->args[1].strv, **env = op->args[2].strv;
  char found[PATH_MAX];
  if (strchr (path, '/') == NULL)
    {
      if (look_path (path, env, found, sizeof found) < 0)
        {
          berth_make_error_path (err, ENOENT, path, "exec: \"%s\": executable file not found in $PATH", path);
          (*err)->complete = 1;
          return -1;
        }
      path = found;
    }
  /* runc's CloseExecFrom(3): nothing berth-init inherited beyond stdio reaches the
   * container. Kernels before 5.9 lack close_range; there only our own fds are known
   * to be close-on-exec. */
  if (syscall (SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0 && errno != ENOSYS && errno != EINVAL)
    return berth_make_error (err, errno, "close_range");
  execve (path, argv, env);
  return berth_make_error_path (err, errno, path, "exec \"%s\"", path);
}
