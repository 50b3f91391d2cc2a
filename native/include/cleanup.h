/* Scope-bound release of fds and heap memory (crun utils.h), so early returns are safe. */
#ifndef BERTH_CLEANUP_H
#define BERTH_CLEANUP_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static inline void
berth_cleanup_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
}

static inline void
berth_cleanup_freep (void *p)
{
  void **pp = (void **) p;
  free (*pp);
}

#define cleanup_close __attribute__ ((cleanup (berth_cleanup_closep)))
#define cleanup_free __attribute__ ((cleanup (berth_cleanup_freep)))

#endif
