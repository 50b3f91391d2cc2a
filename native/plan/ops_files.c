/* Ops that create or write files: mkdir, touch, symlink, mknod, write-file, chdir, umask. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "execute.h"
#include "io.h"

int
berth_op_mkdir (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  (void) ctx;
  const char *path = op->args[0].s;
  mode_t mode = (mode_t) op->args[1].u;
  char buf[PATH_MAX];
  size_t len = strlen (path);
  if (len >= sizeof buf)
    return berth_make_error_path (err, ENAMETOOLONG, path, "mkdir `%s`", path);
  memcpy (buf, path, len + 1);
  /* Create each missing component, left to right; existing ones are kept as they are. */
  for (char *p = buf + 1;; p++)
    {
      if (*p != '/' && *p != '\0')
        continue;
      char saved = *p;
      *p = '\0';
      if (mkdir (buf, mode) < 0 && errno != EEXIST)
        return berth_make_error_path (err, errno, buf, "mkdir `%s`", buf);
      *p = saved;
      if (saved == '\0')
        break;
    }
  struct stat st;
  if (stat (path, &st) < 0)
    return berth_make_error_path (err, errno, path, "stat `%s`", path);
  if (!S_ISDIR (st.st_mode))
    return berth_make_error_path (err, ENOTDIR, path, "mkdir `%s`", path);
  return 0;
}

int
berth_op_touch (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  (void) ctx;
  const char *path = op->args[0].s;
  /* O_EXCL: never open what is already there (a fifo would block, a device node would be
   * opened) and never create through a symlink planted in the rootfs. */
  cleanup_close int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, (mode_t) op->args[1].u);
  if (fd < 0 && errno != EEXIST)
    return berth_make_error_path (err, errno, path, "touch `%s`", path);
  return 0;
}

int
berth_op_symlink (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  (void) ctx;
  const char *target = op->args[0].s, *path = op->args[1].s;
  if (symlink (target, path) < 0 && errno != EEXIST)
    return berth_make_error_path (err, errno, path, "symlink `%s` to `%s`", path, target);
  return 0;
}

int
berth_op_mknod (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  (void) ctx;
  const char *path = op->args[0].s;
  mode_t mode = (mode_t) op->args[1].u;
  dev_t dev = makedev ((unsigned int) op->args[2].u, (unsigned int) op->args[3].u);
  if (mknod (path, mode, dev) < 0)
    return berth_make_error_path (err, errno, path, "mknod `%s`", path);
  /* The mode is exact, as with runc's Umask(0) around device creation. */
  if (chmod (path, mode & 07777) < 0)
    return berth_make_error_path (err, errno, path, "chmod `%s`", path);
  if (chown (path, (uid_t) op->args[4].u, (gid_t) op->args[5].u) < 0)
    return berth_make_error_path (err, errno, path, "chown `%s`", path);
  return 0;
}

int
berth_op_write_file (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  (void) ctx;
  const char *path = op->args[0].s;
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return berth_make_error_path (err, errno, path, "open `%s`", path);
  if (berth_write_all (fd, op->args[1].s, op->args[1].len, err) < 0)
    {
      int status = (*err)->status;
      berth_error_release (err);
      return berth_make_error_path (err, status, path, "write `%s`", path);
    }
  return 0;
}

int
berth_op_chdir (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  (void) ctx;
  const char *path = op->args[0].s;
  if (chdir (path) < 0)
    return berth_make_error_path (err, errno, path, "chdir `%s`", path);
  return 0;
}

int
berth_op_umask (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  (void) ctx;
  (void) err;
  umask ((mode_t) (op->args[0].u & 07777));
  return 0;
}
