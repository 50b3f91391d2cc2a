/* The error object of every fallible native function (see include/error.h). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static char *
vformat (const char *fmt, va_list ap)
{
  char *out = NULL;
  if (vasprintf (&out, fmt, ap) < 0)
    return NULL;
  return out;
}

static int
make_error (berth_error_t *err, int status, const char *path, const char *fmt, va_list ap)
{
  if (err == NULL || *err != NULL)
    return -1;
  struct berth_error_s *e = calloc (1, sizeof (*e));
  if (e == NULL)
    abort ();
  e->status = status;
  e->msg = vformat (fmt, ap);
  if (e->msg == NULL)
    abort ();
  if (path != NULL)
    {
      e->path = strdup (path);
      if (e->path == NULL)
        abort ();
    }
  *err = e;
  return -1;
}

int
berth_make_error (berth_error_t *err, int status, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  make_error (err, status, NULL, fmt, ap);
  va_end (ap);
  return -1;
}

int
berth_make_error_path (berth_error_t *err, int status, const char *path, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  make_error (err, status, path, fmt, ap);
  va_end (ap);
  return -1;
}

int
berth_error_wrap (berth_error_t *err, const char *fmt, ...)
{
  if (err == NULL || *err == NULL)
    return -1;
  va_list ap;
  va_start (ap, fmt);
  char *prefix = vformat (fmt, ap);
  va_end (ap);
  if (prefix == NULL)
    abort ();
  char *joined = NULL;
  if (asprintf (&joined, "%s: %s", prefix, (*err)->msg) < 0)
    abort ();
  free (prefix);
  free ((*err)->msg);
  (*err)->msg = joined;
  return -1;
}

char *
berth_error_text (const berth_error_t err)
{
  char *out = NULL;
  int r;
  if (err->status != 0 && !err->complete)
    r = asprintf (&out, "%s: %s", err->msg, strerror (err->status));
  else
    r = asprintf (&out, "%s", err->msg);
  if (r < 0)
    abort ();
  return out;
}

void
berth_error_release (berth_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free ((*err)->path);
  free (*err);
  *err = NULL;
}
