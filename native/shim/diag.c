/* The shim's own diagnostics: JSON lines like runc's nsenter log (level, msg, time) on a
 * file given on the command line. Never the container's stdio. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "io.h"
#include "shim.h"

static int diag_fd = 2;

void
shim_diag_init (int fd)
{
  diag_fd = fd;
}

void
shim_diag (const char *level, const char *fmt, ...)
{
  char msg[1024], line[2048], t[64];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  shim_format_time (t, sizeof t, &ts);
  snprintf (line, sizeof line, "{\"level\":\"%s\",\"msg\":\"", level);
  berth_json_escape (line, sizeof line - 64, msg);
  snprintf (line + strlen (line), sizeof line - strlen (line), "\",\"time\":\"%s\"}\n", t);
  berth_error_t err = NULL;
  if (berth_write_all (diag_fd, line, strlen (line), &err) < 0)
    berth_error_release (&err); /* nowhere left to say it */
}
