/* Console ops: connect-console-socket and setup-console, plus fd passing (SCM_RIGHTS). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "execute.h"

int
berth_send_fd (int sock, int fd, const char *name, berth_error_t *err)
{
  char cbuf[CMSG_SPACE (sizeof (int))];
  memset (cbuf, 0, sizeof cbuf);
  struct iovec iov = { .iov_base = (void *) name, .iov_len = strlen (name) };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof (int));
  ssize_t n;
  do
    n = sendmsg (sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return berth_make_error (err, errno, "sendmsg SCM_RIGHTS");
  return 0;
}

int
berth_recv_fd (int sock, int *fd, berth_error_t *err)
{
  char name[4096];
  char cbuf[CMSG_SPACE (sizeof (int))];
  memset (cbuf, 0, sizeof cbuf);
  struct iovec iov = { .iov_base = name, .iov_len = sizeof name };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  ssize_t n;
  *fd = -1;
  do
    n = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return berth_make_error (err, errno, "recvmsg SCM_RIGHTS");
  if (n == 0)
    return 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&msg); c != NULL; c = CMSG_NXTHDR (&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN (sizeof (int)))
      memcpy (fd, CMSG_DATA (c), sizeof (int));
  if (*fd < 0)
    return berth_make_error (err, EBADMSG, "recvmsg: no fd in the message");
  return *fd;
}

int
berth_op_connect_console (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  const char *path = op->args[0].s;
  /* Already connected by the parent, in the caller's mount namespace (exec into a
   * container, where the host path is not visible any more). */
  if (ctx->console_early)
    return 0;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen (path) >= sizeof addr.sun_path)
    return berth_make_error_path (err, ENAMETOOLONG, path, "connect console socket `%s`", path);
  strcpy (addr.sun_path, path);
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return berth_make_error (err, errno, "socket");
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    {
      int saved = errno;
      close (fd);
      return berth_make_error_path (err, saved, path, "connect console socket `%s`", path);
    }
  if (ctx->console_fd >= 0)
    close (ctx->console_fd);
  ctx->console_fd = fd;
  return 0;
}

static int
open_pty_peer (int master, berth_error_t *err)
{
  int fd = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd >= 0)
    return fd;
  /* Kernels before 4.13: open the slave by name. */
  unsigned int n;
  char path[64];
  if (ioctl (master, TIOCGPTN, &n) < 0)
    return berth_make_error (err, errno, "ioctl TIOCGPTN");
  snprintf (path, sizeof path, "/dev/pts/%u", n);
  fd = open (path, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return berth_make_error_path (err, errno, path, "open `%s`", path);
  return fd;
}

int
berth_op_setup_console (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  int unlock = 0;
  cleanup_close int master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return berth_make_error_path (err, errno, "/dev/ptmx", "open `/dev/ptmx`");
  if (ioctl (master, TIOCSPTLCK, &unlock) < 0)
    return berth_make_error (err, errno, "ioctl TIOCSPTLCK");
  cleanup_close int slave = open_pty_peer (master, err);
  if (slave < 0)
    return -1;
  struct winsize ws = { .ws_row = (unsigned short) op->args[0].u, .ws_col = (unsigned short) op->args[1].u };
  if ((ws.ws_row || ws.ws_col) && ioctl (slave, TIOCSWINSZ, &ws) < 0)
    return berth_make_error (err, errno, "ioctl TIOCSWINSZ");

  int sock = ctx->console_fd >= 0 ? ctx->console_fd : ctx->wait_mode ? ctx->parent_fd : -1;
  if (sock < 0)
    return berth_make_error (err, ENOTCONN, "setup-console: no console socket and no parent to relay the pty");
  if (berth_send_fd (sock, master, "/dev/ptmx", err) < 0)
    return -1;
  if (ctx->console_fd >= 0)
    {
      close (ctx->console_fd);
      ctx->console_fd = -1;
    }

  /* berth-init already made us a session leader; a plan run some other way may not have. */
  if (getsid (0) != getpid () && setsid () < 0)
    return berth_make_error (err, errno, "setsid");
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return berth_make_error (err, errno, "ioctl TIOCSCTTY");
  for (int i = 0; i <= 2; i++)
    if (dup2 (slave, i) < 0)
      return berth_make_error (err, errno, "dup2 the pty onto fd %d", i);
  return 0;
}
