/* Runtime round trips inside the plan: sync (hand control to the runtime and receive the
 * state) and run-hook (fork/exec a hook with that state on stdin). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "execute.h"
#include "io.h"

#define STATE_MAX (16u << 20)

int
berth_op_sync (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  char line[4096] = "{\"type\":\"hook\",\"phase\":\"";
  berth_json_escape (line, sizeof line - 8, op->args[0].s);
  strcat (line, "\"}\n");
  if (berth_write_all (ctx->sync_fd, line, strlen (line), err) < 0)
    return -1;
  uint8_t *state;
  size_t len;
  if (berth_read_msg (ctx->sync_fd, STATE_MAX, &state, &len, err) < 0)
    return berth_error_wrap (err, "sync `%s`", op->args[0].s);
  free (ctx->state);
  ctx->state = state;
  ctx->state_len = len;
  return 0;
}

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
berth_op_run_hook (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  const char *path = op->args[0].s;
  char **argv = op->args[1].strv, **env = op->args[2].strv;
  long long timeout_ms = (long long) op->args[3].u * 1000;
  int sv[2];
  /* A socketpair, not a pipe, so a hook that exits without reading stdin costs an EPIPE
   * (MSG_NOSIGNAL) rather than a SIGPIPE. */
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return berth_make_error (err, errno, "socketpair");
  pid_t pid = fork ();
  if (pid < 0)
    {
      int saved = errno;
      close (sv[0]);
      close (sv[1]);
      return berth_make_error (err, saved, "fork");
    }
  if (pid == 0)
    {
      if (dup2 (sv[1], 0) < 0)
        _exit (127);
      /* As for exec: only stdio reaches the hook (best effort on kernels before 5.9). */
      if (syscall (SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0 && errno != ENOSYS && errno != EINVAL)
        _exit (127);
      execve (path, argv[0] != NULL ? argv : (char *[]){ (char *) path, NULL }, env);
      fprintf (stderr, "run-hook: exec \"%s\": %s\n", path, strerror (errno));
      _exit (127);
    }
  close (sv[1]);
  cleanup_close int w = sv[0];
  size_t off = 0;
  long long deadline = timeout_ms > 0 ? now_ms () + timeout_ms : 0;
  int status;
  for (;;)
    {
      pid_t r = waitpid (pid, &status, WNOHANG);
      if (r < 0 && errno != EINTR)
        return berth_make_error (err, errno, "waitpid hook `%s`", path);
      if (r == pid)
        break;
      if (deadline && now_ms () >= deadline)
        {
          kill (pid, SIGKILL);
          while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
            ;
          return berth_make_error_path (err, ETIMEDOUT, path, "run-hook `%s`: timed out after %llu seconds", path,
                                        (unsigned long long) op->args[3].u);
        }
      if (w >= 0 && off < ctx->state_len)
        {
          struct pollfd p = { .fd = w, .events = POLLOUT };
          if (poll (&p, 1, 10) > 0)
            {
              ssize_t n = send (w, ctx->state + off, ctx->state_len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
              if (n > 0)
                off += (size_t) n;
              else if (n < 0 && errno != EAGAIN && errno != EINTR)
                off = ctx->state_len; /* the hook closed stdin: stop feeding it */
            }
          continue;
        }
      if (w >= 0)
        {
          close (w);
          w = -1;
        }
      usleep (5000);
    }
  if (WIFEXITED (status) && WEXITSTATUS (status) != 0)
    return berth_make_error_path (err, 0, path, "run-hook `%s`: exit status %d", path, WEXITSTATUS (status));
  if (WIFSIGNALED (status))
    return berth_make_error_path (err, 0, path, "run-hook `%s`: killed by signal %d", path, WTERMSIG (status));
  return 0;
}
