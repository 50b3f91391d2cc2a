/* Ops on credentials and privileges: set-user, capabilities, no-new-privileges, seccomp.
 *
 * Order compile.ts should emit (runc's finalizeNamespace): no-new-privileges, [seccomp
 * when no-new-privileges is off], set-user, capabilities, chdir, wait-start, [seccomp when
 * no-new-privileges is on], exec. set-user keeps the permitted set across the uid change
 * (PR_SET_KEEPCAPS); capabilities then raises the effective set from the permitted one
 * before it drops the bounding set, so it works after a change to a non-root uid. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "execute.h"

/* runc's fixStdioPermissions: stdio created outside the container (pipes, the pty slave)
 * is owned by the runtime's uid; hand it to the new uid so that the process can reopen
 * /proc/self/fd/{0,1,2} (e.g. /dev/stdout). /dev/null and stdio the uid already owns are
 * left alone, and so are the errors runc ignores (unmapped owner, read-only /dev). */
static int
fix_stdio_owner (uid_t uid, berth_error_t *err)
{
  struct stat null;
  if (stat ("/dev/null", &null) < 0)
    memset (&null, 0, sizeof null);
  for (int fd = 0; fd <= 2; fd++)
    {
      struct stat st;
      if (fstat (fd, &st) < 0)
        {
          if (errno == EBADF)
            continue;
          return berth_make_error (err, errno, "fstat fd %d", fd);
        }
      if (st.st_uid == uid || (S_ISCHR (st.st_mode) && st.st_rdev == null.st_rdev && null.st_rdev != 0))
        continue;
      if (fchown (fd, uid, (gid_t) -1) < 0 && errno != EINVAL && errno != EPERM && errno != EROFS)
        return berth_make_error (err, errno, "fchown fd %d", fd);
    }
  return 0;
}

int
berth_op_set_user (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  (void) ctx;
  uid_t uid = (uid_t) op->args[0].u;
  gid_t gid = (gid_t) op->args[1].u;
  if (fix_stdio_owner (uid, err) < 0)
    return -1;
  size_t ngroups = (size_t) op->args[2].u;
  gid_t *groups = calloc (ngroups + 1, sizeof (gid_t));
  if (groups == NULL)
    return berth_make_error (err, ENOMEM, "set-user: calloc");
  for (size_t i = 0; i < ngroups; i++)
    groups[i] = (gid_t) op->args[2].uv[i];
  int r = setgroups (ngroups, groups);
  free (groups);
  if (r < 0)
    return berth_make_error (err, errno, "setgroups");
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return berth_make_error (err, errno, "prctl PR_SET_KEEPCAPS");
  if (setresgid (gid, gid, gid) < 0)
    return berth_make_error (err, errno, "setresgid %u", gid);
  if (setresuid (uid, uid, uid) < 0)
    return berth_make_error (err, errno, "setresuid %u", uid);
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return berth_make_error (err, errno, "prctl PR_SET_KEEPCAPS");
  return 0;
}

/* The highest capability this kernel knows, probed with PR_CAPBSET_READ (which needs no
 * /proc, so it works after pivot_root). */
static int
last_cap (void)
{
  int n = 0;
  while (n < 63 && prctl (PR_CAPBSET_READ, n + 1, 0, 0, 0) >= 0)
    n++;
  return n;
}

static int
cap_set (uint64_t eff, uint64_t perm, uint64_t inh, berth_error_t *err)
{
  struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2] = {
    { (uint32_t) eff, (uint32_t) perm, (uint32_t) inh },
    { (uint32_t) (eff >> 32), (uint32_t) (perm >> 32), (uint32_t) (inh >> 32) },
  };
  if (syscall (SYS_capset, &hdr, data) < 0)
    return berth_make_error (err, errno, "capset");
  return 0;
}

static int
cap_get (uint64_t *eff, uint64_t *perm, uint64_t *inh, berth_error_t *err)
{
  struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2];
  memset (data, 0, sizeof data);
  if (syscall (SYS_capget, &hdr, data) < 0)
    return berth_make_error (err, errno, "capget");
  *eff = data[0].effective | ((uint64_t) data[1].effective << 32);
  *perm = data[0].permitted | ((uint64_t) data[1].permitted << 32);
  *inh = data[0].inheritable | ((uint64_t) data[1].inheritable << 32);
  return 0;
}

int
berth_op_capabilities (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  (void) ctx;
  int last = last_cap ();
  uint64_t known = last >= 63 ? ~0ULL : ((1ULL << (last + 1)) - 1);
  uint64_t bounding = op->args[0].u & known, effective = op->args[1].u & known;
  uint64_t permitted = op->args[2].u & known, inheritable = op->args[3].u & known;
  uint64_t ambient = op->args[4].u & known;
  uint64_t eff = 0, perm = 0, inh = 0;

  /* After set-user to a non-root uid the effective set is empty: raise it from the
   * permitted set so that CAP_SETPCAP is usable for the bounding drop. */
  if (cap_get (&eff, &perm, &inh, err) < 0 || cap_set (perm, perm, inh, err) < 0)
    return -1;
  for (int c = 0; c <= last; c++)
    if (!(bounding & (1ULL << c)) && prctl (PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
      return berth_make_error (err, errno, "prctl PR_CAPBSET_DROP %d", c);
  if (cap_set (effective, permitted, inheritable, err) < 0)
    return -1;
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
    return berth_make_error (err, errno, "prctl PR_CAP_AMBIENT_CLEAR_ALL");
  for (int c = 0; c <= last; c++)
    if ((ambient & (1ULL << c)) && prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
      return berth_make_error (err, errno, "prctl PR_CAP_AMBIENT_RAISE %d", c);
  return 0;
}

int
berth_op_no_new_privileges (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  (void) op;
  (void) ctx;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return berth_make_error (err, errno, "prctl PR_SET_NO_NEW_PRIVS");
  return 0;
}

int
berth_op_seccomp (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  (void) ctx;
  size_t len = op->args[0].len;
  unsigned int flags = (unsigned int) op->args[1].u;
  if (len == 0 || len % sizeof (struct sock_filter) != 0 || len / sizeof (struct sock_filter) > BPF_MAXINSNS)
    return berth_make_error (err, EINVAL, "seccomp: filter of %zu bytes is not a valid program", len);
  /* The decoded bytes have no alignment guarantee for struct sock_filter. */
  struct sock_filter *insns = malloc (len);
  if (insns == NULL)
    return berth_make_error (err, ENOMEM, "seccomp: malloc");
  memcpy (insns, op->args[0].s, len);
  struct sock_fprog prog = { .len = (unsigned short) (len / sizeof (struct sock_filter)), .filter = insns };
  int r;
  if (flags == 0)
    r = prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
  else
    r = (int) syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  int saved = errno;
  free (insns);
  if (r < 0)
    return berth_make_error (err, saved, "seccomp: load filter with flags 0x%x", flags);
  return 0;
}
