/* Ops on the process's own attributes: unshare, sethostname, setdomainname, rlimit. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "execute.h"

int
berth_op_unshare (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  (void) ctx;
  if (unshare ((int) op->args[0].u) < 0)
    return berth_make_error (err, errno, "unshare 0x%llx", (unsigned long long) op->args[0].u);
  return 0;
}

int
berth_op_sethostname (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  (void) ctx;
  if (sethostname (op->args[0].s, op->args[0].len) < 0)
    return berth_make_error (err, errno, "sethostname `%s`", op->args[0].s);
  return 0;
}

int
berth_op_setdomainname (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  (void) ctx;
  if (setdomainname (op->args[0].s, op->args[0].len) < 0)
    return berth_make_error (err, errno, "setdomainname `%s`", op->args[0].s);
  return 0;
}

int
berth_op_rlimit (const struct berth_op *op, struct berth_exec_ctx *ctx, berth_error_t *err)
{
  (void) ctx;
  struct rlimit rl = { .rlim_cur = (rlim_t) op->args[1].u, .rlim_max = (rlim_t) op->args[2].u };
  if (setrlimit ((__rlimit_resource_t) op->args[0].u, &rl) < 0)
    return berth_make_error (err, errno, "setrlimit %llu", (unsigned long long) op->args[0].u);
  return 0;
}
