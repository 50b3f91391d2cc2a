/* The parent side of berth-init (the files in init/). */
#ifndef BERTH_INIT_H
#define BERTH_INIT_H

#include <sys/types.h>

#include "error.h"
#include "plan.h"

#include <signal.h>

/* --wait, before clone: install the forwarding handlers with the forwarded signals blocked,
 * so that none is lost or mishandled while the child's pid is not yet known. */
void berth_wait_prepare (sigset_t *saved);

/* In the child: default dispositions and the original mask again. */
void berth_wait_child_reset (const sigset_t *saved);

/* In the parent once clone returned: forward to `child` from now on. */
void berth_wait_set_child (pid_t child, const sigset_t *saved);

/* --wait: forward signals to `child`, relay a pty received on `parent_fd` when `relay`
 * is set, reap the child and return the exit status berth-init should exit with. */
int berth_wait_child (pid_t child, int parent_fd, int relay);

/* Write the uid/gid maps of a child in a new user namespace. */
int berth_write_id_maps (pid_t pid, const struct berth_plan *plan, berth_error_t *err);

#endif
