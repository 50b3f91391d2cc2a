/* Fuzz harness for the plan decoder. With -fsanitize=fuzzer libFuzzer drives
 * LLVMFuzzerTestOneInput; otherwise main() is a plain driver: it runs each file given,
 * then -runs=N inputs made by mutating those files (bit flips, overwrites with boundary
 * values, truncation, insertion, splicing) or drawn at random. Run under ASan/UBSan by
 * `make test`, so any out-of-bounds read, leak or UB fails. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "test.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static long decoded; /* inputs that decoded: shows the mutations reach past the header */

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct berth_plan *plan = NULL;
  berth_error_t err = NULL;
  if (berth_plan_decode (data, size, &plan, &err) == 0)
    {
      /* What the executor relies on after a successful decode. */
      if (plan->nops == 0 || plan->ops[plan->nops - 1].opcode != BERTH_OP_EXEC)
        abort ();
      for (size_t i = 0; i < plan->nops; i++)
        if (strlen (berth_opcode_schema (plan->ops[i].opcode)) != plan->ops[i].nargs)
          abort ();
      berth_plan_free (plan);
      decoded++;
    }
  else if (err == NULL || err->msg == NULL || plan != NULL)
    abort ();
  berth_error_release (&err);
  return 0;
}

#ifndef BERTH_LIBFUZZER
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
next (void)
{
  /* xorshift64*: deterministic, so a failure reproduces with the same -seed. */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 0x2545f4914f6cdd1dULL;
}

static size_t
mutate (uint8_t *buf, size_t len, size_t cap, const uint8_t *other, size_t other_len)
{
  static const uint8_t boundary[] = { 0x00, 0x01, 0x02, 0x03, 0x7f, 0x80, 0xfe, 0xff };
  int rounds = 1 + (int) (next () % 4);
  for (int r = 0; r < rounds; r++)
    {
      switch (next () % 6)
        {
        case 0:
          if (len)
            buf[next () % len] ^= (uint8_t) (1u << (next () % 8));
          break;
        case 1:
          if (len)
            buf[next () % len] = boundary[next () % sizeof boundary];
          break;
        case 2:
          if (len)
            len = next () % len;
          break;
        case 3:
          if (len < cap)
            {
              size_t at = next () % (len + 1);
              memmove (buf + at + 1, buf + at, len - at);
              buf[at] = (uint8_t) next ();
              len++;
            }
          break;
        case 4:
          if (len >= 4)
            {
              size_t at = next () % (len - 3);
              uint32_t v = (uint32_t) next () >> (next () % 32);
              memcpy (buf + at, &v, 4);
            }
          break;
        default:
          if (other_len && len)
            {
              size_t at = next () % len, from = next () % other_len;
              size_t n = other_len - from < cap - at ? other_len - from : cap - at;
              memcpy (buf + at, other + from, n);
              if (at + n > len)
                len = at + n;
            }
          break;
        }
    }
  return len;
}

int
main (int argc, char **argv)
{
  long runs = 1000;
  unsigned char *seeds[64];
  size_t seed_len[64];
  int nseeds = 0;
  for (int i = 1; i < argc; i++)
    {
      if (strncmp (argv[i], "-runs=", 6) == 0)
        runs = strtol (argv[i] + 6, NULL, 10);
      else if (strncmp (argv[i], "-seed=", 6) == 0)
        rng = strtoull (argv[i] + 6, NULL, 10) | 1;
      else if (nseeds < 64)
        {
          seeds[nseeds] = read_file (argv[i], &seed_len[nseeds]);
          if (seeds[nseeds] == NULL)
            {
              fprintf (stderr, "fuzz: cannot read %s\n", argv[i]);
              return 1;
            }
          LLVMFuzzerTestOneInput (seeds[nseeds], seed_len[nseeds]);
          nseeds++;
        }
    }
  size_t cap = 1 << 16;
  uint8_t *buf = malloc (cap);
  if (buf == NULL)
    return 1;
  for (long i = 0; i < runs; i++)
    {
      size_t len;
      if (nseeds == 0 || next () % 8 == 0)
        {
          len = next () % 256;
          for (size_t j = 0; j < len; j++)
            buf[j] = (uint8_t) next ();
        }
      else
        {
          int s = (int) (next () % (uint64_t) nseeds), o = (int) (next () % (uint64_t) nseeds);
          len = seed_len[s] < cap ? seed_len[s] : cap;
          memcpy (buf, seeds[s], len);
          len = mutate (buf, len, cap, seeds[o], seed_len[o]);
        }
      /* An exact-size copy so ASan sees any read past the end. */
      uint8_t *input = malloc (len ? len : 1);
      if (input == NULL)
        return 1;
      memcpy (input, buf, len);
      LLVMFuzzerTestOneInput (input, len);
      free (input);
    }
  free (buf);
  for (int i = 0; i < nseeds; i++)
    free (seeds[i]);
  printf ("fuzz_plan_decode: %d seeds, %ld runs, %ld decoded, no crash\n", nseeds, runs, decoded);
  return 0;
}
#endif
