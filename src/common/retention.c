/*
 * retention.c - apply retention to the bucket (see retention.h).
 */
#include <stdlib.h>
#include <string.h>

#include "retention.h"
#include "sg_buf.h"

typedef struct name_list
{
	char	  **names;
	int			n;
	int			cap;
} name_list;

/* collect object names under wal/ (without the "wal/") */
static bool
collect_wal(void *arg, const s3_list_entry *e)
{
	name_list  *l = arg;
	const char *name = strncmp(e->key, "wal/", 4) == 0 ? e->key + 4 : e->key;

	if (l->n == l->cap)
	{
		l->cap = l->cap ? l->cap * 2 : 256;
		l->names = sg_realloc(l->names, sizeof(char *) * l->cap);
	}
	l->names[l->n++] = sg_strdup(name);
	return true;
}

bool
sg_retention_run(s3_client *c, int keep, backup_running_fn is_running,
				 void *arg, retention_plan *plan, sg_error *err)
{
	backup_info *backups = NULL;
	int			nbackups = 0;
	name_list	wal = {0};
	bool		ok;

	memset(plan, 0, sizeof(*plan));
	/* the WAL is listed first: a segment archived meanwhile is newer than every backup */
	ok = s3_list_objects(c, "wal/", collect_wal, &wal, err) &&
		backup_catalog_list(c, is_running, arg, &backups, &nbackups, err);
	if (ok)
	{
		retention_make_plan(backups, nbackups, wal.names, wal.n, keep, plan);
		ok = retention_execute(c, plan, err);
	}
	if (backups)
		backup_list_free(backups, nbackups);
	for (int i = 0; i < wal.n; i++)
		free(wal.names[i]);
	free(wal.names);
	return ok;
}
