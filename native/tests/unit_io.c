/* The report helpers: JSON escaping, error text, error lines and length-prefixed reads. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io.h"
#include "test.h"

static void
test_escape (void)
{
  char out[64] = "";
  berth_json_escape (out, sizeof out, "a\"b\\c\n\x01");
  CHECK_STR (out, "a\\\"b\\\\c\\u000a\\u0001");
  /* Truncates instead of overflowing. */
  char small[10] = "";
  berth_json_escape (small, sizeof small, "0123456789abcdef");
  CHECK (strlen (small) < sizeof small);
}

static void
test_error_text (void)
{
  berth_error_t err = NULL;
  CHECK (berth_make_error_path (&err, ENOENT, "/x", "open `%s`", "/x") == -1);
  /* A second error does not replace the first. */
  berth_make_error (&err, EPERM, "other");
  char *text = berth_error_text (err);
  CHECK_STR (text, "open `/x`: No such file or directory");
  free (text);
  berth_error_wrap (&err, "op %d", 3);
  text = berth_error_text (err);
  CHECK_STR (text, "op 3: open `/x`: No such file or directory");
  free (text);
  err->complete = 1;
  text = berth_error_text (err);
  CHECK_STR (text, "op 3: open `/x`");
  free (text);
  berth_error_release (&err);
  CHECK (err == NULL);
}

static void
test_report_line (void)
{
  int p[2];
  CHECK (pipe (p) == 0);
  berth_error_t err = NULL;
  berth_make_error_path (&err, EACCES, "/a\"b", "mount `%s`", "/a\"b");
  berth_report_error (p[1], 4, "mount", err);
  berth_error_release (&err);
  close (p[1]);
  char buf[512];
  ssize_t n = read (p[0], buf, sizeof buf - 1);
  close (p[0]);
  CHECK (n > 0);
  buf[n > 0 ? n : 0] = '\0';
  CHECK_STR (buf, "{\"type\":\"error\",\"op\":4,\"name\":\"mount\",\"errno\":13,"
                  "\"message\":\"mount `/a\\\"b`: Permission denied\",\"path\":\"/a\\\"b\"}\n");
}

static void
test_read_msg (void)
{
  int p[2];
  CHECK (pipe (p) == 0);
  const unsigned char msg[] = { 3, 0, 0, 0, 'a', 'b', 'c', 200, 0, 0, 0 };
  CHECK (write (p[1], msg, sizeof msg) == (ssize_t) sizeof msg);
  close (p[1]);
  uint8_t *out = NULL;
  size_t len = 0;
  berth_error_t err = NULL;
  CHECK (berth_read_msg (p[0], 100, &out, &len, &err) == 0 && len == 3 && memcmp (out, "abc", 3) == 0);
  free (out);
  /* 200 bytes is over the limit of 100. */
  CHECK (berth_read_msg (p[0], 100, &out, &len, &err) < 0 && err != NULL && err->status == E2BIG);
  berth_error_release (&err);
  /* EOF in the middle of a header. */
  CHECK (berth_read_msg (p[0], 100, &out, &len, &err) < 0 && err != NULL && err->status == EPIPE);
  berth_error_release (&err);
  close (p[0]);
}

static void
test_write_to_gone_reader (void)
{
  int sv[2];
  CHECK (socketpair (AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  close (sv[1]);
  berth_error_t err = NULL;
  /* EPIPE, and this process is still alive to check it (no SIGPIPE). */
  CHECK (berth_write_all (sv[0], "x", 1, &err) < 0 && err != NULL && err->status == EPIPE);
  berth_error_release (&err);
  close (sv[0]);
}

int
main (void)
{
  test_escape ();
  test_error_text ();
  test_report_line ();
  test_read_msg ();
  test_write_to_gone_reader ();
  TEST_EXIT ();
}
