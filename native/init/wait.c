/* --wait: stay the parent of the container process, forward signals to it, relay its pty
 * when there is no console socket, and exit with its status. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "execute.h"
#include "init.h"

static volatile sig_atomic_t child_pid;
static volatile sig_atomic_t winch;

static void
forward (int sig)
{
  if (sig == SIGWINCH)
    winch = 1;
  if (child_pid > 0)
    kill ((pid_t) child_pid, sig);
}

/* After fd 3 is closed stderr is the only place left to say that something degraded. */
static void
warn (const char *what)
{
  fprintf (stderr, "berth-init: %s: %s\n", what, strerror (errno));
}

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

static int
exit_status (int status)
{
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return WEXITSTATUS (status);
}

/* Copy what is readable from `from` to `to`; returns -1 at EOF or error of `from`. */
static int
pump (int from, int to)
{
  char buf[16384];
  ssize_t n = read (from, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 0;
  if (n <= 0)
    return -1;
  for (ssize_t off = 0; off < n;)
    {
      ssize_t w = write (to, buf + off, (size_t) (n - off));
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return 0; /* nobody reads our output: drop it, keep the container running */
      off += w;
    }
  return 0;
}

static void
copy_winsize (int master)
{
  struct winsize ws;
  if (ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ioctl (master, TIOCSWINSZ, &ws) < 0)
    warn ("ioctl TIOCSWINSZ");
}

static int
relay_pty (pid_t child, int master)
{
  struct termios saved;
  int raw = tcgetattr (STDIN_FILENO, &saved) == 0;
  if (raw)
    {
      struct termios t = saved;
      cfmakeraw (&t);
      if (tcsetattr (STDIN_FILENO, TCSANOW, &t) < 0)
        warn ("tcsetattr raw");
      copy_winsize (master);
    }
  int stdin_open = 1, status = 0;
  for (;;)
    {
      if (winch && raw)
        copy_winsize (master);
      winch = 0;
      struct pollfd p[2] = { { .fd = master, .events = POLLIN }, { .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN } };
      int n = poll (p, 2, 100);
      if (n > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)) && pump (master, STDOUT_FILENO) < 0)
        break; /* EIO: every slave fd is closed */
      if (n > 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)) && pump (STDIN_FILENO, master) < 0)
        stdin_open = 0;
      pid_t r = waitpid (child, &status, WNOHANG);
      if (r == child)
        {
          /* Drain what the container wrote before it exited. */
          if (fcntl (master, F_SETFL, O_NONBLOCK) < 0)
            warn ("fcntl O_NONBLOCK");
          while (pump (master, STDOUT_FILENO) == 0)
            {
              struct pollfd q = { .fd = master, .events = POLLIN };
              if (poll (&q, 1, 0) <= 0)
                break;
            }
          child_pid = 0;
          break;
        }
    }
  if (raw)
    if (tcsetattr (STDIN_FILENO, TCSANOW, &saved) < 0)
      warn ("tcsetattr restore");
  close (master);
  if (child_pid == 0)
    return exit_status (status);
  while (waitpid (child, &status, 0) < 0)
    if (errno != EINTR)
      return 1;
  return exit_status (status);
}

void
berth_wait_prepare (sigset_t *saved)
{
  sigset_t block;
  sigemptyset (&block);
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
    sigaddset (&block, forwarded[i]);
  if (sigprocmask (SIG_BLOCK, &block, saved) < 0)
    warn ("sigprocmask");
  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = forward;
  sigemptyset (&sa.sa_mask);
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
    if (sigaction (forwarded[i], &sa, NULL) < 0)
      warn ("sigaction");
}

void
berth_wait_child_reset (const sigset_t *saved)
{
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
    if (signal (forwarded[i], SIG_DFL) == SIG_ERR)
      warn ("signal");
  if (sigprocmask (SIG_SETMASK, saved, NULL) < 0)
    warn ("sigprocmask");
}

void
berth_wait_set_child (pid_t child, const sigset_t *saved)
{
  child_pid = child;
  if (sigprocmask (SIG_SETMASK, saved, NULL) < 0)
    warn ("sigprocmask");
}

int
berth_wait_child (pid_t child, int parent_fd, int relay)
{
  if (relay)
    {
      berth_error_t err = NULL;
      int master = -1;
      /* The child sends the pty master, or closes its end (exec or failure) without one. */
      if (berth_recv_fd (parent_fd, &master, &err) < 0)
        berth_error_release (&err);
      if (master >= 0)
        {
          close (parent_fd);
          return relay_pty (child, master);
        }
    }
  close (parent_fd);
  int status;
  while (waitpid (child, &status, 0) < 0)
    if (errno != EINTR)
      return 1;
  return exit_status (status);
}
