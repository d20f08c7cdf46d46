/*
 * unit_wal.h - the object names under wal/ of a made-up bucket, for the
 * unit tests of retention (test_catalog.c) and of the choice of a backup
 * and the WAL chain (test_select.c).
 */
#ifndef UNIT_WAL_H
#define UNIT_WAL_H

#include <stdlib.h>
#include <string.h>

#include "sg_buf.h"

typedef struct wal_set
{
	char	  **names;
	int			n;
	size_t		cap;
} wal_set;

static inline void
wal_name_add(wal_set *w, const char *name)
{
	w->names = sg_array_grow(w->names, sizeof(char *), w->n, &w->cap, 256);
	w->names[w->n++] = sg_strdup(name);
}

static inline void
wal_free(wal_set *w)
{
	for (int i = 0; i < w->n; i++)
		free(w->names[i]);
	free(w->names);
	memset(w, 0, sizeof(*w));
}

#endif							/* UNIT_WAL_H */
