/*
 * sg_error.c - filling sg_error reports (see sg_error.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sg_error.h"

void
sg_error_clear(sg_error *err)
{
	memset(err, 0, sizeof(*err));
}

/* always returns false, so callers can write "return sg_error_set(...)" */
bool
sg_error_set(sg_error *err, sg_error_kind kind, const char *fmt,...)
{
	va_list		ap;

	err->kind = kind;
	err->detail[0] = '\0';
	err->hint[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return false;
}

void
sg_error_detail(sg_error *err, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

void
sg_error_hint(sg_error *err, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
}
