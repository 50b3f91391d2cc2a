/* crun's error convention: a function that can fail takes `berth_error_t *err`, returns a
 * negative value and fills `{status = errno, msg, path}`. The message names the syscall
 * and the path; strerror(status) is appended only when the error is reported. */
#ifndef BERTH_ERROR_H
#define BERTH_ERROR_H

#include <stddef.h>

struct berth_error_s
{
  int status;  /* errno, or 0 when the failure is not a syscall's */
  char *msg;   /* "syscall `path`" style, never NULL once set */
  char *path;  /* the path the failing call was applied to, or NULL */
  int complete; /* msg already says everything: do not append strerror(status) */
};
typedef struct berth_error_s *berth_error_t;

/* Set *err (if not already set) and return -1. */
int berth_make_error (berth_error_t *err, int status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Like berth_make_error, and records `path` for the error report. */
int berth_make_error_path (berth_error_t *err, int status, const char *path, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

/* Prefix the message of an existing error with outer context ("mount: " + msg). */
int berth_error_wrap (berth_error_t *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* "msg: strerror(status)" (or just msg when status is 0); caller frees. */
char *berth_error_text (const berth_error_t err);

void berth_error_release (berth_error_t *err);

#endif
