/* The shim's event loop: one epoll set, no threads. It pumps the container's output into
 * the log and to attached clients, feeds stdin from clients, serves requests on
 * shim.sock, reaps (as a child subreaper) and keeps the exit status. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "shim.h"

/* Bounds. Output: past OUT_HIGH unsent bytes for an attached client the shim stops
 * reading the container's output (it blocks on a full pipe, as with Docker) until every
 * client is under OUT_LOW again; a client that makes no progress for STALL_MS is
 * disconnected and reading resumes, so a stuck or gone client holds the container for at
 * most that long. OUT_HARD is never exceeded (the drain at exit reads regardless).
 * Stdin: past STDIN_MAX the shim stops reading from clients until the container has
 * consumed it. */
#define OUT_HIGH (1u << 20)
#define OUT_LOW (256u << 10)
#define OUT_HARD (4u << 20)
#define STALL_MS 2000
#define STDIN_MAX (1u << 20)
#define FRAME_MAX (1u << 20)
#define OUTPUT_READ_MAX (128u << 10)

/* Frame types (mirror: src/runtime/shim/protocol.ts). */
enum
{
  REQ_ATTACH = 'A',
  REQ_STDIN = 'I',
  REQ_STDIN_CLOSE = 'C',
  REQ_RESIZE = 'R',
  REQ_KILL = 'K',
  REQ_WAIT = 'W',
  REQ_STATE = 'S',
  REQ_SHUTDOWN = 'Q',
  REQ_EXEC = 'X',
  MSG_REPLY = 'r',
  MSG_EXEC_REPORT = 'p',
  MSG_EXEC_EXECED = 'e',
  MSG_STDOUT = 1,
  MSG_STDERR = 2,
  MSG_EXIT = 'x',
};

enum
{
  W_LISTEN,
  W_SIGNAL,
  W_PARENT,
  W_OUT,
  W_ERR,
  W_STDIN,
  W_TIMER,
  W_STALL,
  W_CLIENT,
  W_XSYNC,
  W_XOUT,
  W_XERR,
  W_XIN,
};

struct watch
{
  int kind;
  int fd;
  void *owner; /* the exec session of W_X* watches */
};

struct obuf
{
  char *data;
  size_t off, len, cap;
};

struct exec_session;

struct client
{
  struct watch w; /* first: epoll data points here */
  struct client *next;
  struct exec_session *exec; /* this connection runs an exec (REQ_EXEC) */
  int attached, want_stdin, waiting, closing, dead, paused;
  long long progress_at; /* CLOCK_MONOTONIC ms of the last write that made progress */
  uint32_t events;
  unsigned char hdr[5];
  size_t hlen;
  char *payload;
  size_t plen, pgot;
  struct obuf out;
};

static struct
{
  const struct shim_config *cfg;
  int ep, dirfd;
  struct watch listen_w, sig_w, parent_w, out_w, err_w, stdin_w, timer_w, stall_w;
  int output_paused;
  uint32_t stdin_events;
  struct shim_child *child;
  int master;
  int execed, failed, exited, quit, stdin_closing;
  int exit_code, exit_signal, oom_killed;
  int oom_fd;
  long long oom_base;
  char exited_at[64];
  struct shim_log *log;
  struct shim_linebuf lout, lerr;
  struct obuf stdin_buf;
  struct client *clients;
} S;

static void output_resume_check (void);
static void exec_release (struct exec_session *x);
static void exec_resume_check (struct client *c);

static int
obuf_append (struct obuf *b, const void *data, size_t len, size_t limit)
{
  if (b->len - b->off + len > limit)
    return -1;
  if (b->off > 0 && b->len + len > b->cap)
    {
      memmove (b->data, b->data + b->off, b->len - b->off);
      b->len -= b->off;
      b->off = 0;
    }
  if (b->len + len > b->cap)
    {
      size_t cap = b->cap ? b->cap : 4096;
      while (cap < b->len + len)
        cap *= 2;
      char *p = realloc (b->data, cap);
      if (p == NULL)
        return -1;
      b->data = p;
      b->cap = cap;
    }
  memcpy (b->data + b->len, data, len);
  b->len += len;
  return 0;
}

static size_t
obuf_pending (const struct obuf *b)
{
  return b->len - b->off;
}

static void
obuf_release (struct obuf *b)
{
  free (b->data);
  memset (b, 0, sizeof *b);
}

/* Write what the fd accepts; -1 on a real error. Frees the memory once empty, so an idle
 * shim keeps no buffers. */
static int
obuf_flush (struct obuf *b, int fd)
{
  while (obuf_pending (b) > 0)
    {
      ssize_t n = send (fd, b->data + b->off, obuf_pending (b), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno == ENOTSOCK)
        n = write (fd, b->data + b->off, obuf_pending (b));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return 0;
      if (n < 0)
        return -1;
      b->off += (size_t) n;
    }
  obuf_release (b);
  return 0;
}

static void
ep_set (int fd, struct watch *w, uint32_t events, int op)
{
  struct epoll_event ev = { .events = events, .data.ptr = w };
  if (epoll_ctl (S.ep, op, fd, &ev) < 0)
    shim_diag ("warning", "epoll_ctl %d on fd %d: %s", op, fd, strerror (errno));
}

static void
ep_del (int fd)
{
  if (epoll_ctl (S.ep, EPOLL_CTL_DEL, fd, NULL) < 0)
    shim_diag ("warning", "epoll_ctl del fd %d: %s", fd, strerror (errno));
}

