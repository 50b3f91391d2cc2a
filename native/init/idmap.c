/* uid_map / setgroups / gid_map of a child cloned into a new user namespace. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "init.h"
#include "io.h"

static int
write_proc_file (pid_t pid, const char *name, const char *data, berth_error_t *err)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/%s", pid, name);
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_make_error_path (err, errno, path, "open `%s`", path);
  /* The kernel wants the whole map in one write. */
  ssize_t n = write (fd, data, strlen (data));
  if (n < 0 || (size_t) n != strlen (data))
    return berth_make_error_path (err, n < 0 ? errno : EIO, path, "write `%s`", path);
  return 0;
}

static int
format_map (const struct berth_idmap *maps, size_t n, char *out, size_t outsize, berth_error_t *err)
{
  size_t off = 0;
  out[0] = '\0';
  for (size_t i = 0; i < n; i++)
    {
      int r = snprintf (out + off, outsize - off, "%u %u %u\n", maps[i].container_id, maps[i].host_id, maps[i].size);
      if (r < 0 || (size_t) r >= outsize - off)
        return berth_make_error (err, E2BIG, "format id map: too long");
      off += (size_t) r;
    }
  return 0;
}

int
berth_write_id_maps (pid_t pid, const struct berth_plan *plan, berth_error_t *err)
{
  char buf[340 * 36];
  if (plan->nuid_maps > 0)
    {
      if (format_map (plan->uid_maps, plan->nuid_maps, buf, sizeof buf, err) < 0
          || write_proc_file (pid, "uid_map", buf, err) < 0)
        return -1;
    }
  if (plan->ngid_maps > 0)
    {
      /* Only an unprivileged writer must deny setgroups before writing gid_map; a root
       * writer leaves it allowed so that set-user can set supplementary groups. */
      if (geteuid () != 0 && write_proc_file (pid, "setgroups", "deny", err) < 0)
        return -1;
      if (format_map (plan->gid_maps, plan->ngid_maps, buf, sizeof buf, err) < 0
          || write_proc_file (pid, "gid_map", buf, err) < 0)
        return -1;
    }
  return 0;
}
