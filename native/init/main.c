/* berth-init: read a plan on fd 3, set up the parent-side state (namespaces joined, exec
 * fifo, clone, id maps, cgroups), report the child's pid and release it to run the ops.
 * The protocol is described in native/README.md. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "execute.h"
#include "init.h"
#include "io.h"
#include "plan.h"

#define SYNC_FD 3
/* The console socket the parent connected before joining namespaces, or -1. */
static int early_console = -1;


static void __attribute__ ((noreturn))
fail (long op, const char *name, berth_error_t *err)
{
  berth_report_error (SYNC_FD, op, name, *err);
  berth_error_release (err);
  _exit (1);
}

/* The child: wait for the parent's "go", become root of a user namespace it is in, then
 * run the ops. Never returns. */
static void __attribute__ ((noreturn))
run_child (const struct berth_plan *plan, int parent_fd, int wait_mode, int in_userns)
{
  berth_error_t err = NULL;
  char go;
  if (berth_read_all (parent_fd, &go, 1, &err) < 0)
    _exit (1); /* the parent failed (and reported) or died */
  if (in_userns)
    {
      /* Until now our ids are unmapped in the namespace (the overflow id) and files we
       * create would fail with EOVERFLOW; become its root as runc's nsexec does. EINVAL:
       * the map has no 0, leave the ids to set-user. */
      if (setresgid (0, 0, 0) < 0 && errno != EINVAL)
        {
          berth_make_error (&err, errno, "setresgid 0 in the user namespace");
          fail (-1, "init", &err);
        }
      if (setresuid (0, 0, 0) < 0 && errno != EINVAL)
        {
          berth_make_error (&err, errno, "setresuid 0 in the user namespace");
          fail (-1, "init", &err);
        }
    }
  /* Its own session, as runc's nsexec does: no share in the caller's controlling terminal
   * and its job-control signals. */
  if (setsid () < 0)
    {
      berth_make_error (&err, errno, "setsid");
      fail (-1, "init", &err);
    }
  struct berth_exec_ctx ctx = {
    .sync_fd = SYNC_FD, .parent_fd = parent_fd, .wait_mode = wait_mode, .fifo_fd = -1,
    .console_fd = early_console, .console_early = early_console >= 0,
  };
  size_t failed = 0;
  berth_execute (plan, &ctx, &failed, &err);
  const char *name = failed < plan->nops ? berth_opcode_name (plan->ops[failed].opcode) : "exec";
  fail ((long) failed, name, &err);
}

static int
read_plan (struct berth_plan **plan, berth_error_t *err)
{
  uint8_t *buf;
  size_t len;
  if (berth_read_msg (SYNC_FD, BERTH_PLAN_MAX_SIZE, &buf, &len, err) < 0)
    return berth_error_wrap (err, "read plan");
  int r = berth_plan_decode (buf, len, plan, err);
  free (buf);
  return r;
}

static int
write_pid (int fd, const char *path, pid_t pid, berth_error_t *err)
{
  char buf[32];
  int n = snprintf (buf, sizeof buf, "%d", pid);
  if (write (fd, buf, (size_t) n) != n)
    return berth_make_error_path (err, errno, path, "write pid to `%s`", path);
  return 0;
}

static void __attribute__ ((noreturn))
fail_with_child (pid_t pid, const char *name, berth_error_t *err)
{
  kill (pid, SIGKILL);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  fail (-1, name, err);
}

/* --decode: read u32le-framed plans from stdin until EOF and print one JSON line per plan
 * (`{"type":"decoded","ops":N}` or the error line), so tests can hold the TS decoder
 * against this one. Executes nothing. */
