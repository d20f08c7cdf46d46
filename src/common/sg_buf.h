/*
 * sg_buf.h - a growable byte buffer (malloc based) for code shared by the
 * server and the sgbackup program; data is always NUL-terminated for
 * convenience.  Out of memory calls the handler set with
 * sg_set_out_of_memory_handler, which must not return (the server's raises
 * an ERROR); without one, or if it returns, the process aborts.
 */
#ifndef SG_BUF_H
#define SG_BUF_H

#include <stddef.h>

typedef struct sg_buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} sg_buf;

/* called with the size that could not be allocated; must not return */
typedef void (*sg_out_of_memory_fn) (size_t size);
extern void sg_set_out_of_memory_handler(sg_out_of_memory_fn fn);

extern void sg_buf_init(sg_buf *b);
extern void sg_buf_free(sg_buf *b);
extern void sg_buf_reset(sg_buf *b);
extern void sg_buf_reserve(sg_buf *b, size_t extra);
extern void sg_buf_append(sg_buf *b, const void *data, size_t len);
extern void sg_buf_append_str(sg_buf *b, const char *s);
extern void sg_buf_printf(sg_buf *b, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
/* malloc'ed copy of s (NULL stays NULL); aborts on out of memory */
extern char *sg_strdup(const char *s);
extern void *sg_malloc(size_t size);
extern void *sg_realloc(void *p, size_t size);

/*
 * Room for one more item in a growable array: items holds count items of
 * elem_size bytes in *capacity slots; returns the array, grown (doubling,
 * from first slots) when it is full.  The one growable array of src/common:
 *
 *     names = sg_array_grow(names, sizeof(*names), n, &cap, 64);
 *     names[n++] = name;
 */
extern void *sg_array_grow(void *items, size_t elem_size, size_t count,
						   size_t *capacity, size_t first);
/* whole file as a malloc'ed NUL-terminated string; NULL with errno set */
extern char *sg_read_file(const char *path, size_t *len);

#endif							/* SG_BUF_H */
