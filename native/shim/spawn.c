/* Create the container process from a plan: berth-init's parent steps (cgroup files, exec
 * fifo, namespace joins, clone, id maps, cgroup writes, pid report), with the shim as the
 * parent that stays (berth-init --wait) and with the shim's pipes as the child's stdio. */
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
#include "shim.h"

#define SYNC_FD 3

static void __attribute__ ((noreturn))
child_fail (int parent_fd, long op, const char *name, berth_error_t *err)
{
  berth_report_error (SYNC_FD, op, name, *err);
  /* Tell the shim this was a failed plan, not a container that ran and exited. */
  if (write (parent_fd, "E", 1) < 0)
    _exit (1);
  _exit (1);
}

/* A failure after wait-start (startContainer hooks, exec) happens to a started container:
 * it is reported on fd 3 for whoever still listens, and the container exits as runc's
 * would make a shell do: 127 when the program was not found, 126 when it cannot run. */
static void __attribute__ ((noreturn))
child_fail_started (long op, const char *name, berth_error_t *err)
{
  int status = (*err)->status == ENOENT ? 127 : (*err)->status == EACCES || (*err)->status == ENOEXEC ? 126 : 1;
  berth_report_error (SYNC_FD, op, name, *err);
  _exit (status);
}

static void
child_stdio (int parent_fd, const struct shim_stdio *io)
{
  berth_error_t err = NULL;
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0)
    {
      berth_make_error_path (&err, errno, "/dev/null", "open `/dev/null`");
      child_fail (parent_fd, -1, "init", &err);
    }
  int fds[3] = { io->in, io->out, io->err };
  for (int i = 0; i < 3; i++)
    if (dup2 (fds[i] >= 0 ? fds[i] : null, i) < 0)
      {
        berth_make_error (&err, errno, "dup2 stdio onto fd %d", i);
        child_fail (parent_fd, -1, "init", &err);
      }
  close (null);
}