/* ---------------------------------------------------------------- clients */

static void
client_close (struct client *c)
{
  if (c->dead)
    return;
  c->dead = 1;
  if (c->exec != NULL)
    exec_release (c->exec);
  ep_del (c->w.fd);
  close (c->w.fd);
  obuf_release (&c->out);
  free (c->payload);
  c->payload = NULL;
  output_resume_check ();
}

static void
client_update (struct client *c)
{
  uint32_t ev = (c->paused || c->closing ? 0 : EPOLLIN) | (obuf_pending (&c->out) ? EPOLLOUT : 0);
  if (ev != c->events)
    {
      c->events = ev;
      ep_set (c->w.fd, &c->w, ev, EPOLL_CTL_MOD);
    }
}

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
client_flush (struct client *c)
{
  if (c->dead)
    return;
  size_t before = obuf_pending (&c->out);
  int r = obuf_flush (&c->out, c->w.fd);
  if (obuf_pending (&c->out) < before)
    c->progress_at = now_ms ();
  if (r < 0)
    {
      client_close (c);
      return;
    }
  if (c->closing && obuf_pending (&c->out) == 0)
    {
      client_close (c);
      return;
    }
  client_update (c);
  output_resume_check ();
  exec_resume_check (c);
}

static void
client_send (struct client *c, int type, const void *data, size_t len)
{
  unsigned char hdr[5] = { (unsigned char) type, (unsigned char) len, (unsigned char) (len >> 8), (unsigned char) (len >> 16),
                           (unsigned char) (len >> 24) };
  if (c->dead)
    return;
  if (obuf_pending (&c->out) == 0)
    c->progress_at = now_ms ();
  if (obuf_append (&c->out, hdr, sizeof hdr, OUT_HARD) < 0 || obuf_append (&c->out, data, len, OUT_HARD) < 0)
    {
      shim_diag ("warning", "client on fd %d is %zu bytes behind, disconnected", c->w.fd, obuf_pending (&c->out));
      client_close (c);
      return;
    }
  client_flush (c);
}

static void
reply (struct client *c, const char *json)
{
  client_send (c, MSG_REPLY, json, strlen (json));
}

static void
reply_error (struct client *c, int errnum, const char *what)
{
  char line[512], esc[400] = "";
  berth_json_escape (esc, sizeof esc, what);
  snprintf (line, sizeof line, "{\"error\":\"%s\",\"errno\":%d}", esc, errnum);
  reply (c, line);
}

static void
exit_json (char *buf, size_t size)
{
  snprintf (buf, size, "{\"exitCode\":%d,\"signal\":%d,\"exitedAt\":\"%s\",\"oomKilled\":%s}", S.exit_code,
            S.exit_signal, S.exited_at, S.oom_killed ? "true" : "false");
}

/* ---------------------------------------------------------------- stdin */

static void
stdin_close_now (void)
{
  if (S.stdin_w.fd < 0)
    return;
  ep_del (S.stdin_w.fd);
  close (S.stdin_w.fd);
  S.stdin_w.fd = -1;
  obuf_release (&S.stdin_buf);
}

static void
stdin_flush (void)
{
  if (S.stdin_w.fd < 0)
    return;
  if (obuf_flush (&S.stdin_buf, S.stdin_w.fd) < 0)
    {
      /* EPIPE: the container closed its stdin; what clients send is dropped. */
      stdin_close_now ();
      return;
    }
  if (obuf_pending (&S.stdin_buf) == 0 && S.stdin_closing)
    {
      stdin_close_now ();
      return;
    }
  uint32_t ev = obuf_pending (&S.stdin_buf) ? EPOLLOUT : 0;
  if (ev != S.stdin_events)
    {
      S.stdin_events = ev;
      ep_set (S.stdin_w.fd, &S.stdin_w, ev, EPOLL_CTL_MOD);
    }
  if (obuf_pending (&S.stdin_buf) < STDIN_MAX / 2)
    for (struct client *c = S.clients; c != NULL; c = c->next)
      if (c->paused && !c->dead)
        {
          c->paused = 0;
          client_update (c);
        }
}

/* ---------------------------------------------------------------- exec sessions */

/* `docker exec` through the shim: the connection that sent REQ_EXEC owns one berth-init
 * --wait, which we fork (the daemon, a big process, would pay for the fork) with our pipes
 * as its stdio and a socketpair as its fd 3. The connection then carries berth-init's
 * reports (MSG_EXEC_REPORT, MSG_EXEC_EXECED at EOF), the output frames, stdin frames from
 * the client and MSG_EXIT with berth-init's status; a connection that goes away closes
 * the exec's pipes (as the daemon's own FIFOs did when it went away). */
struct exec_session
{
  struct client *c;
  pid_t pid;
  int paused;
  int in_closing;
  struct watch sync_w, out_w, err_w, in_w;
  struct obuf in_buf;
};

static void
exec_close_watch (struct watch *w)
{
  if (w->fd < 0)
    return;
  ep_del (w->fd);
  close (w->fd);
  w->fd = -1;
}

/* Close every fd of the session and forget it (the pid, if still running, is reaped as an
 * orphan would be). */
static void
exec_release (struct exec_session *x)
{
  exec_close_watch (&x->sync_w);
  exec_close_watch (&x->out_w);
  exec_close_watch (&x->err_w);
  exec_close_watch (&x->in_w);
  obuf_release (&x->in_buf);
  if (x->c != NULL)
    x->c->exec = NULL;
  free (x);
}

