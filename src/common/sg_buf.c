/*
 * sg_buf.c - growable byte buffer and allocation helpers (see sg_buf.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_buf.h"

static sg_out_of_memory_fn out_of_memory_handler = NULL;

void
sg_set_out_of_memory_handler(sg_out_of_memory_fn fn)
{
	out_of_memory_handler = fn;
}

static void
out_of_memory(size_t size)
{
	if (out_of_memory_handler)
		out_of_memory_handler(size);
	fprintf(stderr, "sgbackup: out of memory (%zu bytes)\n", size);
	abort();
}

void *
sg_malloc(size_t size)
{
	void	   *p = malloc(size ? size : 1);

	if (p == NULL)
		out_of_memory(size);
	return p;
}

void *
sg_realloc(void *p, size_t size)
{
	void	   *q = realloc(p, size ? size : 1);

	if (q == NULL)
		out_of_memory(size);
	return q;
}

void *
sg_array_grow(void *items, size_t elem_size, size_t count, size_t *capacity,
			  size_t first)
{
	size_t		cap = *capacity;

	if (count < cap && items != NULL)
		return items;
	if (cap == 0)
		cap = first ? first : 1;
	while (cap <= count)
	{
		if (cap > SIZE_MAX / 2 / elem_size)
			out_of_memory(SIZE_MAX);
		cap *= 2;
	}
	items = sg_realloc(items, cap * elem_size);
	*capacity = cap;
	return items;
}

char *
sg_strdup(const char *s)
{
	char	   *copy;

	if (s == NULL)
		return NULL;
	copy = strdup(s);
	if (copy == NULL)
		out_of_memory(strlen(s) + 1);
	return copy;
}

char *
sg_read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	sg_buf		b;
	char		chunk[8192];
	size_t		n;
	int			save_errno;

	if (f == NULL)
		return NULL;
	sg_buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		sg_buf_append(&b, chunk, n);
	if (ferror(f))
	{
		save_errno = errno;
		fclose(f);
		sg_buf_free(&b);
		errno = save_errno;
		return NULL;
	}
	fclose(f);
	if (len)
		*len = b.len;
	return b.data;
}

void
sg_buf_init(sg_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	sg_buf_reserve(b, 64);
}

void
sg_buf_free(sg_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
sg_buf_reset(sg_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
sg_buf_reserve(sg_buf *b, size_t extra)
{
	size_t		need = b->len + extra + 1;
	size_t		cap = b->cap ? b->cap : 64;

	if (extra >= SIZE_MAX - b->len)
		out_of_memory(SIZE_MAX);
	if (need <= b->cap)
		return;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->data = sg_realloc(b->data, cap);
	b->cap = cap;
	b->data[b->len] = '\0';
}

void
sg_buf_append(sg_buf *b, const void *data, size_t len)
{
	sg_buf_reserve(b, len);
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
sg_buf_append_str(sg_buf *b, const char *s)
{
	sg_buf_append(b, s, strlen(s));
}

void
sg_buf_printf(sg_buf *b, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sg_buf_reserve(b, (size_t) n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t) n;
}
