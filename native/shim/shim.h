/* berth-shim: one small process per container (the role of containerd-shim / conmon).
 * The socket protocol and the files it writes are described in native/shim/README.md. */
#ifndef BERTH_SHIM_H
#define BERTH_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "error.h"
#include "plan.h"

/* Docker's copier splits log lines at 16 KiB (daemon/logger/copier.go bufSize). */
#define SHIM_LINE_MAX 16384

/* The command line. */
struct shim_config
{
  const char *id;
  const char *state_dir;
  const char *log_path;   /* NULL with the `none` driver */
  const char *shim_log;   /* our diagnostics (JSON lines); NULL: stderr */
  int terminal;
  int open_stdin;
  long long log_max_size; /* bytes; 0: no rotation */
  int log_max_file;       /* files kept when rotating (Docker's max-file, default 1) */
  int exit_grace;         /* seconds to keep serving after the container exited */
  const char *oom_file;   /* a cgroup file with an `oom_kill N` line (v1 memory.oom_control, v2 memory.events) */
  const char *sync_socket; /* connect here for fd 3 instead of inheriting it */
};

/* The json-file writer (Docker's format, one entry per line or 16 KiB chunk). */
struct shim_log
{
  int fd;              /* -1: the `none` driver */
  const char *path;
  long long size;
  long long max_size;
  int max_file;
};

/* A stream's bytes not yet logged: the start of a line without its newline. */
struct shim_linebuf
{
  const char *stream; /* "stdout" or "stderr" */
  int partial;             /* a partial entry of the current line was written */
  struct timespec partial_ts; /* the time of its first part: every part and the end carry it */
  size_t len;
  char buf[SHIM_LINE_MAX];
};

int shim_log_open (struct shim_log *log, const char *path, long long max_size, int max_file, berth_error_t *err);

/* Log `n` bytes read from a stream: complete lines (with their \n) are written at once,
 * a line that fills the 16 KiB buffer is written as a partial entry without \n. */
void shim_log_feed (struct shim_log *log, struct shim_linebuf *lb, const char *data, size_t n);

/* The stream ended: write what is left as a partial entry (no \n), as Docker does. */
void shim_log_flush (struct shim_log *log, struct shim_linebuf *lb);

/* The longest `attrs` object accepted (`--log-attrs`). */
#define SHIM_ATTRS_MAX 4096

/* Every later entry carries `"attrs":<json>` between "stream" and "time" (moby's jsonlog
 * field order); json is a JSON object the caller rendered, or NULL for none. */
void shim_log_set_attrs (const char *json);

/* Format one json-file entry into out (at least shim_log_entry_max(len) bytes); returns its length. */
size_t shim_log_format (char *out, const char *data, size_t len, int newline, const char *stream, const struct timespec *ts);
size_t shim_log_entry_max (size_t len);

/* Append `data` to out as the body of a JSON string the way Docker's jsonlog does
 * (\n, \r, \" and \\ short; other controls, <, >, & as \u00XX; U+2028/9 escaped;
 * invalid UTF-8 as \ufffd per byte); returns bytes written. out must hold 6 * len bytes. */
size_t shim_json_bytes (char *out, const unsigned char *data, size_t len);

/* "2026-11-25T12:00:00.123456789Z" (always nine digits); buf holds 40 bytes. */
void shim_format_time (char *buf, size_t size, const struct timespec *ts);

/* Our own diagnostics: {"level":..,"msg":..,"time":..} on the diagnostics fd. */
void shim_diag (const char *level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void shim_diag_init (int fd);

/* The container process, created from the plan (spawn.c). */
struct shim_child
{
  pid_t pid;
  int parent_fd; /* our end of the socketpair: pty master (SCM_RIGHTS), "E" on failure, EOF at exec */
};

/* Stdio the child gets: fds for 0, 1, 2 (-1: /dev/null). */
struct shim_stdio
{
  int in, out, err;
};

/* Run berth-init's parent steps for `plan` and clone the container process, which runs
 * the ops with stdio from `io`. Reports the pid on fd 3. On failure *step names the step
 * for the error report (berth-init's names: cgroup-procs, exec-fifo, clone, ...). */
int shim_spawn (const struct berth_plan *plan, const struct shim_stdio *io, struct shim_child *child, const char **step,
                berth_error_t *err);

/* The `oom_kill` count in a cgroup file opened as fd (-1 when unreadable). */
long long shim_oom_kills (int fd);

/* The event loop: serve the socket, pump stdio, log, reap. Returns the shim's exit status. */
int shim_serve (const struct shim_config *cfg, int dirfd, int listen_fd, struct shim_child *child, int out_fd, int err_fd,
                int stdin_fd, struct shim_log *log);

#endif