/* The child: the shim's state back to defaults, wait for "go", then berth-init's child. */
static void __attribute__ ((noreturn))
run_child (const struct berth_plan *plan, const struct shim_stdio *io, int parent_fd, int in_userns, int terminal)
{
  berth_error_t err = NULL;
  sigset_t none;
  sigemptyset (&none);
  /* The shim ignores SIGPIPE and blocks SIGCHLD for its signalfd; neither must reach the
   * container (an ignored disposition survives execve). */
  signal (SIGPIPE, SIG_DFL);
  sigprocmask (SIG_SETMASK, &none, NULL);
  prctl (PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
  char go;
  if (berth_read_all (parent_fd, &go, 1, &err) < 0)
    _exit (1);
  if (in_userns)
    {
      if (setresgid (0, 0, 0) < 0 && errno != EINVAL)
        {
          berth_make_error (&err, errno, "setresgid 0 in the user namespace");
          child_fail (parent_fd, -1, "init", &err);
        }
      if (setresuid (0, 0, 0) < 0 && errno != EINVAL)
        {
          berth_make_error (&err, errno, "setresuid 0 in the user namespace");
          child_fail (parent_fd, -1, "init", &err);
        }
    }
  if (setsid () < 0)
    {
      berth_make_error (&err, errno, "setsid");
      child_fail (parent_fd, -1, "init", &err);
    }
  child_stdio (parent_fd, io);
  struct berth_exec_ctx ctx = {
    .sync_fd = SYNC_FD, .parent_fd = parent_fd, .wait_mode = terminal, .fifo_fd = -1, .console_fd = -1,
  };
  size_t failed = 0;
  berth_execute (plan, &ctx, &failed, &err);
  const char *name = failed < plan->nops ? berth_opcode_name (plan->ops[failed].opcode) : "exec";
  for (size_t i = 0; i < failed && i < plan->nops; i++)
    if (plan->ops[i].opcode == BERTH_OP_WAIT_START)
      child_fail_started ((long) failed, name, &err);
  child_fail (parent_fd, (long) failed, name, &err);
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

static int
kill_child (pid_t pid)
{
  kill (pid, SIGKILL);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  return -1;
}

int
shim_spawn (const struct berth_plan *plan, const struct shim_stdio *io, struct shim_child *child, const char **step,
            berth_error_t *err)
{
  *step = "init";
  int terminal = 0;
  for (size_t i = 0; i < plan->nops; i++)
    if (plan->ops[i].opcode == BERTH_OP_SETUP_CONSOLE)
      terminal = 1;
  int cgroup_fds[plan->ncgroup_procs + 1];
  *step = "cgroup-procs";
  for (size_t i = 0; i < plan->ncgroup_procs; i++)
    if ((cgroup_fds[i] = open (plan->cgroup_procs[i], O_WRONLY | O_CLOEXEC)) < 0)
      return berth_make_error_path (err, errno, plan->cgroup_procs[i], "open `%s`", plan->cgroup_procs[i]);
  *step = "exec-fifo";
  if (plan->exec_fifo != NULL)
    {
      if (mkfifo (plan->exec_fifo, 0622) < 0)
        return berth_make_error_path (err, errno, plan->exec_fifo, "mkfifo `%s`", plan->exec_fifo);
      if (chmod (plan->exec_fifo, 0622) < 0)
        return berth_make_error_path (err, errno, plan->exec_fifo, "chmod `%s`", plan->exec_fifo);
    }
  int in_userns = (plan->clone_flags & CLONE_NEWUSER) != 0;
  for (size_t i = 0; i < plan->njoins; i++)
    if (plan->joins[i].nstype == CLONE_NEWUSER)
      in_userns = 1;
  /* The shim never execs: it stays non-dumpable, so nothing in a joined namespace can
   * open this binary through /proc/<pid>/exe (CVE-2019-5736); the child inherits it
   * until its execve. */
  *step = "init";
  if (!in_userns && prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return berth_make_error (err, errno, "prctl PR_SET_DUMPABLE");
  /* Joined namespaces become the shim's own too: everything the shim needs later (state
   * dir, log, socket) is already open. */
  *step = "join-namespace";
  for (size_t i = 0; i < plan->njoins; i++)
    {
      int fd = open (plan->joins[i].path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return berth_make_error_path (err, errno, plan->joins[i].path, "open `%s`", plan->joins[i].path);
      if (setns (fd, (int) plan->joins[i].nstype) < 0)
        {
          int saved = errno;
          close (fd);
          return berth_make_error_path (err, saved, plan->joins[i].path, "setns `%s`", plan->joins[i].path);
        }
      close (fd);
    }
  *step = "init";
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return berth_make_error (err, errno, "socketpair");
  *step = "clone";
  pid_t pid = (pid_t) syscall (SYS_clone, (unsigned long) plan->clone_flags | SIGCHLD, NULL, NULL, NULL, 0);
  if (pid < 0)
    {
      close (sv[0]);
      close (sv[1]);
      return berth_make_error (err, errno, "clone 0x%llx", (unsigned long long) plan->clone_flags);
    }
  if (pid == 0)
    {
      close (sv[0]);
      run_child (plan, io, sv[1], in_userns, terminal);
    }
  close (sv[1]);
  child->pid = pid;
  child->parent_fd = sv[0];
  if ((plan->clone_flags & CLONE_NEWUSER) && berth_write_id_maps (pid, plan, err) < 0)
    return *step = "id-mappings", kill_child (pid);
  for (size_t i = 0; i < plan->ncgroup_procs; i++)
    {
      if (write_pid (cgroup_fds[i], plan->cgroup_procs[i], pid, err) < 0)
        return *step = "cgroup-procs", kill_child (pid);
      close (cgroup_fds[i]);
    }
  char line[64];
  snprintf (line, sizeof line, "{\"type\":\"pid\",\"pid\":%d}\n", pid);
  if (berth_write_all (SYNC_FD, line, strlen (line), err) < 0)
    return *step = "report-pid", kill_child (pid);
  if (berth_write_all (sv[0], "g", 1, err) < 0)
    return *step = "start-child", kill_child (pid);
  return 0;
}
