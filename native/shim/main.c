/* berth-shim: the per-container process (containerd-shim / conmon's role). It takes a plan
 * on fd 3 as berth-init does, becomes the parent of the container process, owns its stdio
 * or pty master, writes the json-file log, reaps, keeps the exit status and serves
 * attach/resize/kill/wait/state on <state-dir>/shim.sock. See native/shim/README.md. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "io.h"
#include "plan.h"
#include "shim.h"

#define SYNC_FD 3

static const char usage[] =
    "usage: berth-shim --id ID --state-dir DIR [--log-driver json-file|none] [--log-path FILE]\n"
    "                  [--log-max-size BYTES] [--log-max-file N] [--terminal] [--stdin]\n"
    "                  [--shim-log FILE] [--exit-grace SECONDS] [--oom-file CGROUP-FILE]\n"
    "                  [--log-attrs JSON-OBJECT] [--sync-socket PATH]   (plan on fd 3)\n";

static int dirfd_g = -1;

static void
remove_files (void)
{
  if (dirfd_g < 0)
    return;
  unlinkat (dirfd_g, "shim.sock", 0);
  unlinkat (dirfd_g, "shim.pid", 0);
}

static void __attribute__ ((noreturn))
fail (const char *name, berth_error_t *err)
{
  shim_diag ("error", "%s: %s", name, (*err)->msg);
  berth_report_error (SYNC_FD, -1, name, *err);
  berth_error_release (err);
  remove_files ();
  _exit (1);
}

static int
parse_args (int argc, char **argv, struct shim_config *cfg)
{
  static const struct option opts[] = {
    { "id", required_argument, NULL, 'i' },           { "state-dir", required_argument, NULL, 'd' },
    { "log-path", required_argument, NULL, 'l' },     { "log-driver", required_argument, NULL, 'D' },
    { "log-max-size", required_argument, NULL, 's' }, { "log-max-file", required_argument, NULL, 'f' },
    { "terminal", no_argument, NULL, 't' },           { "stdin", no_argument, NULL, 'I' },
    { "shim-log", required_argument, NULL, 'L' },     { "exit-grace", required_argument, NULL, 'g' },
    { "oom-file", required_argument, NULL, 'o' },     { "log-attrs", required_argument, NULL, 'a' },
    { "sync-socket", required_argument, NULL, 'S' },
    { NULL, 0, NULL, 0 },
  };
  const char *driver = "json-file";
  cfg->log_max_file = 1;
  cfg->exit_grace = 60;
  int c;
  while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1)
    switch (c)
      {
      case 'i': cfg->id = optarg; break;
      case 'd': cfg->state_dir = optarg; break;
      case 'l': cfg->log_path = optarg; break;
      case 'D': driver = optarg; break;
      case 's': cfg->log_max_size = strtoll (optarg, NULL, 10); break;
      case 'f': cfg->log_max_file = atoi (optarg); break;
      case 't': cfg->terminal = 1; break;
      case 'I': cfg->open_stdin = 1; break;
      case 'L': cfg->shim_log = optarg; break;
      case 'g': cfg->exit_grace = atoi (optarg); break;
      case 'o': cfg->oom_file = optarg; break;
      case 'S': cfg->sync_socket = optarg; break;
      case 'a':
        if (strlen (optarg) > SHIM_ATTRS_MAX || optarg[0] != '{')
          return -1;
        shim_log_set_attrs (optarg);
        break;
      default: return -1;
      }
  if (optind != argc || cfg->id == NULL || cfg->state_dir == NULL)
    return -1;
  if (strcmp (driver, "none") == 0)
    cfg->log_path = NULL;
  else if (strcmp (driver, "json-file") != 0 || cfg->log_path == NULL)
    return -1;
  return 0;
}

static int
listen_socket (const char *dir, berth_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if ((size_t) snprintf (addr.sun_path, sizeof addr.sun_path, "%s/shim.sock", dir) >= sizeof addr.sun_path)
    return berth_make_error_path (err, ENAMETOOLONG, dir, "bind `%s/shim.sock`", dir);
  /* A socket someone still answers on belongs to a live shim: never steal it. */
  int probe = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0)
    return berth_make_error (err, errno, "socket");
  int busy = connect (probe, (struct sockaddr *) &addr, sizeof addr) == 0;
  close (probe);
  if (busy)
    return berth_make_error_path (err, EADDRINUSE, addr.sun_path, "bind `%s`: another shim is serving it", addr.sun_path);
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return berth_make_error (err, errno, "socket");
  if (unlink (addr.sun_path) < 0 && errno != ENOENT)
    return berth_make_error_path (err, errno, addr.sun_path, "unlink `%s`", addr.sun_path);
  if (bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    return berth_make_error_path (err, errno, addr.sun_path, "bind `%s`", addr.sun_path);
  if (chmod (addr.sun_path, 0600) < 0)
    return berth_make_error_path (err, errno, addr.sun_path, "chmod `%s`", addr.sun_path);
  if (listen (fd, 64) < 0)
    return berth_make_error (err, errno, "listen");
  return fd;
}

