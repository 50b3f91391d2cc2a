/* Whole-buffer reads and writes, length-prefixed messages (TS to C) and JSON lines (C to TS). */
#ifndef BERTH_IO_H
#define BERTH_IO_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* write(2) all of buf, retrying on EINTR and short writes. */
int berth_write_all (int fd, const void *buf, size_t len, berth_error_t *err);

/* read(2) exactly len bytes; EOF before that is an error (status EPIPE). */
int berth_read_all (int fd, void *buf, size_t len, berth_error_t *err);

/* Read a u32le length and then that many bytes (at most max) into a fresh buffer. */
int berth_read_msg (int fd, size_t max, uint8_t **out, size_t *outlen, berth_error_t *err);

/* Append `s` to `out` as the body of a JSON string (without quotes). */
void berth_json_escape (char *out, size_t outsize, const char *s);

/* Write {"type":"error","op":N,"name":..,"errno":..,"message":..[,"path":..]}\n on fd. */
void berth_report_error (int fd, long op, const char *name, const berth_error_t e);

#endif
