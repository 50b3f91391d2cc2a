/* Unit tests of the json-file writer: Go-compatible escaping, Docker's line splitting with
 * 16 KiB partial entries (one timestamp for all parts), the last unterminated line, and
 * rotation. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"
#include "test.h"

static char *
esc (const char *in, size_t len)
{
  static char out[4096];
  size_t n = shim_json_bytes (out, (const unsigned char *) in, len);
  out[n] = '\0';
  return out;
}

/* The "log" values of a json-file, each with the raw JSON body (escapes kept). */
static int
entries (const char *path, char bodies[][40000], char streams[][8], int max)
{
  size_t len;
  unsigned char *data = read_file (path, &len);
  if (data == NULL)
    return 0;
  int n = 0;
  char *p = (char *) data;
  char *end = p + len;
  while (p < end && n < max)
    {
      char *nl = memchr (p, '\n', (size_t) (end - p));
      if (nl == NULL)
        break;
      *nl = '\0';
      char *s = strstr (p, "{\"log\":\"");
      char *e = strstr (p, "\",\"stream\":\"");
      if (s == p && e != NULL && (size_t) (e - (s + 8)) < sizeof bodies[0])
        {
          memcpy (bodies[n], s + 8, (size_t) (e - (s + 8)));
          bodies[n][e - (s + 8)] = '\0';
          snprintf (streams[n], sizeof streams[n], "%.6s", e + 12);
          CHECK (strstr (e, "\",\"time\":\"") != NULL);
          CHECK (nl[-1] == '}');
          n++;
        }
      p = nl + 1;
    }
  free (data);
  return n;
}

static char bodies[16][40000];
static char streams[16][8];

