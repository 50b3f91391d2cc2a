/* Dispatch a plan's ops, in order, to their handlers. */
#include <errno.h>

#include "execute.h"

static const berth_op_fn handlers[BERTH_OP_LAST + 1] = {
  [BERTH_OP_UNSHARE] = berth_op_unshare,
  [BERTH_OP_MOUNT] = berth_op_mount,
  [BERTH_OP_MKDIR] = berth_op_mkdir,
  [BERTH_OP_TOUCH] = berth_op_touch,
  [BERTH_OP_SYMLINK] = berth_op_symlink,
  [BERTH_OP_MKNOD] = berth_op_mknod,
  [BERTH_OP_BIND_DEVICE] = berth_op_bind_device,
  [BERTH_OP_PIVOT_ROOT] = berth_op_pivot_root,
  [BERTH_OP_CHROOT] = berth_op_chroot,
  [BERTH_OP_MASK_PATH] = berth_op_mask_path,
  [BERTH_OP_READONLY_PATH] = berth_op_readonly_path,
  [BERTH_OP_WRITE_FILE] = berth_op_write_file,
  [BERTH_OP_SETHOSTNAME] = berth_op_sethostname,
  [BERTH_OP_SETDOMAINNAME] = berth_op_setdomainname,
  [BERTH_OP_RLIMIT] = berth_op_rlimit,
  [BERTH_OP_UMASK] = berth_op_umask,
  [BERTH_OP_OPEN_EXEC_FIFO] = berth_op_open_exec_fifo,
  [BERTH_OP_CONNECT_CONSOLE] = berth_op_connect_console,
  [BERTH_OP_SETUP_CONSOLE] = berth_op_setup_console,
  [BERTH_OP_SYNC] = berth_op_sync,
  [BERTH_OP_RUN_HOOK] = berth_op_run_hook,
  [BERTH_OP_SET_USER] = berth_op_set_user,
  [BERTH_OP_CAPABILITIES] = berth_op_capabilities,
  [BERTH_OP_NO_NEW_PRIVILEGES] = berth_op_no_new_privileges,
  [BERTH_OP_SECCOMP] = berth_op_seccomp,
  [BERTH_OP_CHDIR] = berth_op_chdir,
  [BERTH_OP_WAIT_START] = berth_op_wait_start,
  [BERTH_OP_EXEC] = berth_op_exec,
};

int
berth_execute (const struct berth_plan *plan, struct berth_exec_ctx *ctx, size_t *failed, berth_error_t *err)
{
  for (size_t i = 0; i < plan->nops; i++)
    {
      const struct berth_op *op = &plan->ops[i];
      berth_op_fn fn = op->opcode <= BERTH_OP_LAST ? handlers[op->opcode] : NULL;
      *failed = i;
      if (fn == NULL)
        return berth_make_error (err, EINVAL, "no handler for opcode %u", op->opcode);
      if (fn (op, ctx, err) < 0)
        return -1;
    }
  *failed = plan->nops;
  return berth_make_error (err, EINVAL, "plan ended without exec");
}
