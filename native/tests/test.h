/* Minimal assertions for the C unit tests: exit 0 pass, 1 fail, 77 skip (crun's convention). */
#ifndef BERTH_TEST_H
#define BERTH_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int berth_test_failures __attribute__ ((unused));

#define CHECK(cond)                                                                      \
  do                                                                                     \
    {                                                                                    \
      if (!(cond))                                                                       \
        {                                                                                \
          fprintf (stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);      \
          berth_test_failures++;                                                         \
        }                                                                                \
    }                                                                                    \
  while (0)

#define CHECK_STR(a, b) CHECK ((a) != NULL && strcmp ((a), (b)) == 0)

#define TEST_EXIT() return berth_test_failures ? 1 : 0

/* Read a whole file; NULL when missing. */
static inline unsigned char *
read_file (const char *path, size_t *len)
{
  FILE *f = fopen (path, "rb");
  if (f == NULL)
    return NULL;
  unsigned char *buf = NULL;
  size_t cap = 0, n = 0, r;
  do
    {
      if (n == cap)
        {
          cap = cap ? cap * 2 : 4096;
          unsigned char *p = realloc (buf, cap);
          if (p == NULL)
            abort ();
          buf = p;
        }
      r = fread (buf + n, 1, cap - n, f);
      n += r;
    }
  while (r > 0);
  fclose (f);
  *len = n;
  return buf;
}

#endif