int
main (void)
{
  /* moby's jsonlog: quotes, backslash, \n \r, other controls (tab too) as \u00XX, DEL
   * kept, HTML characters escaped, U+2028/9 escaped, invalid UTF-8 as \ufffd, valid UTF-8
   * kept. */
  CHECK_STR (esc ("a\"b\\c", 5), "a\\\"b\\\\c");
  CHECK_STR (esc ("\n\r\t\x01\x1f\x7f", 6), "\\n\\r\\u0009\\u0001\\u001f\x7f");
  CHECK_STR (esc ("<&>", 3), "\\u003c\\u0026\\u003e");
  CHECK_STR (esc ("\xe2\x80\xa8x", 4), "\\u2028x");
  CHECK_STR (esc ("\xc3\xa9", 2), "\xc3\xa9");
  CHECK_STR (esc ("\xff\xc3", 2), "\\ufffd\\ufffd");
  CHECK_STR (esc ("\xed\xa0\x80", 3), "\\ufffd\\ufffd\\ufffd"); /* a surrogate */
  CHECK_STR (esc ("\xc0\xaf", 2), "\\ufffd\\ufffd");             /* an overlong '/' */
  CHECK_STR (esc ("a\0b", 3), "a\\u0000b");

  char t[64];
  struct timespec ts = { .tv_sec = 0, .tv_nsec = 5 };
  shim_format_time (t, sizeof t, &ts);
  CHECK_STR (t, "1970-01-01T00:00:00.000000005Z");

  char dir[] = "/tmp/berth-shim-unit-XXXXXX";
  if (mkdtemp (dir) == NULL)
    return 77;
  char path[256];
  snprintf (path, sizeof path, "%s/json.log", dir);
  struct shim_log log;
  berth_error_t err = NULL;
  CHECK (shim_log_open (&log, path, 0, 1, &err) == 0);
  static struct shim_linebuf out = { .stream = "stdout" }, errb = { .stream = "stderr" };

  /* Lines split across reads, two lines in one read, an empty line, a last line without \n. */
  shim_log_feed (&log, &out, "hel", 3);
  shim_log_feed (&log, &errb, "e1\n", 3);
  shim_log_feed (&log, &out, "lo\nworld\n\nta", 12);
  shim_log_feed (&log, &out, "il", 2);
  shim_log_flush (&log, &out);
  shim_log_flush (&log, &errb);
  int n = entries (path, bodies, streams, 16);
  CHECK (n == 5);
  CHECK_STR (bodies[0], "e1\\n");
  CHECK_STR (streams[0], "stderr");
  CHECK_STR (bodies[1], "hello\\n");
  CHECK_STR (streams[1], "stdout");
  CHECK_STR (bodies[2], "world\\n");
  CHECK_STR (bodies[3], "\\n");
  CHECK_STR (bodies[4], "tail"); /* Docker: a partial entry, no \n */

  /* A 40000-byte line: two 16 KiB partial entries without \n, then the rest with it. */
  CHECK (ftruncate (log.fd, 0) == 0);
  static char big[40001];
  memset (big, 'a', 40000);
  big[40000] = '\n';
  shim_log_feed (&log, &out, big, 20000);
  usleep (2000);
  shim_log_feed (&log, &out, big + 20000, 20001);
  n = entries (path, bodies, streams, 16);
  CHECK (n == 3);
  CHECK (strlen (bodies[0]) == SHIM_LINE_MAX && strchr (bodies[0], '\\') == NULL);
  CHECK (strlen (bodies[1]) == SHIM_LINE_MAX && strchr (bodies[1], '\\') == NULL);
  CHECK (strlen (bodies[2]) == 40000 - 2 * SHIM_LINE_MAX + 2);
  CHECK (strcmp (bodies[2] + strlen (bodies[2]) - 2, "\\n") == 0);
  /* Every part of the cut line carries the time of its first part. */
  {
    size_t len2;
    unsigned char *raw = read_file (path, &len2);
    char *t1 = raw ? strstr ((char *) raw, "\"time\":\"") : NULL;
    char *t2 = t1 ? strstr (t1 + 1, "\"time\":\"") : NULL;
    char *t3 = t2 ? strstr (t2 + 1, "\"time\":\"") : NULL;
    CHECK (t3 != NULL && strncmp (t1, t2, 40) == 0 && strncmp (t1, t3, 40) == 0);
    free (raw);
  }
  close (log.fd);

  /* Rotation with max-file 3: json.log.1 and json.log.2 appear, nothing beyond. */
  char rpath[256], p1[300], p2[300], p3[300];
  snprintf (rpath, sizeof rpath, "%s/rot.log", dir);
  CHECK (shim_log_open (&log, rpath, 300, 3, &err) == 0);
  for (int i = 0; i < 20; i++)
    shim_log_feed (&log, &out, "0123456789012345678901234567890123456789\n", 41);
  snprintf (p1, sizeof p1, "%s.1", rpath);
  snprintf (p2, sizeof p2, "%s.2", rpath);
  snprintf (p3, sizeof p3, "%s.3", rpath);
  struct stat st;
  CHECK (stat (rpath, &st) == 0 && st.st_size > 0 && st.st_size <= 300);
  CHECK (stat (p1, &st) == 0 && st.st_size > 0 && st.st_size <= 300);
  CHECK (stat (p2, &st) == 0 && st.st_size > 0 && st.st_size <= 300);
  CHECK (stat (p3, &st) < 0);
  close (log.fd);

  /* --log-attrs: "attrs" between "stream" and "time", as moby's jsonlog orders them. */
  {
    char buf[512];
    struct timespec ts = { .tv_sec = 0, .tv_nsec = 5 };
    shim_log_set_attrs ("{\"tag\":\"web\"}");
    size_t n = shim_log_format (buf, "hi", 2, 1, "stdout", &ts);
    buf[n] = '\0';
    CHECK_STR (buf, "{\"log\":\"hi\\n\",\"stream\":\"stdout\",\"attrs\":{\"tag\":\"web\"},\"time\":\"1970-01-01T00:00:00.000000005Z\"}\n");
    CHECK (n <= shim_log_entry_max (2));
    shim_log_set_attrs (NULL);
    n = shim_log_format (buf, "hi", 2, 1, "stdout", &ts);
    buf[n] = '\0';
    CHECK_STR (buf, "{\"log\":\"hi\\n\",\"stream\":\"stdout\",\"time\":\"1970-01-01T00:00:00.000000005Z\"}\n");
  }

  unlink (path);
  unlink (rpath);
  unlink (p1);
  unlink (p2);
  rmdir (dir);
  TEST_EXIT ();
}