static int
decode_only (void)
{
  for (;;)
    {
      berth_error_t err = NULL;
      uint8_t *buf;
      size_t len;
      if (berth_read_msg (STDIN_FILENO, BERTH_PLAN_MAX_SIZE, &buf, &len, &err) < 0)
        {
          int eof = err->status == EPIPE;
          berth_error_release (&err);
          return eof ? 0 : 1;
        }
      struct berth_plan *plan = NULL;
      if (berth_plan_decode (buf, len, &plan, &err) < 0)
        {
          berth_report_error (STDOUT_FILENO, -1, "decode", err);
          berth_error_release (&err);
        }
      else
        {
          printf ("{\"type\":\"decoded\",\"ops\":%zu}\n", plan->nops);
          fflush (stdout);
          berth_plan_free (plan);
        }
      free (buf);
    }
}

int
main (int argc, char **argv)
{
  berth_error_t err = NULL;
  int wait_mode;
  if (argc == 2 && strcmp (argv[1], "--decode") == 0)
    return decode_only ();
  if (argc == 2 && strcmp (argv[1], "--wait") == 0)
    wait_mode = 1;
  else if (argc == 2 && strcmp (argv[1], "--detach") == 0)
    wait_mode = 0;
  else
    {
      fprintf (stderr, "usage: berth-init --detach|--wait (plan on fd 3), or --decode (plans on stdin)\n");
      return 2;
    }
  /* fd 3 must not leak into the container: a successful execve closes it, which is how
   * the runtime learns that exec succeeded. */
  int fl = fcntl (SYNC_FD, F_GETFL);
  /* Our end of the socketpair is ours alone: make it blocking whatever the caller gave. */
  if (fcntl (SYNC_FD, F_SETFD, FD_CLOEXEC) < 0 || fl < 0 || fcntl (SYNC_FD, F_SETFL, fl & ~O_NONBLOCK) < 0)
    {
      fprintf (stderr, "berth-init: fd 3: %s\n", strerror (errno));
      return 2;
    }

  struct berth_plan *plan = NULL;
  if (read_plan (&plan, &err) < 0)
    fail (-1, "decode", &err);

  /* Open everything named by a host path before setns may change the mount namespace. */
  int *cgroup_fds = calloc (plan->ncgroup_procs + 1, sizeof (int));
  int *ns_fds = calloc (plan->njoins + 1, sizeof (int));
  if (cgroup_fds == NULL || ns_fds == NULL)
    {
      berth_make_error (&err, ENOMEM, "calloc");
      fail (-1, "init", &err);
    }
  for (size_t i = 0; i < plan->ncgroup_procs; i++)
    if ((cgroup_fds[i] = open (plan->cgroup_procs[i], O_WRONLY | O_CLOEXEC)) < 0)
      {
        berth_make_error_path (&err, errno, plan->cgroup_procs[i], "open `%s`", plan->cgroup_procs[i]);
        fail (-1, "cgroup-procs", &err);
      }
  if (plan->exec_fifo != NULL)
    {
      if (mkfifo (plan->exec_fifo, 0622) < 0)
        {
          berth_make_error_path (&err, errno, plan->exec_fifo, "mkfifo `%s`", plan->exec_fifo);
          fail (-1, "exec-fifo", &err);
        }
      /* mkfifo's mode is filtered by the umask; the fifo must be writable by any user. */
      if (chmod (plan->exec_fifo, 0622) < 0)
        {
          berth_make_error_path (&err, errno, plan->exec_fifo, "chmod `%s`", plan->exec_fifo);
          fail (-1, "exec-fifo", &err);
        }
    }
  /* A console socket is a host path: connect it before setns can move us into the
   * container's mount namespace (exec -t --console-socket), as the cgroup files above. */
  if (plan->njoins > 0)
    for (size_t i = 0; i < plan->nops; i++)
      if (plan->ops[i].opcode == BERTH_OP_CONNECT_CONSOLE)
        {
          struct berth_exec_ctx pre = { .sync_fd = -1, .parent_fd = -1, .fifo_fd = -1, .console_fd = -1 };
          if (berth_op_connect_console (&plan->ops[i], &pre, &err) < 0)
            fail ((long) i, "connect-console-socket", &err);
          if (early_console >= 0)
            close (early_console);
          early_console = pre.console_fd;
        }
  int in_userns = (plan->clone_flags & CLONE_NEWUSER) != 0;
  for (size_t i = 0; i < plan->njoins; i++)
    if (plan->joins[i].nstype == CLONE_NEWUSER)
      in_userns = 1;
  /* Until execve, /proc/<pid>/exe of the child is this binary on the host; a process
   * already in a joined namespace must not be able to open it (CVE-2019-5736). execve
   * makes the container's program dumpable again. In a user namespace the child's
   * /proc files would then belong to the host's root, out of reach of the namespace's
   * root, so there the protection is the user namespace itself. */
  if (!in_userns && prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    {
      berth_make_error (&err, errno, "prctl PR_SET_DUMPABLE");
      fail (-1, "init", &err);
    }
  for (size_t i = 0; i < plan->njoins; i++)
    if ((ns_fds[i] = open (plan->joins[i].path, O_RDONLY | O_CLOEXEC)) < 0)
      {
        berth_make_error_path (&err, errno, plan->joins[i].path, "open `%s`", plan->joins[i].path);
        fail (-1, "join-namespace", &err);
      }
  for (size_t i = 0; i < plan->njoins; i++)
    {
      if (setns (ns_fds[i], (int) plan->joins[i].nstype) < 0)
        {
          berth_make_error_path (&err, errno, plan->joins[i].path, "setns `%s`", plan->joins[i].path);
          fail (-1, "join-namespace", &err);
        }
      close (ns_fds[i]);
    }

  sigset_t saved_mask;
  if (wait_mode)
    berth_wait_prepare (&saved_mask);
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    {
      berth_make_error (&err, errno, "socketpair");
      fail (-1, "init", &err);
    }
  /* A raw clone with no stack behaves like fork(2) but takes the namespace flags. */
  pid_t pid = (pid_t) syscall (SYS_clone, (unsigned long) plan->clone_flags | SIGCHLD, NULL, NULL, NULL, 0);
  if (pid < 0)
    {
      berth_make_error (&err, errno, "clone 0x%llx", (unsigned long long) plan->clone_flags);
      fail (-1, "clone", &err);
    }
  if (pid == 0)
    {
      if (wait_mode)
        berth_wait_child_reset (&saved_mask);
      close (sv[0]);
      run_child (plan, sv[1], wait_mode, in_userns);
    }
  close (sv[1]);
  if (wait_mode)
    berth_wait_set_child (pid, &saved_mask);

  if ((plan->clone_flags & CLONE_NEWUSER) && berth_write_id_maps (pid, plan, &err) < 0)
    fail_with_child (pid, "id-mappings", &err);
  for (size_t i = 0; i < plan->ncgroup_procs; i++)
    {
      if (write_pid (cgroup_fds[i], plan->cgroup_procs[i], pid, &err) < 0)
        fail_with_child (pid, "cgroup-procs", &err);
      close (cgroup_fds[i]);
    }
  char line[64];
  snprintf (line, sizeof line, "{\"type\":\"pid\",\"pid\":%d}\n", pid);
  if (berth_write_all (SYNC_FD, line, strlen (line), &err) < 0)
    fail_with_child (pid, "report-pid", &err);
  if (berth_write_all (sv[0], "g", 1, &err) < 0)
    fail_with_child (pid, "start-child", &err);

  if (!wait_mode)
    return 0;

  /* The child keeps its own copy of fd 3; ours must go so that its exec shows as EOF. */
  close (SYNC_FD);
  int relay = 0, console_socket = 0;
  for (size_t i = 0; i < plan->nops; i++)
    {
      if (plan->ops[i].opcode == BERTH_OP_CONNECT_CONSOLE)
        console_socket = 1;
      if (plan->ops[i].opcode == BERTH_OP_SETUP_CONSOLE)
        relay = 1;
    }
  int status = berth_wait_child (pid, sv[0], relay && !console_socket);
  berth_plan_free (plan);
  return status;
}
