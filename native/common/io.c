/* fd helpers shared by the executor's parent and child. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io.h"

int
berth_write_all (int fd, const void *buf, size_t len, berth_error_t *err)
{
  const char *p = buf;
  /* On a socket, a gone reader is EPIPE, not a SIGPIPE that would kill the container
   * process with a misleading status. */
  int sock = 1;
  while (len > 0)
    {
      ssize_t n = sock ? send (fd, p, len, MSG_NOSIGNAL) : write (fd, p, len);
      if (n < 0 && sock && errno == ENOTSOCK)
        {
          sock = 0;
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return berth_make_error (err, errno, "write to fd %d", fd);
      p += n;
      len -= (size_t) n;
    }
  return 0;
}

int
berth_read_all (int fd, void *buf, size_t len, berth_error_t *err)
{
  char *p = buf;
  while (len > 0)
    {
      ssize_t n = read (fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return berth_make_error (err, errno, "read from fd %d", fd);
      if (n == 0)
        return berth_make_error (err, EPIPE, "read from fd %d: unexpected end of file", fd);
      p += n;
      len -= (size_t) n;
    }
  return 0;
}

int
berth_read_msg (int fd, size_t max, uint8_t **out, size_t *outlen, berth_error_t *err)
{
  uint8_t hdr[4];
  if (berth_read_all (fd, hdr, sizeof hdr, err) < 0)
    return -1;
  size_t len = (size_t) hdr[0] | ((size_t) hdr[1] << 8) | ((size_t) hdr[2] << 16) | ((size_t) hdr[3] << 24);
  if (len > max)
    return berth_make_error (err, E2BIG, "read message: %zu bytes is over the limit of %zu", len, max);
  uint8_t *buf = malloc (len ? len : 1);
  if (buf == NULL)
    return berth_make_error (err, ENOMEM, "read message: malloc");
  if (berth_read_all (fd, buf, len, err) < 0)
    {
      free (buf);
      return -1;
    }
  *out = buf;
  *outlen = len;
  return 0;
}

void
berth_json_escape (char *out, size_t outsize, const char *s)
{
  size_t o = strlen (out);
  for (; *s != '\0' && o + 7 < outsize; s++)
    {
      unsigned char c = (unsigned char) *s;
      if (c == '"' || c == '\\')
        {
          out[o++] = '\\';
          out[o++] = (char) c;
        }
      else if (c < 0x20)
        o += (size_t) snprintf (out + o, outsize - o, "\\u%04x", c);
      else
        out[o++] = (char) c;
    }
  out[o] = '\0';
}

void
berth_report_error (int fd, long op, const char *name, const berth_error_t e)
{
  char line[8192];
  char *text = berth_error_text (e);
  snprintf (line, sizeof line, "{\"type\":\"error\",\"op\":%ld,\"name\":\"", op);
  berth_json_escape (line, sizeof line - 64, name);
  snprintf (line + strlen (line), sizeof line - strlen (line), "\",\"errno\":%d,\"message\":\"", e->status);
  berth_json_escape (line, sizeof line - 4096, text);
  if (e->path != NULL)
    {
      strcat (line, "\",\"path\":\"");
      berth_json_escape (line, sizeof line - 8, e->path);
    }
  strcat (line, "\"}\n");
  free (text);
  /* Best effort: there is nowhere else to report a failed report. */
  berth_error_t ignored = NULL;
  berth_write_all (fd, line, strlen (line), &ignored);
  berth_error_release (&ignored);
}
