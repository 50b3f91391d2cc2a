/* Ops that change the mount table: mount, bind-device, mask-path, readonly-path,
 * pivot-root, chroot. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "execute.h"

static const char *
nullable (const char *s)
{
  return s[0] == '\0' ? NULL : s;
}

int
berth_op_mount (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  (void) ctx;
  const char *source = op->args[0].s, *target = op->args[1].s, *fstype = op->args[2].s, *data = op->args[4].s;
  unsigned long flags = (unsigned long) op->args[3].u;
  if (mount (nullable (source), target, nullable (fstype), flags, nullable (data)) < 0)
    {
      if (errno == ENOENT && op->args[5].u != 0)
        return 0;
      return berth_make_error_path (err, errno, target, "mount `%s` to `%s`", source, target);
    }
  return 0;
}

int
berth_op_bind_device (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  (void) ctx;
  const char *source = op->args[0].s, *path = op->args[1].s;
  /* The mount target: created if missing, never opened if present (see touch). */
  cleanup_close int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 && errno != EEXIST)
    return berth_make_error_path (err, errno, path, "create `%s`", path);
  if (mount (source, path, "bind", MS_BIND, NULL) < 0)
    return berth_make_error_path (err, errno, path, "bind device `%s` to `%s`", source, path);
  return 0;
}

int
berth_op_mask_path (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  (void) ctx;
  const char *path = op->args[0].s;
  struct stat st;
  if (stat (path, &st) < 0)
    {
      if (errno == ENOENT)
        return 0;
      return berth_make_error_path (err, errno, path, "stat `%s`", path);
    }
  if (S_ISDIR (st.st_mode))
    {
      if (mount ("tmpfs", path, "tmpfs", MS_RDONLY, NULL) < 0)
        return berth_make_error_path (err, errno, path, "mount tmpfs to `%s`", path);
      return 0;
    }
  if (mount ("/dev/null", path, NULL, MS_BIND, NULL) < 0)
    return berth_make_error_path (err, errno, path, "bind `/dev/null` to `%s`", path);
  return 0;
}

int
berth_op_readonly_path (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  (void) ctx;
  const char *path = op->args[0].s;
  if (mount (path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
    {
      if (errno == ENOENT)
        return 0;
      return berth_make_error_path (err, errno, path, "bind `%s` to itself", path);
    }
  /* Keep the flags the kernel may have locked (nosuid, nodev, noexec): a remount that
   * drops them fails with EPERM inside a user namespace. */
  struct statvfs sv;
  if (statvfs (path, &sv) < 0)
    return berth_make_error_path (err, errno, path, "statvfs `%s`", path);
  unsigned long keep = 0;
  if (sv.f_flag & ST_NOSUID)
    keep |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV)
    keep |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC)
    keep |= MS_NOEXEC;
  if (mount (path, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | keep, NULL) < 0)
    return berth_make_error_path (err, errno, path, "remount `%s` read-only", path);
  return 0;
}

/* runc's pivotRoot: pivot_root(".", ".") stacks the old root on the new one, so no
 * put_old directory is needed; the old root is then made rslave (so the detach does not
 * propagate to the host) and lazily unmounted. */
int
berth_op_pivot_root (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  (void) ctx;
  const char *root = op->args[0].s;
  cleanup_close int oldroot = open ("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0)
    return berth_make_error_path (err, errno, "/", "open `/`");
  cleanup_close int newroot = open (root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (newroot < 0)
    return berth_make_error_path (err, errno, root, "open `%s`", root);
  if (fchdir (newroot) < 0)
    return berth_make_error_path (err, errno, root, "fchdir `%s`", root);
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return berth_make_error_path (err, errno, root, "pivot_root `%s`", root);
  if (fchdir (oldroot) < 0)
    return berth_make_error (err, errno, "fchdir to the old root");
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return berth_make_error (err, errno, "make the old root rslave");
  if (umount2 (".", MNT_DETACH) < 0)
    return berth_make_error (err, errno, "unmount the old root");
  if (chdir ("/") < 0)
    return berth_make_error_path (err, errno, "/", "chdir `/`");
  return 0;
}

int
berth_op_chroot (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  (void) ctx;
  const char *root = op->args[0].s;
  if (chroot (root) < 0)
    return berth_make_error_path (err, errno, root, "chroot `%s`", root);
  if (chdir ("/") < 0)
    return berth_make_error_path (err, errno, "/", "chdir `/`");
  return 0;
}
