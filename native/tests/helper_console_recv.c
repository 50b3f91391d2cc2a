/* Test helper (not a unit test): a console-socket receiver like runc's recvtty. Listens on
 * argv[1], accepts one connection, receives the pty master sent with SCM_RIGHTS, prints
 * "name=<payload>" and then copies everything the container writes to the pty to stdout. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  if (argc != 2)
    {
      fprintf (stderr, "usage: console-recv SOCKET\n");
      return 2;
    }
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen (argv[1]) >= sizeof addr.sun_path)
    return 2;
  strcpy (addr.sun_path, argv[1]);
  int l = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (l < 0 || bind (l, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (l, 1) < 0)
    {
      perror ("console-recv: listen");
      return 1;
    }
  int c = accept4 (l, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0)
    {
      perror ("console-recv: accept");
      return 1;
    }
  char name[4096];
  char cbuf[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { .iov_base = name, .iov_len = sizeof name - 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  ssize_t n = recvmsg (c, &msg, MSG_CMSG_CLOEXEC);
  if (n < 0)
    {
      perror ("console-recv: recvmsg");
      return 1;
    }
  name[n] = '\0';
  int master = -1;
  struct cmsghdr *cm = CMSG_FIRSTHDR (&msg);
  if (cm != NULL && cm->cmsg_type == SCM_RIGHTS)
    memcpy (&master, CMSG_DATA (cm), sizeof (int));
  if (master < 0)
    {
      fprintf (stderr, "console-recv: no fd received\n");
      return 1;
    }
  printf ("name=%s\n", name);
  fflush (stdout);
  char buf[4096];
  for (;;)
    {
      ssize_t r = read (master, buf, sizeof buf);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break; /* EIO once the container's side of the pty is closed */
      if (write (STDOUT_FILENO, buf, (size_t) r) != r)
        return 1;
    }
  return 0;
}