static void
exec_output_events (struct exec_session *x, uint32_t ev)
{
  if (x->out_w.fd >= 0)
    ep_set (x->out_w.fd, &x->out_w, ev, EPOLL_CTL_MOD);
  if (x->err_w.fd >= 0)
    ep_set (x->err_w.fd, &x->err_w, ev, EPOLL_CTL_MOD);
}

/* The client caught up: read the exec's output again. */
static void
exec_resume_check (struct client *c)
{
  struct exec_session *x = c->exec;
  if (x != NULL && x->paused && obuf_pending (&c->out) <= OUT_LOW)
    {
      x->paused = 0;
      exec_output_events (x, EPOLLIN);
    }
}

/* berth-init's reports on fd 3 go to the client as they come; EOF means the process
 * exec'd (or berth-init is gone: an `error` report came before). */
static int
exec_sync_read (struct exec_session *x)
{
  char buf[4096];
  ssize_t n = read (x->sync_w.fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 0;
  if (n <= 0)
    {
      exec_close_watch (&x->sync_w);
      client_send (x->c, MSG_EXEC_EXECED, "", 0);
      return -1;
    }
  client_send (x->c, MSG_EXEC_REPORT, buf, (size_t) n);
  return 1;
}

static int
exec_output_read (struct exec_session *x, struct watch *w)
{
  static char buf[1 << 16];
  ssize_t n = read (w->fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 0;
  if (n <= 0)
    {
      exec_close_watch (w);
      return -1;
    }
  struct client *c = x->c;
  client_send (c, w->kind == W_XOUT ? MSG_STDOUT : MSG_STDERR, buf, (size_t) n);
  /* client_send may have closed the client, which releases the session. */
  if (c->dead)
    return -1;
  if (!x->paused && obuf_pending (&c->out) > OUT_HIGH)
    {
      x->paused = 1;
      exec_output_events (x, 0);
    }
  return 1;
}

static void
exec_stdin_flush (struct exec_session *x)
{
  if (x->in_w.fd < 0)
    return;
  if (obuf_flush (&x->in_buf, x->in_w.fd) < 0 || (obuf_pending (&x->in_buf) == 0 && x->in_closing))
    {
      exec_close_watch (&x->in_w);
      obuf_release (&x->in_buf);
      return;
    }
  ep_set (x->in_w.fd, &x->in_w, obuf_pending (&x->in_buf) ? EPOLLOUT : 0, EPOLL_CTL_MOD);
}

/* berth-init exited: its reports and the output already written go out first, then the
 * exit frame, and the connection closes. */
static void
exec_exited (struct exec_session *x, int status)
{
  struct client *c = x->c;
  while (!c->dead && x->sync_w.fd >= 0 && exec_sync_read (x) > 0)
    ;
  if (c->dead)
    return;
  if (x->paused)
    exec_output_events (x, EPOLLIN);
  /* Reads until the pipe is empty, not until EOF: a background process of the exec may
   * keep the write end open for ever. */
  while (!c->dead && x->out_w.fd >= 0 && exec_output_read (x, &x->out_w) > 0)
    ;
  while (!c->dead && x->err_w.fd >= 0 && exec_output_read (x, &x->err_w) > 0)
    ;
  if (c->dead)
    return;
  int code = WIFSIGNALED (status) ? 128 + WTERMSIG (status) : WEXITSTATUS (status);
  char buf[64];
  snprintf (buf, sizeof buf, "{\"exitCode\":%d}", code);
  client_send (c, MSG_EXIT, buf, strlen (buf));
  if (c->dead)
    return;
  exec_release (x);
  c->closing = 1;
  client_flush (c);
}

/* The pid belongs to an exec session: finish it. Returns 0 when it is nobody's. */
static int
exec_reaped (pid_t pid, int status)
{
  for (struct client *c = S.clients; c != NULL; c = c->next)
    if (!c->dead && c->exec != NULL && c->exec->pid == pid)
      {
        exec_exited (c->exec, status);
        return 1;
      }
  return 0;
}

/* fd onto target in the child; dup2 of an fd onto itself would keep its close-on-exec. */
static int
child_fd (int fd, int target)
{
  if (fd == target)
    return fcntl (fd, F_SETFD, 0);
  return dup2 (fd, target);
}

/* Start berth-init --wait on `plan` for client c. Flags: bit 0 the exec reads stdin from
 * the client, bit 1 the plan sets up a terminal (berth-init relays it to fd 1; no stderr). */
static int
exec_start (struct client *c, int flags, const char *plan, size_t plen, berth_error_t *err)
{
  char self[4096];
  ssize_t sl = readlink ("/proc/self/exe", self, sizeof self - 32);
  if (sl < 0)
    return berth_make_error (err, errno, "readlink `/proc/self/exe`");
  self[sl] = '\0';
  char *slash = strrchr (self, '/');
  if (slash == NULL)
    return berth_make_error (err, EINVAL, "locate berth-init next to `%s`", self);
  strcpy (slash + 1, "berth-init");

  int sv[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 }, in[2] = { -1, -1 };
  int null = -1;
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return berth_make_error (err, errno, "socketpair");
  if (pipe2 (out, O_CLOEXEC) < 0 || (!(flags & 2) && pipe2 (errp, O_CLOEXEC) < 0) || ((flags & 1) && pipe2 (in, O_CLOEXEC) < 0)
      || (null = open ("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
    {
      berth_make_error (err, errno, "make the exec's stdio");
      goto fail;
    }
  /* Bigger pipes: fewer wake-ups per MiB of output. Best effort. */
  if (fcntl (out[0], F_SETPIPE_SZ, 1 << 20) < 0)
    shim_diag ("warning", "F_SETPIPE_SZ: %s", strerror (errno));
  pid_t pid = fork ();
  if (pid < 0)
    {
      berth_make_error (err, errno, "fork berth-init");
      goto fail;
    }
  if (pid == 0)
    {
      sigset_t none;
      sigemptyset (&none);
      signal (SIGPIPE, SIG_DFL);
      sigprocmask (SIG_SETMASK, &none, NULL);
      /* First above 3, then onto 0-3: a source may sit on one of the targets. */
      int src[4] = { in[0] >= 0 ? in[0] : null, out[1], errp[1] >= 0 ? errp[1] : null, sv[1] };
      int high[4];
      for (int i = 0; i < 4; i++)
        if ((high[i] = fcntl (src[i], F_DUPFD_CLOEXEC, 10)) < 0)
          _exit (126);
      for (int i = 0; i < 4; i++)
        if (child_fd (high[i], i) < 0)
          _exit (126);
      char *argv[] = { self, (char *) "--wait", NULL };
      execv (self, argv);
      berth_error_t e = NULL;
      berth_make_error_path (&e, errno, self, "exec `%s`", self);
      berth_report_error (3, -1, "exec", e);
      _exit (errno == ENOENT ? 127 : 126);
    }
  close (sv[1]);
  close (out[1]);
  if (errp[1] >= 0)
    close (errp[1]);
  if (in[0] >= 0)
    close (in[0]);
  close (null);
  unsigned char hdr[4] = { (unsigned char) plen, (unsigned char) (plen >> 8), (unsigned char) (plen >> 16),
                           (unsigned char) (plen >> 24) };
  /* The plan fits the socket's buffer (FRAME_MAX); a berth-init that died early gives EPIPE,
   * which its exit reports. */
  if (berth_write_all (sv[0], hdr, sizeof hdr, err) < 0 || berth_write_all (sv[0], plan, plen, err) < 0)
    berth_error_release (err);
  struct exec_session *x = calloc (1, sizeof *x);
  if (x == NULL || fcntl (sv[0], F_SETFL, O_NONBLOCK) < 0 || fcntl (out[0], F_SETFL, O_NONBLOCK) < 0
      || (errp[0] >= 0 && fcntl (errp[0], F_SETFL, O_NONBLOCK) < 0) || (in[1] >= 0 && fcntl (in[1], F_SETFL, O_NONBLOCK) < 0))
    {
      /* berth-init runs already: it gets EOF on fd 3 and ends; we reap it as an orphan. */
      free (x);
      close (sv[0]);
      close (out[0]);
      if (errp[0] >= 0)
        close (errp[0]);
      if (in[1] >= 0)
        close (in[1]);
      return berth_make_error (err, ENOMEM, "start the exec session");
    }
  x->c = c;
  x->pid = pid;
  x->sync_w = (struct watch) { W_XSYNC, sv[0], x };
  x->out_w = (struct watch) { W_XOUT, out[0], x };
  x->err_w = (struct watch) { W_XERR, errp[0], x };
  x->in_w = (struct watch) { W_XIN, in[1], x };
  c->exec = x;
  ep_set (sv[0], &x->sync_w, EPOLLIN, EPOLL_CTL_ADD);
  ep_set (out[0], &x->out_w, EPOLLIN, EPOLL_CTL_ADD);
  if (errp[0] >= 0)
    ep_set (errp[0], &x->err_w, EPOLLIN, EPOLL_CTL_ADD);
  if (in[1] >= 0)
    ep_set (in[1], &x->in_w, 0, EPOLL_CTL_ADD);
  return 0;

fail:
  for (int *f = (int[]) { sv[0], sv[1], out[0], out[1], errp[0], errp[1], in[0], in[1], null, -2 }; *f != -2; f++)
    if (*f >= 0)
      close (*f);
  return -1;
}

/* ---------------------------------------------------------------- requests */

static void
state_json (char *buf, size_t size)
{
  if (S.exited)
    {
      char e[256];
      exit_json (e, sizeof e);
      snprintf (buf, size, "{\"pid\":%d,\"status\":\"exited\",\"exit\":%s}", S.child->pid, e);
    }
  else
    snprintf (buf, size, "{\"pid\":%d,\"status\":\"%s\"}", S.child->pid, S.execed ? "running" : "created");
}

static uint32_t
le32 (const char *p)
{
  const unsigned char *u = (const unsigned char *) p;
  return u[0] | (u[1] << 8) | (u[2] << 16) | ((uint32_t) u[3] << 24);
}

static void
handle_request (struct client *c, int type, const char *p, size_t len)
{
  char buf[512];
  switch (type)
    {
    case REQ_ATTACH:
      c->attached = 1;
      c->want_stdin = len >= 1 && (p[0] & 1) && S.cfg->open_stdin;
      reply (c, "{}");
      if (S.exited)
        {
          exit_json (buf, sizeof buf);
          client_send (c, MSG_EXIT, buf, strlen (buf));
          c->closing = 1;
          client_flush (c);
        }
      return;
    case REQ_EXEC:
      {
        if (c->exec != NULL || c->attached)
          return reply_error (c, EBUSY, "this connection is attached or runs an exec already");
        if (S.exited || !S.execed)
          return reply_error (c, ESRCH, "the container is not running");
        if (len < 1)
          return reply_error (c, EINVAL, "short request");
        berth_error_t err = NULL;
        if (exec_start (c, (unsigned char) p[0], p + 1, len - 1, &err) < 0)
          {
            int status = err->status;
            snprintf (buf, sizeof buf, "%s", err->msg);
            berth_error_release (&err);
            return reply_error (c, status, buf);
          }
        snprintf (buf, sizeof buf, "{\"pid\":%d}", c->exec->pid);
        return reply (c, buf);
      }
    case REQ_STDIN:
      if (c->exec != NULL)
        {
          struct exec_session *x = c->exec;
          if (x->in_w.fd < 0 || x->in_closing)
            return;
          if (obuf_append (&x->in_buf, p, len, STDIN_MAX + FRAME_MAX) < 0)
            {
              shim_diag ("warning", "exec stdin buffer full: %zu bytes dropped", len);
              return;
            }
          exec_stdin_flush (x);
          return;
        }
      if (!c->want_stdin || S.stdin_w.fd < 0 || S.stdin_closing)
        return; /* stream frames get no reply; stdin that nobody can take is dropped */
      if (obuf_append (&S.stdin_buf, p, len, STDIN_MAX + FRAME_MAX) < 0)
        {
          shim_diag ("warning", "stdin buffer full: %zu bytes dropped", len);
          return;
        }
      if (obuf_pending (&S.stdin_buf) >= STDIN_MAX)
        {
          c->paused = 1;
          client_update (c);
        }
      stdin_flush ();
      return;
    case REQ_STDIN_CLOSE:
      if (c->exec != NULL)
        {
          c->exec->in_closing = 1;
          exec_stdin_flush (c->exec);
          return;
        }
      /* A pty has no half-close: with a terminal the container's stdin stays open. */
      if (c->want_stdin && !S.cfg->terminal && S.stdin_w.fd >= 0)
        {
          S.stdin_closing = 1;
          stdin_flush ();
        }
      return;
    case REQ_RESIZE:
      {
        if (len < 4)
          return reply_error (c, EINVAL, "short request");
        struct winsize ws = { .ws_row = (unsigned short) ((unsigned char) p[0] | ((unsigned char) p[1] << 8)),
                              .ws_col = (unsigned short) ((unsigned char) p[2] | ((unsigned char) p[3] << 8)) };
        if (S.master < 0)
          return reply_error (c, ENOTTY, "the container has no terminal");
        if (ioctl (S.master, TIOCSWINSZ, &ws) < 0)
          return reply_error (c, errno, "ioctl TIOCSWINSZ");
        return reply (c, "{}");
      }
    case REQ_KILL:
      {
        if (len < 4)
          return reply_error (c, EINVAL, "short request");
        int sig = (int) le32 (p);
        if (S.exited)
          return reply_error (c, ESRCH, "the container is not running");
        if (kill (S.child->pid, sig) < 0)
          {
            snprintf (buf, sizeof buf, "kill %d: %s", sig, strerror (errno));
            return reply_error (c, errno, buf);
          }
        return reply (c, "{}");
      }
    case REQ_WAIT:
      if (S.exited)
        {
          exit_json (buf, sizeof buf);
          return reply (c, buf);
        }
      c->waiting = 1;
      return;
    case REQ_STATE:
      state_json (buf, sizeof buf);
      return reply (c, buf);
    case REQ_SHUTDOWN:
      if (!S.exited)
        return reply_error (c, EBUSY, "the container is running");
      reply (c, "{}");
      S.quit = 1;
      return;
    default:
      snprintf (buf, sizeof buf, "unknown request type %d", type);
      return reply_error (c, EINVAL, buf);
    }
}

static void
client_read (struct client *c)
{
  static char buf[65536];
  ssize_t n = read (c->w.fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (n <= 0)
    {
      client_close (c);
      return;
    }
  for (size_t i = 0; i < (size_t) n && !c->dead;)
    {
      if (c->hlen < sizeof c->hdr)
        {
          c->hdr[c->hlen++] = (unsigned char) buf[i++];
          if (c->hlen < sizeof c->hdr)
            continue;
          c->plen = le32 ((const char *) c->hdr + 1);
          c->pgot = 0;
          if (c->plen > FRAME_MAX)
            {
              shim_diag ("warning", "client on fd %d sent a %zu-byte frame, disconnected", c->w.fd, c->plen);
              client_close (c);
              return;
            }
          free (c->payload);
          c->payload = c->plen ? malloc (c->plen) : NULL;
          if (c->plen && c->payload == NULL)
            {
              client_close (c);
              return;
            }
        }
      size_t take = c->plen - c->pgot;
      if (take > (size_t) n - i)
        take = (size_t) n - i;
      if (take)
        memcpy (c->payload + c->pgot, buf + i, take);
      c->pgot += take;
      i += take;
      if (c->pgot == c->plen)
        {
          c->hlen = 0;
          handle_request (c, c->hdr[0], c->payload, c->plen);
          free (c->payload);
          c->payload = NULL;
        }
    }
}

static void
accept_clients (void)
{
  for (;;)
    {
      int fd = accept4 (S.listen_w.fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0)
        {
          if (errno != EAGAIN && errno != EINTR)
            shim_diag ("warning", "accept: %s", strerror (errno));
          return;
        }
      struct client *c = calloc (1, sizeof *c);
      if (c == NULL)
        {
          close (fd);
          return;
        }
      c->w.kind = W_CLIENT;
      c->w.fd = fd;
      c->events = EPOLLIN;
      c->next = S.clients;
      S.clients = c;
      ep_set (fd, &c->w, EPOLLIN, EPOLL_CTL_ADD);
    }
}

static void
sweep_clients (void)
{
  for (struct client **pp = &S.clients; *pp != NULL;)
    {
      struct client *c = *pp;
      if (c->dead)
        {
          *pp = c->next;
          free (c);
        }
      else
        pp = &c->next;
    }
}

/* ---------------------------------------------------------------- output */

static void
set_stall_timer (int ms)
{
  struct itimerspec its = { .it_value = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000 } };
  if (timerfd_settime (S.stall_w.fd, 0, &its, NULL) < 0)
    shim_diag ("warning", "timerfd_settime: %s", strerror (errno));
}

static void
output_events (uint32_t ev)
{
  if (S.out_w.fd >= 0)
    ep_set (S.out_w.fd, &S.out_w, ev, EPOLL_CTL_MOD);
  if (S.err_w.fd >= 0)
    ep_set (S.err_w.fd, &S.err_w, ev, EPOLL_CTL_MOD);
}

static void
output_pause (void)
{
  S.output_paused = 1;
  output_events (0);
  set_stall_timer (STALL_MS / 4);
}

static void
output_resume (void)
{
  S.output_paused = 0;
  output_events (EPOLLIN);
  set_stall_timer (0);
}

static void
output_resume_check (void)
{
  if (!S.output_paused)
    return;
  for (struct client *c = S.clients; c != NULL; c = c->next)
    if (c->attached && !c->dead && obuf_pending (&c->out) > OUT_LOW)
      return;
  output_resume ();
}

/* While paused: drop clients that made no progress for STALL_MS. */
static void
on_stall_timer (void)
{
  uint64_t ticks;
  if (read (S.stall_w.fd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
    shim_diag ("warning", "read timerfd: %s", strerror (errno));
  if (!S.output_paused)
    return;
  long long now = now_ms ();
  for (struct client *c = S.clients; c != NULL; c = c->next)
    if (c->attached && !c->dead && obuf_pending (&c->out) > OUT_LOW && now - c->progress_at >= STALL_MS)
      {
        shim_diag ("warning", "client on fd %d made no progress for %d ms with %zu bytes unsent, disconnected", c->w.fd,
                   STALL_MS, obuf_pending (&c->out));
        client_close (c);
      }
  output_resume_check ();
  if (S.output_paused)
    set_stall_timer (STALL_MS / 4);
}

static void
output_close (struct watch *w, struct shim_linebuf *lb)
{
  if (w->fd < 0)
    return;
  shim_log_flush (S.log, lb);
  ep_del (w->fd);
  close (w->fd);
  if (w->fd == S.master)
    S.master = -1;
  w->fd = -1;
}

/* Read once from a stream: log it and copy it to every attached client. Returns 1 when
 * data was read, 0 when none was ready, -1 at its end. */
static int
output_read (struct watch *w)
{
  /* Big reads: every read becomes one frame per attached client, one wake-up of the
   * daemon and one write to its client; 16 KiB reads made 6,100 of each per 100 MB. The
   * log still splits lines at 16 KiB (shim_log_feed). */
  static char buf[OUTPUT_READ_MAX];
  struct shim_linebuf *lb = w->kind == W_OUT ? &S.lout : &S.lerr;
  ssize_t n = read (w->fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 0;
  if (n <= 0)
    {
      /* EOF, or EIO from a pty master once every slave fd is closed. */
      output_close (w, lb);
      return -1;
    }
  shim_log_feed (S.log, lb, buf, (size_t) n);
  int behind = 0;
  for (struct client *c = S.clients; c != NULL; c = c->next)
    if (c->attached && !c->dead && !c->closing)
      {
        client_send (c, w->kind == W_OUT ? MSG_STDOUT : MSG_STDERR, buf, (size_t) n);
        if (!c->dead && obuf_pending (&c->out) > OUT_HIGH)
          behind = 1;
      }
  if (behind && !S.output_paused && !S.exited)
    output_pause ();
  return 1;
}

/* ---------------------------------------------------------------- the child */

static void
on_parent (void)
{
  char data[64];
  char cbuf[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { .iov_base = data, .iov_len = sizeof data };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  ssize_t n = recvmsg (S.parent_w.fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (n <= 0)
    {
      /* The child's end is close-on-exec: EOF means execve succeeded (or it died). */
      if (!S.failed)
        S.execed = 1;
      ep_del (S.parent_w.fd);
      close (S.parent_w.fd);
      S.parent_w.fd = -1;
      return;
    }
  int fd = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&msg); c != NULL; c = CMSG_NXTHDR (&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN (sizeof (int)))
      memcpy (&fd, CMSG_DATA (c), sizeof (int));
  if (fd >= 0)
    {
      /* setup-console handed us the pty master: it is the container's stdout (and stdin). */
      if (S.master >= 0 || fcntl (fd, F_SETFL, O_NONBLOCK) < 0)
        {
          close (fd);
          return;
        }
      S.master = fd;
      S.out_w.fd = fd;
      ep_set (fd, &S.out_w, EPOLLIN, EPOLL_CTL_ADD);
      if (S.cfg->open_stdin)
        {
          int in = fcntl (fd, F_DUPFD_CLOEXEC, 3);
          if (in < 0)
            shim_diag ("warning", "dup pty master: %s", strerror (errno));
          else
            {
              S.stdin_w.fd = in;
              S.stdin_events = 0;
              ep_set (in, &S.stdin_w, 0, EPOLL_CTL_ADD);
            }
        }
      return;
    }
  if (memchr (data, 'E', (size_t) n) != NULL)
    S.failed = 1;
}

static void
write_exit_file (void)
{
  char buf[256];
  exit_json (buf, sizeof buf);
  strcat (buf, "\n");
  int fd = openat (S.dirfd, "exit.json.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  berth_error_t err = NULL;
  if (fd < 0)
    {
      shim_diag ("error", "write exit.json: open: %s", strerror (errno));
      return;
    }
  /* No fsync: the state dir is in the daemon's exec root, volatile by design (a tmpfs
   * /run/berth normally); after a power loss no container survives for it to describe,
   * while a daemon crash keeps the page cache. Temp + rename keeps it whole for readers.
   * The fsync sat between every container's exit and its waiters (2-10 ms on ext4). */
  if (berth_write_all (fd, buf, strlen (buf), &err) < 0)
    {
      shim_diag ("error", "write exit.json: %s", strerror (err != NULL ? err->status : errno));
      berth_error_release (&err);
      close (fd);
      return;
    }
  close (fd);
  if (renameat (S.dirfd, "exit.json.tmp", S.dirfd, "exit.json") < 0)
    shim_diag ("error", "write exit.json: rename: %s", strerror (errno));
}

static void
arm_timer (int seconds)
{
  struct itimerspec its = { .it_value = { .tv_sec = seconds > 0 ? seconds : 0, .tv_nsec = seconds > 0 ? 0 : 1 } };
  if (timerfd_settime (S.timer_w.fd, 0, &its, NULL) < 0)
    shim_diag ("warning", "timerfd_settime: %s", strerror (errno));
}

static void
container_exited (int status)
{
  /* A failed plan reports "E" just before it exits: read it now, whatever the order of
   * the events. */
  while (S.parent_w.fd >= 0 && !S.failed)
    {
      char c;
      ssize_t n = recv (S.parent_w.fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);
      if (n <= 0)
        break;
      on_parent ();
    }
  if (S.failed)
    {
      shim_diag ("info", "container %s: the plan failed, exiting", S.cfg->id);
      S.quit = 2;
      return;
    }
  S.exited = 1;
  if (WIFSIGNALED (status))
    {
      S.exit_signal = WTERMSIG (status);
      S.exit_code = 128 + S.exit_signal;
    }
  else
    S.exit_code = WEXITSTATUS (status);
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  shim_format_time (S.exited_at, sizeof S.exited_at, &ts);
  /* Docker's OOMKilled: the cgroup counted an OOM kill while the container ran. */
  if (S.oom_fd >= 0 && S.oom_base >= 0 && shim_oom_kills (S.oom_fd) > S.oom_base)
    S.oom_killed = 1;
  if (S.output_paused)
    output_resume ();
  /* Drain what the container wrote before it exited, so the log and attached clients
   * have all of it before anyone hears of the exit. */
  while (S.out_w.fd >= 0 && output_read (&S.out_w) > 0)
    ;
  while (S.err_w.fd >= 0 && output_read (&S.err_w) > 0)
    ;
  output_close (&S.out_w, &S.lout);
  output_close (&S.err_w, &S.lerr);
  stdin_close_now ();
  write_exit_file ();
  char buf[256];
  exit_json (buf, sizeof buf);
  for (struct client *c = S.clients; c != NULL; c = c->next)
    {
      if (c->dead)
        continue;
      if (c->waiting)
        {
          c->waiting = 0;
          reply (c, buf);
        }
      if (c->attached && !c->closing)
        {
          client_send (c, MSG_EXIT, buf, strlen (buf));
          c->closing = 1;
          client_flush (c);
        }
    }
  shim_diag ("info", "container %s exited: %s", S.cfg->id, buf);
  arm_timer (S.cfg->exit_grace);
}

static void
on_signal (void)
{
  struct signalfd_siginfo si;
  while (read (S.sig_w.fd, &si, sizeof si) == sizeof si)
    ;
  for (;;)
    {
      int status;
      pid_t pid = waitpid (-1, &status, WNOHANG);
      if (pid <= 0)
        return;
      /* Other pids are orphans of the container's session: we are their subreaper. */
      if (pid == S.child->pid && !S.exited)
        container_exited (status);
      else
        exec_reaped (pid, status);
    }
}

long long
shim_oom_kills (int fd)
{
  char buf[1024];
  ssize_t n = pread (fd, buf, sizeof buf - 1, 0);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  for (char *line = buf; line != NULL && *line != '\0';)
    {
      if (strncmp (line, "oom_kill ", 9) == 0)
        return strtoll (line + 9, NULL, 10);
      line = strchr (line, '\n');
      if (line != NULL)
        line++;
    }
  return -1;
}

/* ---------------------------------------------------------------- loop */

int
shim_serve (const struct shim_config *cfg, int dirfd, int listen_fd, struct shim_child *child, int out_fd, int err_fd,
            int stdin_fd, struct shim_log *log)
{
  S.cfg = cfg;
  S.dirfd = dirfd;
  S.child = child;
  S.log = log;
  S.master = -1;
  S.oom_fd = -1;
  S.oom_base = -1;
  if (cfg->oom_file != NULL)
    {
      S.oom_fd = open (cfg->oom_file, O_RDONLY | O_CLOEXEC);
      if (S.oom_fd < 0)
        shim_diag ("warning", "open `%s`: %s: oomKilled will stay false", cfg->oom_file, strerror (errno));
      else
        S.oom_base = shim_oom_kills (S.oom_fd);
    }
  S.lout.stream = "stdout";
  S.lerr.stream = "stderr";
  S.ep = epoll_create1 (EPOLL_CLOEXEC);
  if (S.ep < 0)
    {
      shim_diag ("error", "epoll_create1: %s", strerror (errno));
      return 1;
    }
  sigset_t mask;
  sigemptyset (&mask);
  sigaddset (&mask, SIGCHLD);
  S.sig_w = (struct watch) { W_SIGNAL, signalfd (-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK), NULL };
  S.timer_w = (struct watch) { W_TIMER, timerfd_create (CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK), NULL };
  S.stall_w = (struct watch) { W_STALL, timerfd_create (CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK), NULL };
  if (S.sig_w.fd < 0 || S.timer_w.fd < 0 || S.stall_w.fd < 0)
    {
      shim_diag ("error", "signalfd/timerfd: %s", strerror (errno));
      return 1;
    }
  S.listen_w = (struct watch) { W_LISTEN, listen_fd, NULL };
  S.parent_w = (struct watch) { W_PARENT, child->parent_fd, NULL };
  S.out_w = (struct watch) { W_OUT, out_fd, NULL };
  S.err_w = (struct watch) { W_ERR, err_fd, NULL };
  S.stdin_w = (struct watch) { W_STDIN, stdin_fd, NULL };
  ep_set (S.listen_w.fd, &S.listen_w, EPOLLIN, EPOLL_CTL_ADD);
  ep_set (S.sig_w.fd, &S.sig_w, EPOLLIN, EPOLL_CTL_ADD);
  ep_set (S.timer_w.fd, &S.timer_w, EPOLLIN, EPOLL_CTL_ADD);
  ep_set (S.stall_w.fd, &S.stall_w, EPOLLIN, EPOLL_CTL_ADD);
  ep_set (S.parent_w.fd, &S.parent_w, EPOLLIN, EPOLL_CTL_ADD);
  if (out_fd >= 0)
    ep_set (out_fd, &S.out_w, EPOLLIN, EPOLL_CTL_ADD);
  if (err_fd >= 0)
    ep_set (err_fd, &S.err_w, EPOLLIN, EPOLL_CTL_ADD);
  if (stdin_fd >= 0)
    ep_set (stdin_fd, &S.stdin_w, 0, EPOLL_CTL_ADD);
  /* A SIGCHLD may have come before the signalfd existed. */
  on_signal ();

  while (!S.quit)
    {
      struct epoll_event evs[16];
      int n = epoll_wait (S.ep, evs, 16, -1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          shim_diag ("error", "epoll_wait: %s", strerror (errno));
          return 1;
        }
      for (int i = 0; i < n && !S.quit; i++)
        {
          struct watch *w = evs[i].data.ptr;
          uint32_t e = evs[i].events;
          switch (w->kind)
            {
            case W_LISTEN:
              accept_clients ();
              break;
            case W_SIGNAL:
              on_signal ();
              break;
            case W_PARENT:
              if (w->fd >= 0)
                on_parent ();
              break;
            case W_OUT:
            case W_ERR:
              if (w->fd >= 0)
                output_read (w);
              break;
            case W_STDIN:
              if (w->fd >= 0 && (e & (EPOLLERR | EPOLLHUP)) && obuf_pending (&S.stdin_buf) == 0)
                stdin_close_now ();
              else
                stdin_flush ();
              break;
            case W_STALL:
              on_stall_timer ();
              break;
            case W_TIMER:
              shim_diag ("info", "container %s: grace period over, exiting", cfg->id);
              S.quit = 1;
              break;
            case W_XSYNC:
              if (w->fd >= 0)
                exec_sync_read (w->owner);
              break;
            case W_XOUT:
            case W_XERR:
              if (w->fd >= 0)
                exec_output_read (w->owner, w);
              break;
            case W_XIN:
              {
                struct exec_session *x = w->owner;
                if (w->fd >= 0 && (e & (EPOLLERR | EPOLLHUP)) && obuf_pending (&x->in_buf) == 0)
                  exec_close_watch (w);
                else
                  exec_stdin_flush (x);
                break;
              }
            case W_CLIENT:
              {
                struct client *c = (struct client *) w;
                if (c->dead)
                  break;
                if (e & EPOLLOUT)
                  client_flush (c);
                if (!c->dead && (e & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                  client_read (c);
                break;
              }
            }
        }
      sweep_clients ();
    }
  /* Best effort: replies already queued (shutdown's) go out before we leave. */
  for (struct client *c = S.clients; c != NULL; c = c->next)
    if (!c->dead)
      {
        int fl = fcntl (c->w.fd, F_GETFL);
        if (fl >= 0 && fcntl (c->w.fd, F_SETFL, fl & ~O_NONBLOCK) == 0)
          obuf_flush (&c->out, c->w.fd);
        client_close (c);
      }
  sweep_clients ();
  return S.quit == 2 ? 1 : 0;
}
