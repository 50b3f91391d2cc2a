/* The json-file log driver: Docker's format, so `docker logs` style readers work on it.
 * {"log":"<line with its \n>","stream":"stdout","time":"<RFC3339, 9 digits>Z"} per line;
 * a line longer than 16 KiB is cut into partial entries without the \n (daemon/logger
 * copier.go and jsonfilelog.go), and so is what is left when a stream ends. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "shim.h"

static const char hex[] = "0123456789abcdef";

/* The escaping is that of moby's jsonlog (ffjsonWriteJSONBytesAsString): only \n and \r get
 * short escapes, other controls (tab too) are \u00XX. */

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when invalid (Go's utf8.DecodeRune
 * rules: no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t
utf8_len (const unsigned char *p, size_t n, unsigned *cp)
{
  unsigned c = p[0];
  size_t need;
  unsigned min;
  if (c < 0x80)
    {
      *cp = c;
      return 1;
    }
  if ((c & 0xe0) == 0xc0)
    need = 2, min = 0x80, c &= 0x1f;
  else if ((c & 0xf0) == 0xe0)
    need = 3, min = 0x800, c &= 0x0f;
  else if ((c & 0xf8) == 0xf0)
    need = 4, min = 0x10000, c &= 0x07;
  else
    return 0;
  if (n < need)
    return 0;
  for (size_t i = 1; i < need; i++)
    {
      if ((p[i] & 0xc0) != 0x80)
        return 0;
      c = (c << 6) | (p[i] & 0x3f);
    }
  if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
    return 0;
  *cp = c;
  return need;
}

size_t
shim_json_bytes (char *out, const unsigned char *data, size_t len)
{
  size_t o = 0;
  for (size_t i = 0; i < len;)
    {
      /* Fast path: printable ASCII that needs no escape (nearly all log bytes). */
      unsigned char a = data[i];
      if (a >= 0x20 && a < 0x80 && a != '"' && a != '\\' && a != '<' && a != '>' && a != '&')
        {
          out[o++] = (char) a;
          i++;
          continue;
        }
      unsigned cp;
      size_t n = utf8_len (data + i, len - i, &cp);
      if (n == 0)
        {
          memcpy (out + o, "\\ufffd", 6);
          o += 6;
          i++;
          continue;
        }
      if (n > 1)
        {
          if (cp == 0x2028 || cp == 0x2029)
            {
              memcpy (out + o, cp == 0x2028 ? "\\u2028" : "\\u2029", 6);
              o += 6;
            }
          else
            {
              memcpy (out + o, data + i, n);
              o += n;
            }
          i += n;
          continue;
        }
      unsigned char c = data[i++];
      switch (c)
        {
        case '"':
        case '\\':
          out[o++] = '\\';
          out[o++] = (char) c;
          break;
        case '\n':
          out[o++] = '\\';
          out[o++] = 'n';
          break;
        case '\r':
          out[o++] = '\\';
          out[o++] = 'r';
          break;
        default:
          if (c < 0x20 || c == '<' || c == '>' || c == '&')
            {
              memcpy (out + o, "\\u00", 4);
              out[o + 4] = hex[c >> 4];
              out[o + 5] = hex[c & 15];
              o += 6;
            }
          else
            out[o++] = (char) c;
        }
    }
  return o;
}

void
shim_format_time (char *buf, size_t size, const struct timespec *ts)
{
  /* Called once per log entry: the date part is formatted once per second. */
  static time_t cached = (time_t) -1;
  static char date[32];
  if (ts->tv_sec != cached)
    {
      struct tm tm;
      time_t s = ts->tv_sec;
      gmtime_r (&s, &tm);
      strftime (date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
      cached = ts->tv_sec;
    }
  char frac[12];
  long ns = ts->tv_nsec;
  frac[0] = '.';
  for (int i = 9; i >= 1; i--, ns /= 10)
    frac[i] = (char) ('0' + ns % 10);
  frac[10] = 'Z';
  frac[11] = '\0';
  snprintf (buf, size, "%s%s", date, frac);
}

static const char *attrs;
static size_t attrs_len;

void
shim_log_set_attrs (const char *json)
{
  attrs = json;
  attrs_len = json != NULL ? strlen (json) : 0;
}

size_t
shim_log_entry_max (size_t len)
{
  return 6 * (len + 1) + 128 + attrs_len;
}

size_t
shim_log_format (char *out, const char *data, size_t len, int newline, const char *stream, const struct timespec *ts)
{
  size_t o = 0;
  memcpy (out, "{\"log\":\"", 8);
  o = 8;
  o += shim_json_bytes (out + o, (const unsigned char *) data, len);
  if (newline)
    {
      memcpy (out + o, "\\n", 2);
      o += 2;
    }
  char t[64];
  shim_format_time (t, sizeof t, ts);
  static const char mid[] = "\",\"stream\":\"", tm[] = "\",\"time\":\"", end[] = "\"}\n";
  size_t sl = strlen (stream), tl = strlen (t);
  memcpy (out + o, mid, sizeof mid - 1);
  o += sizeof mid - 1;
  memcpy (out + o, stream, sl);
  o += sl;
  if (attrs != NULL)
    {
      static const char at[] = "\",\"attrs\":";
      memcpy (out + o, at, sizeof at - 1);
      o += sizeof at - 1;
      memcpy (out + o, attrs, attrs_len);
      o += attrs_len;
      memcpy (out + o, ",\"time\":\"", 9);
      o += 9;
    }
  else
    {
      memcpy (out + o, tm, sizeof tm - 1);
      o += sizeof tm - 1;
    }
  memcpy (out + o, t, tl);
  o += tl;
  memcpy (out + o, end, sizeof end - 1);
  o += sizeof end - 1;
  return o;
}

int
shim_log_open (struct shim_log *log, const char *path, long long max_size, int max_file, berth_error_t *err)
{
  log->fd = -1;
  log->path = path;
  log->size = 0;
  log->max_size = max_size;
  log->max_file = max_file < 1 ? 1 : max_file;
  if (path == NULL)
    return 0;
  log->fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (log->fd < 0)
    return berth_make_error_path (err, errno, path, "open log `%s`", path);
  struct stat st;
  if (fstat (log->fd, &st) < 0)
    return berth_make_error_path (err, errno, path, "fstat `%s`", path);
  log->size = st.st_size;
  return 0;
}

/* Docker's rotation (loggerutils.LogFile): path.N-1 → path.N … path → path.1, then a fresh
 * file; with max-file 1 the file is truncated. */
static void
rotate (struct shim_log *log)
{
  if (log->max_file <= 1)
    {
      if (ftruncate (log->fd, 0) < 0)
        shim_diag ("warning", "truncate log `%s`: %s", log->path, strerror (errno));
      log->size = 0;
      return;
    }
  char from[4096], to[4096];
  for (int i = log->max_file - 1; i >= 1; i--)
    {
      snprintf (to, sizeof to, "%s.%d", log->path, i);
      if (i == 1)
        snprintf (from, sizeof from, "%s", log->path);
      else
        snprintf (from, sizeof from, "%s.%d", log->path, i - 1);
      if (rename (from, to) < 0 && errno != ENOENT)
        shim_diag ("warning", "rotate log `%s`: %s", from, strerror (errno));
    }
  int fd = open (log->path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0)
    {
      shim_diag ("warning", "reopen log `%s`: %s", log->path, strerror (errno));
      return; /* keep writing to the renamed file rather than lose lines */
    }
  close (log->fd);
  log->fd = fd;
  log->size = 0;
}

/* Entries are batched and written once per read of the container's output: a stream of
 * short lines must not cost one write(2) per line. */
static char batch[65536];
static size_t batch_len;

static void
batch_flush (struct shim_log *log)
{
  berth_error_t err = NULL;
  if (batch_len == 0 || log->fd < 0)
    {
      batch_len = 0;
      return;
    }
  if (berth_write_all (log->fd, batch, batch_len, &err) < 0)
    {
      shim_diag ("warning", "write log `%s`: %s", log->path, strerror (err->status));
      berth_error_release (&err);
    }
  batch_len = 0;
}

/* The time of the read being logged: lines that arrived in one read share it. */
static struct timespec read_time;

/* Docker's copier: a line cut into partial entries carries the time of its first part in
 * every part, the last one included. */
static void
write_entry (struct shim_log *log, struct shim_linebuf *lb, const char *data, size_t len, int newline)
{
  /* One entry is at most 16 KiB of input: 6x for escapes plus the envelope. */
  static char out[6 * (SHIM_LINE_MAX + 1) + 128 + SHIM_ATTRS_MAX];
  const struct timespec *ts = &read_time;
  if (!newline && !lb->partial)
    {
      lb->partial = 1;
      lb->partial_ts = read_time;
    }
  if (lb->partial)
    ts = &lb->partial_ts;
  if (newline)
    lb->partial = 0;
  if (log->fd < 0)
    return;
  size_t n = shim_log_format (out, data, len, newline, lb->stream, ts);
  if (log->max_size > 0 && log->size > 0 && log->size + (long long) n > log->max_size)
    {
      batch_flush (log);
      rotate (log);
    }
  if (batch_len + n > sizeof batch)
    batch_flush (log);
  if (n > sizeof batch)
    {
      berth_error_t err = NULL;
      if (berth_write_all (log->fd, out, n, &err) < 0)
        {
          shim_diag ("warning", "write log `%s`: %s", log->path, strerror (err->status));
          berth_error_release (&err);
        }
    }
  else
    {
      memcpy (batch + batch_len, out, n);
      batch_len += n;
    }
  log->size += (long long) n;
}

void
shim_log_feed (struct shim_log *log, struct shim_linebuf *lb, const char *data, size_t n)
{
  clock_gettime (CLOCK_REALTIME, &read_time);
  while (n > 0)
    {
      const char *nl = memchr (data, '\n', n);
      size_t take = nl != NULL ? (size_t) (nl - data) : n;
      size_t room = SHIM_LINE_MAX - lb->len;
      if (take >= room)
        {
          /* The buffer fills before the line ends: a partial entry, no \n. */
          memcpy (lb->buf + lb->len, data, room);
          write_entry (log, lb, lb->buf, SHIM_LINE_MAX, 0);
          lb->len = 0;
          data += room;
          n -= room;
          continue;
        }
      if (nl == NULL)
        {
          memcpy (lb->buf + lb->len, data, take);
          lb->len += take;
          break;
        }
      if (lb->len == 0)
        write_entry (log, lb, data, take, 1);
      else
        {
          memcpy (lb->buf + lb->len, data, take);
          write_entry (log, lb, lb->buf, lb->len + take, 1);
          lb->len = 0;
        }
      data += take + 1;
      n -= take + 1;
    }
  batch_flush (log);
}

void
shim_log_flush (struct shim_log *log, struct shim_linebuf *lb)
{
  clock_gettime (CLOCK_REALTIME, &read_time);
  if (lb->len > 0)
    write_entry (log, lb, lb->buf, lb->len, 0);
  lb->len = 0;
  batch_flush (log);
}
