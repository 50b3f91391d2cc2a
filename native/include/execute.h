/* The child side of berth-init: run a decoded plan's ops in order. */
#ifndef BERTH_EXECUTE_H
#define BERTH_EXECUTE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "plan.h"

/* What the ops share while they run. */
struct berth_exec_ctx
{
  int sync_fd;       /* fd 3: JSON lines to the runtime, length-prefixed replies from it */
  int parent_fd;     /* socketpair end to the berth-init parent (pty master when relaying) */
  int wait_mode;     /* 1 with --wait: a parent stays to relay a pty */
  int fifo_fd;       /* from open-exec-fifo, -1 before */
  int console_fd;    /* from connect-console-socket, -1 before */
  int console_early; /* console_fd was connected by the parent before it joined namespaces */
  uint8_t *state;    /* the last state received by `sync`, handed to `run-hook` on stdin */
  size_t state_len;
};

/* Run every op; on failure *failed is the op's index and err says why. Returns only on
 * failure (the last op, exec, replaces the process). */
int berth_execute (const struct berth_plan *plan, struct berth_exec_ctx *ctx, size_t *failed, berth_error_t *err);

/* One handler per op family; each takes the op and the context. */
typedef int (*berth_op_fn) (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);

int berth_op_unshare (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_mount (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_mkdir (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_touch (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_symlink (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_mknod (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_bind_device (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_mask_path (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_readonly_path (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_write_file (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_pivot_root (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_chroot (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_sethostname (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_setdomainname (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_rlimit (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_umask (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_chdir (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_set_user (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_capabilities (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_no_new_privileges (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_seccomp (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_open_exec_fifo (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_wait_start (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_exec (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_connect_console (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_setup_console (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_sync (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);
int berth_op_run_hook (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err);

/* Send fd over a unix socket with SCM_RIGHTS and `name` as the payload (runc's SendFile). */
int berth_send_fd (int sock, int fd, const char *name, berth_error_t *err);

/* Receive an fd sent by berth_send_fd; returns the fd, or 0 with *fd = -1 at EOF. */
int berth_recv_fd (int sock, int *fd, berth_error_t *err);

#endif