static int
write_pid_file (int dirfd, berth_error_t *err)
{
  char buf[32];
  int n = snprintf (buf, sizeof buf, "%d\n", getpid ());
  int fd = openat (dirfd, "shim.pid.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return berth_make_error (err, errno, "open `shim.pid.tmp`");
  int r = berth_write_all (fd, buf, (size_t) n, err);
  close (fd);
  if (r < 0)
    return -1;
  if (renameat (dirfd, "shim.pid.tmp", dirfd, "shim.pid") < 0)
    return berth_make_error (err, errno, "rename `shim.pid`");
  return 0;
}

static int
make_pipe (int fds[2], int nonblock_end, berth_error_t *err)
{
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return berth_make_error (err, errno, "pipe2");
  if (fcntl (fds[nonblock_end], F_SETFL, O_NONBLOCK) < 0)
    return berth_make_error (err, errno, "fcntl O_NONBLOCK");
  return 0;
}

int
main (int argc, char **argv)
{
  struct shim_config cfg = { 0 };
  berth_error_t err = NULL;
  if (parse_args (argc, argv, &cfg) < 0)
    {
      fputs (usage, stderr);
      return 2;
    }
  if (cfg.shim_log != NULL)
    {
      int fd = open (cfg.shim_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
      if (fd < 0)
        {
          fprintf (stderr, "berth-shim: open `%s`: %s\n", cfg.shim_log, strerror (errno));
          return 2;
        }
      shim_diag_init (fd);
    }
  /* Started by a small process (a shell) rather than by the daemon: the daemon listens on
   * PATH and the connection is our fd 3, exactly as the socketpair it would have given. */
  if (cfg.sync_socket != NULL)
    {
      struct sockaddr_un addr = { .sun_family = AF_UNIX };
      if (strlen (cfg.sync_socket) >= sizeof addr.sun_path)
        {
          fprintf (stderr, "berth-shim: --sync-socket `%s`: %s\n", cfg.sync_socket, strerror (ENAMETOOLONG));
          return 2;
        }
      strcpy (addr.sun_path, cfg.sync_socket);
      int s = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (s < 0 || connect (s, (struct sockaddr *) &addr, sizeof addr) < 0
          || (s != SYNC_FD && dup2 (s, SYNC_FD) < 0))
        {
          fprintf (stderr, "berth-shim: connect `%s`: %s\n", cfg.sync_socket, strerror (errno));
          return 2;
        }
      if (s != SYNC_FD)
        close (s);
    }
  int fl = fcntl (SYNC_FD, F_GETFL);
  if (fl < 0 || fcntl (SYNC_FD, F_SETFD, FD_CLOEXEC) < 0 || fcntl (SYNC_FD, F_SETFL, fl & ~O_NONBLOCK) < 0)
    {
      fprintf (stderr, "berth-shim: fd 3: %s\n", strerror (errno));
      return 2;
    }
  /* Client buffers grow to a few MiB during output bursts: keep them mmapped so that free
   * gives the memory back (glibc's dynamic threshold would keep them on the heap). */
  mallopt (M_MMAP_THRESHOLD, 64 << 10);
  /* Our readers come and go; a write to a gone one must be EPIPE, not our death. */
  signal (SIGPIPE, SIG_IGN);
  /* Not in the daemon's session: its end must not be ours (the daemon spawns us detached
   * already; anyone else gets the same). */
  if (getsid (0) != getpid ())
    setsid ();

  uint8_t *buf;
  size_t len;
  struct berth_plan *plan = NULL;
  if (berth_read_msg (SYNC_FD, BERTH_PLAN_MAX_SIZE, &buf, &len, &err) < 0)
    {
      berth_error_wrap (&err, "read plan");
      fail ("decode", &err);
    }
  if (berth_plan_decode (buf, len, &plan, &err) < 0)
    fail ("decode", &err);
  free (buf);

  dirfd_g = open (cfg.state_dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dirfd_g < 0)
    {
      berth_make_error_path (&err, errno, cfg.state_dir, "open state dir `%s`", cfg.state_dir);
      fail ("shim", &err);
    }
  int listen_fd = listen_socket (cfg.state_dir, &err);
  if (listen_fd < 0)
    {
      dirfd_g = -1; /* the files there are not ours to remove */
      fail ("shim", &err);
    }
  if (write_pid_file (dirfd_g, &err) < 0)
    fail ("shim", &err);
  /* An exit status left from an earlier run of this state dir is not this container's. */
  if (unlinkat (dirfd_g, "exit.json", 0) < 0 && errno != ENOENT)
    {
      berth_make_error (&err, errno, "unlink `exit.json`");
      fail ("shim", &err);
    }
  struct shim_log log;
  if (shim_log_open (&log, cfg.log_path, cfg.log_max_size, cfg.log_max_file, &err) < 0)
    fail ("shim", &err);

  /* Pipes for the container's stdio; with a terminal the pty master arrives later. */
  int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 };
  struct shim_stdio io = { -1, -1, -1 };
  if (!cfg.terminal)
    {
      if (make_pipe (out, 0, &err) < 0 || make_pipe (errp, 0, &err) < 0)
        fail ("shim", &err);
      if (cfg.open_stdin && make_pipe (in, 1, &err) < 0)
        fail ("shim", &err);
      io = (struct shim_stdio) { in[0], out[1], errp[1] };
      /* Room for a burst of output while we are busy (64 KiB by default): fewer blocked
       * writes in the container and bigger reads here. Best effort (pipe-max-size). */
      if (fcntl (out[0], F_SETPIPE_SZ, 1 << 20) < 0 || fcntl (errp[0], F_SETPIPE_SZ, 1 << 20) < 0)
        shim_diag ("warning", "F_SETPIPE_SZ: %s", strerror (errno));
    }

  /* Orphans of the container's session are ours to reap, not pid 1's. */
  if (prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    {
      berth_make_error (&err, errno, "prctl PR_SET_CHILD_SUBREAPER");
      fail ("shim", &err);
    }
  /* SIGCHLD goes to a signalfd; block it before the child exists so none is lost. */
  sigset_t mask;
  sigemptyset (&mask);
  sigaddset (&mask, SIGCHLD);
  if (sigprocmask (SIG_BLOCK, &mask, NULL) < 0)
    {
      berth_make_error (&err, errno, "sigprocmask");
      fail ("shim", &err);
    }

  struct shim_child child = { .pid = -1, .parent_fd = -1 };
  const char *step = "init";
  if (shim_spawn (plan, &io, &child, &step, &err) < 0)
    fail (step, &err);
  /* The child's ends: ours must go, or the container's output never ends. */
  int child_ends[3] = { in[0], out[1], errp[1] };
  for (int i = 0; i < 3; i++)
    if (child_ends[i] >= 0)
      close (child_ends[i]);
  /* The child keeps its own fd 3 until execve; ours goes now so that the caller sees EOF
   * at exec, and a daemon that is gone later cannot hurt us. */
  close (SYNC_FD);
  berth_plan_free (plan);
  shim_diag ("info", "container %s: pid %d", cfg.id, child.pid);

  int status = shim_serve (&cfg, dirfd_g, listen_fd, &child, out[0], errp[0], in[1], &log);
  remove_files ();
  return status;
}
