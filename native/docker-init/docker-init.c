/* berth-docker-init: the minimal init Docker runs as pid 1 with `--init` (tini's role),
 * bind-mounted at /sbin/docker-init and given the command after "--".
 *
 * It forks the command, forwards every signal it receives to it (to its process group
 * with -g), reaps every child that ends up with it (orphans re-parent to pid 1, or to us
 * as a child subreaper when we are not pid 1), and exits with the command's status:
 * its exit code, or 128+signal when it was killed. No policy, no configuration files. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static void
fatal (const char *what)
{
  fprintf (stderr, "[docker-init] %s: %s\n", what, strerror (errno));
  exit (1);
}

static void
usage (void)
{
  fprintf (stderr, "usage: docker-init [-s] [-g] [--] COMMAND [ARG...]\n");
  exit (1);
}

int
main (int argc, char **argv)
{
  int group = 0;
  int i = 1;
  for (; i < argc; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        {
          i++;
          break;
        }
      if (strcmp (argv[i], "-s") == 0)
        continue; /* subreaper: always on when we are not pid 1 */
      if (strcmp (argv[i], "-g") == 0)
        {
          group = 1;
          continue;
        }
      if (argv[i][0] == '-')
        usage ();
      break;
    }
  if (i >= argc)
    usage ();

  if (getpid () != 1 && prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    fatal ("prctl PR_SET_CHILD_SUBREAPER");

  /* Every signal is taken synchronously; the synchronous faults stay deliverable, and the
   * terminal stop signals are ignored as a shell's job control would expect of pid 1. */
  sigset_t all, old;
  if (sigfillset (&all) < 0)
    fatal ("sigfillset");
  int keep[] = { SIGFPE, SIGILL, SIGSEGV, SIGBUS, SIGABRT, SIGTRAP, SIGSYS, SIGTTIN, SIGTTOU };
  for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++)
    if (sigdelset (&all, keep[k]) < 0)
      fatal ("sigdelset");
  if (sigprocmask (SIG_SETMASK, &all, &old) < 0)
    fatal ("sigprocmask");
  struct sigaction ign = { .sa_handler = SIG_IGN };
  struct sigaction dfl_ttin, dfl_ttou;
  if (sigaction (SIGTTIN, &ign, &dfl_ttin) < 0 || sigaction (SIGTTOU, &ign, &dfl_ttou) < 0)
    fatal ("sigaction");

  pid_t child = fork ();
  if (child < 0)
    fatal ("fork");
  if (child == 0)
    {
      if (group && setpgid (0, 0) < 0)
        fatal ("setpgid");
      if (sigaction (SIGTTIN, &dfl_ttin, NULL) < 0 || sigaction (SIGTTOU, &dfl_ttou, NULL) < 0)
        fatal ("sigaction");
      if (sigprocmask (SIG_SETMASK, &old, NULL) < 0)
        fatal ("sigprocmask");
      execvp (argv[i], argv + i);
      int e = errno;
      fprintf (stderr, "[docker-init] exec %s failed: %s\n", argv[i], strerror (e));
      _exit (e == ENOENT ? 127 : 126);
    }

  for (;;)
    {
      siginfo_t si;
      int sig = sigwaitinfo (&all, &si);
      if (sig < 0)
        {
          if (errno == EINTR)
            continue;
          fatal ("sigwaitinfo");
        }
      if (sig != SIGCHLD)
        {
          if (kill (group ? -child : child, sig) < 0 && errno != ESRCH)
            fprintf (stderr, "[docker-init] forward signal %d: %s\n", sig, strerror (errno));
          continue;
        }
      /* Reap everything that is done: the command and any orphan handed to us. */
      for (;;)
        {
          int status;
          pid_t p = waitpid (-1, &status, WNOHANG);
          if (p < 0)
            {
              if (errno == EINTR)
                continue;
              if (errno == ECHILD)
                break;
              fatal ("waitpid");
            }
          if (p == 0)
            break;
          if (p == child)
            {
              if (WIFEXITED (status))
                exit (WEXITSTATUS (status));
              exit (128 + WTERMSIG (status));
            }
        }
    }
}
