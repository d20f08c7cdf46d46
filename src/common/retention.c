/*
 * retention.c - the retention plan and carrying it out (see retention.h).
 */
#include <stdlib.h>
#include <string.h>

#include "retention.h"
#include "sg_buf.h"

/* ---------------------------------------------------------------- */
/* retention plan */

#define POS_NONE	UINT64_MAX

/* (log, seg) of a 24-hex segment name, timeline ignored */
static uint64_t
segment_position(const char *name)
{
	uint32_t	log,
				seg;

	if (!sg_parse_hex32(name + 8, 8, &log) || !sg_parse_hex32(name + 16, 8, &seg))
		return POS_NONE;
	return ((uint64_t) log << 32) | seg;
}

/*
 * Position of a WAL object name for retention: segments, .partial and
 * .backup files by their segment.  POS_NONE for .history files and names
 * we do not know, which are never deleted.
 */
static uint64_t
wal_position(const char *name)
{
	size_t		len = strlen(name);

	if (len < 24 || strspn(name, "0123456789ABCDEF") < 24)
		return POS_NONE;
	if (len == 24 ||
		(len == 32 && strcmp(name + 24, ".partial") == 0) ||
		(len == 40 && name[24] == '.' && strspn(name + 25, "0123456789ABCDEF") == 8 &&
		 strcmp(name + 33, ".backup") == 0))
		return segment_position(name);
	return POS_NONE;
}

/* a needs less history than b: strictly older by LSN, else by start time */
static bool
backup_older(const backup_info *a, const backup_info *b)
{
	if (a->start_lsn != 0 && b->start_lsn != 0 && a->start_lsn != b->start_lsn)
		return a->start_lsn < b->start_lsn;
	if (a->started_at != 0 && b->started_at != 0)
		return a->started_at < b->started_at;
	return false;
}

static void
plan_add(char ***arr, int *n, const char *prefix, const char *name)
{
	size_t		plen = strlen(prefix);
	char	   *s = sg_malloc(plen + strlen(name) + 1);

	memcpy(s, prefix, plen);
	strcpy(s + plen, name);
	*arr = sg_realloc(*arr, sizeof(char *) * (*n + 1));
	(*arr)[(*n)++] = s;
}

/* a WAL range that must stay: [from, to] */
typedef struct pos_range
{
	uint64_t	from;
	uint64_t	to;
} pos_range;

/*
 * The position below which WAL may go, and the ranges permanent backups
 * need; false when no WAL may be deleted at all.
 */
static bool
wal_cutoff(const backup_info *const *sorted, int n, const bool *kept,
		   uint64_t *cutoff, pos_range *ranges, int *nranges)
{
	bool		any_kept = false;

	*cutoff = POS_NONE;
	*nranges = 0;
	for (int i = 0; i < n; i++)
	{
		const backup_info *b = sorted[i];
		uint64_t	start = b->start_wal[0] ? segment_position(b->start_wal) : POS_NONE;

		if (b->status == BACKUP_COMPLETED && b->permanent)
		{
			/* without a known start, what it needs is unknown: keep all */
			if (start == POS_NONE)
				return false;
			ranges[*nranges].from = start;
			ranges[*nranges].to = b->stop_wal[0] ? segment_position(b->stop_wal) : POS_NONE;
			(*nranges)++;
		}
		else if (kept[i] || b->status == BACKUP_RUNNING)
		{
			/* a kept backup without a start anchors nothing: keep all */
			if (kept[i] && start == POS_NONE)
				return false;
			if (start < *cutoff)
				*cutoff = start;
			any_kept |= kept[i];
		}
	}
	return any_kept;
}

static void
plan_wal(const backup_info *const *sorted, int n, const bool *kept,
		 char *const *wal_names, int nwal, retention_plan *plan)
{
	pos_range  *ranges = sg_malloc(sizeof(pos_range) * (n ? n : 1));
	int			nranges;
	uint64_t	cutoff;

	if (wal_cutoff(sorted, n, kept, &cutoff, ranges, &nranges))
	{
		for (int i = 0; i < nwal; i++)
		{
			uint64_t	pos = wal_position(wal_names[i]);
			bool		needed = pos == POS_NONE || pos >= cutoff;

			for (int r = 0; !needed && r < nranges; r++)
				needed = pos >= ranges[r].from && pos <= ranges[r].to;
			if (!needed)
				plan_add(&plan->wal, &plan->nwal, "wal/", wal_names[i]);
		}
	}
	free(ranges);
}

static int
backup_ptr_cmp(const void *a, const void *b)
{
	return backup_order_cmp(*(const backup_info *const *) a, *(const backup_info *const *) b);
}

bool
retention_make_plan(const backup_info *backups, int nbackups,
					char *const *wal_names, int nwal, int keep,
					history_read_fn read_history, void *arg,
					retention_plan *plan, sg_error *err)
{
	const backup_info **sorted = sg_malloc(sizeof(backup_info *) * (nbackups ? nbackups : 1));
	bool	   *kept = sg_malloc(sizeof(bool) * (nbackups ? nbackups : 1));
	const backup_info *newest_completed = NULL;
	int			managed = 0;

	memset(plan, 0, sizeof(*plan));
	if (keep < 1)
		keep = 1;				/* never plan away every backup */
	for (int i = 0; i < nbackups; i++)
		sorted[i] = &backups[i];
	qsort(sorted, nbackups, sizeof(backup_info *), backup_ptr_cmp);

	/* newest first: the first `keep` completed managed backups stay */
	for (int i = nbackups - 1; i >= 0; i--)
	{
		const backup_info *b = sorted[i];

		kept[i] = false;
		if (b->status != BACKUP_COMPLETED)
			continue;
		if (newest_completed == NULL)
			newest_completed = b;
		if (b->permanent)
			continue;
		if (managed++ < keep)
			kept[i] = true;
	}
	for (int i = 0; i < nbackups; i++)
	{
		const backup_info *b = sorted[i];
		bool		drop;

		if (b->status == BACKUP_COMPLETED)
			drop = !b->permanent && !kept[i];
		else
			drop = b->status == BACKUP_FAILED && newest_completed != NULL &&
				backup_older(b, newest_completed);
		if (drop)
			plan_add(&plan->backups, &plan->nbackups, "", b->name);
	}
	plan_wal(sorted, nbackups, kept, wal_names, nwal, plan);
	free(sorted);
	free(kept);
	return true;
}

void
retention_plan_free(retention_plan *plan)
{
	for (int i = 0; i < plan->nbackups; i++)
		free(plan->backups[i]);
	for (int i = 0; i < plan->nwal; i++)
		free(plan->wal[i]);
	free(plan->backups);
	free(plan->wal);
	memset(plan, 0, sizeof(*plan));
}


/* ---------------------------------------------------------------- */
/* carrying it out */

bool
retention_execute(s3_client *c, const retention_plan *plan, sg_error *err)
{
	for (int i = 0; i < plan->nbackups; i++)
	{
		if (!backup_catalog_delete(c, plan->backups[i], err))
			return false;
	}
	if (plan->nwal == 0)
		return true;
	return s3_delete_objects(c, (const char *const *) plan->wal, plan->nwal, err);
}


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
		ok = retention_make_plan(backups, nbackups, wal.names, wal.n, keep,
								 NULL, NULL, plan, err) &&
			retention_execute(c, plan, err);
	}
	if (backups)
		backup_list_free(backups, nbackups);
	for (int i = 0; i < wal.n; i++)
		free(wal.names[i]);
	free(wal.names);
	return ok;
}
