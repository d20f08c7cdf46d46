/*
 * backup_retention.c - the retention plan and carrying it out (see backup_retention.h).
 *
 * Which backups go.  Backups are taken in the order of backup_order_cmp:
 * completed ones by when they finished, the others by when they started.
 * Not by LSN: a restore into the same bucket path forks a new timeline at
 * an older LSN, so the newest backup can have the lowest LSN.  The newest
 * `keep` completed managed backups stay; older completed managed backups
 * go, and failed backups that come before the newest completed one.
 * Permanent and running backups never go.
 *
 * Which WAL stays.  A WAL file (segment, .partial, .backup) is named by its
 * timeline and its position (the segment).  Every kept backup - a managed
 * one kept, a permanent one, a running one - needs WAL to become
 * consistent; managed and running ones also need WAL to replay forward,
 * along their own timeline or any timeline that descends from it:
 *
 *  - its own timeline T, from its start segment on;
 *  - every timeline D that descends from T after the backup's start: D's
 *    history (wal/<D>.history, one line per ancestor with the switch
 *    point where D's line of history left it) names T with a switch point
 *    at or after the backup's start LSN.  All of D's WAL stays: it all
 *    lies after that switch point.  A timeline forked from T before the
 *    start cannot be reached from the backup, whose recovery starts after
 *    the fork.
 *
 * Start or stop LSN as the bound?  Recovery from a backup B is consistent
 * only at B's stop LSN, and B's end-of-backup record is on T after its
 * stop; a timeline that left T at a switch point S between B's start and
 * stop never has that record, so recovery from B along it never becomes
 * consistent.  The stop LSN is thus the exact bound, and the start LSN the
 * conservative one: it also keeps timelines forked during the backup (WAL
 * that no restore of B can use, at most as much as one backup spans), and
 * it is known for a running backup, whose stop is not.  Too high a bound
 * would delete WAL a restore needs; this one only keeps some longer.
 *
 * A permanent backup keeps only its own WAL, start to stop segment on its
 * timeline (as a running one would, it holds the WAL forward when its stop
 * is unknown or on another timeline).  Timeline 1 has no history; a
 * timeline whose history file is missing or cannot be read is unknown,
 * and all its WAL stays.  .history files and names that are not WAL
 * stay.  With no kept managed backup, no WAL goes at all.
 *
 * Memory: besides the plan, a table with one entry per timeline that has
 * a history file or a kept backup, one per permanent backup, and one
 * history file's text at a time; each WAL name costs two binary searches.
 */
#include <stdlib.h>
#include <string.h>

#include "backup_retention.h"
#include "timeline.h"
#include "wal_store.h"

#define POS_NONE	UINT64_MAX
#define LSN_NONE	UINT64_MAX


/* ---------------------------------------------------------------- */
/* WAL names */

/* a WAL file's place: timeline, and (log << 32 | seg) of its segment */
typedef struct wal_place
{
	uint32_t	tli;
	uint64_t	pos;
} wal_place;

/*
 * The place of a segment, .partial or .backup name; false for .history
 * files and names we do not know, which are never deleted.
 */
static bool
wal_place_of(const char *name, wal_place *out)
{
	wal_file_kind kind = wal_file_parse(name, &out->tli, &out->pos);

	return kind == WAL_FILE_SEGMENT || kind == WAL_FILE_PARTIAL || kind == WAL_FILE_BACKUP;
}

/* the timeline of "NNNNNNNN.history" */
static bool
history_timeline_of(const char *name, uint32_t *tli)
{
	return wal_file_parse(name, tli, NULL) == WAL_FILE_HISTORY;
}

/* ---------------------------------------------------------------- */
/* what the kept backups need */

/* what retention knows of one timeline */
typedef struct timeline_need
{
	uint32_t	tli;
	bool		known;			/* timeline 1, or its history file was read */
	uint64_t	keep_from;		/* its WAL from this position on stays */
	uint64_t	anchor_lsn;		/* lowest start LSN of a backup replaying on it */
} timeline_need;

/* WAL on one timeline that a permanent backup needs: [from, to] */
typedef struct wal_range
{
	uint32_t	tli;
	uint64_t	from;
	uint64_t	to;
} wal_range;

typedef struct wal_needs
{
	bool		keep_all;		/* what a kept backup needs is unknown */
	timeline_need *timelines;	/* sorted by tli, one entry each */
	int			ntimelines;
	wal_range  *ranges;			/* sorted, disjoint on each timeline */
	int			nranges;
} wal_needs;

static timeline_need *
timeline_add(wal_needs *needs, uint32_t tli)
{
	timeline_need *t = &needs->timelines[needs->ntimelines++];

	t->tli = tli;
	t->known = tli == 1;
	t->keep_from = POS_NONE;
	t->anchor_lsn = LSN_NONE;
	return t;
}

static timeline_need *
timeline_find(const wal_needs *needs, uint32_t tli)
{
	int			lo = 0,
				hi = needs->ntimelines - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (needs->timelines[mid].tli == tli)
			return &needs->timelines[mid];
		if (needs->timelines[mid].tli < tli)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

static int
timeline_cmp(const void *a, const void *b)
{
	uint32_t	ta = ((const timeline_need *) a)->tli;
	uint32_t	tb = ((const timeline_need *) b)->tli;

	return ta < tb ? -1 : ta > tb;
}

/* sort the table and merge the entries of one timeline */
static void
timelines_merge(wal_needs *needs)
{
	int			n = 0;

	qsort(needs->timelines, needs->ntimelines, sizeof(timeline_need), timeline_cmp);
	for (int i = 0; i < needs->ntimelines; i++)
	{
		timeline_need *t = &needs->timelines[i];
		timeline_need *last = n > 0 ? &needs->timelines[n - 1] : NULL;

		if (last == NULL || last->tli != t->tli)
		{
			needs->timelines[n++] = *t;
			continue;
		}
		last->known |= t->known;
		if (t->keep_from < last->keep_from)
			last->keep_from = t->keep_from;
		if (t->anchor_lsn < last->anchor_lsn)
			last->anchor_lsn = t->anchor_lsn;
	}
	needs->ntimelines = n;
}

static int
range_cmp(const void *a, const void *b)
{
	const wal_range *ra = a;
	const wal_range *rb = b;

	if (ra->tli != rb->tli)
		return ra->tli < rb->tli ? -1 : 1;
	return ra->from < rb->from ? -1 : ra->from > rb->from;
}

/* sort the ranges and merge those that overlap */
static void
ranges_merge(wal_needs *needs)
{
	int			n = 0;

	qsort(needs->ranges, needs->nranges, sizeof(wal_range), range_cmp);
	for (int i = 0; i < needs->nranges; i++)
	{
		wal_range  *r = &needs->ranges[i];
		wal_range  *last = n > 0 ? &needs->ranges[n - 1] : NULL;

		if (last != NULL && last->tli == r->tli && r->from <= last->to)
		{
			if (r->to > last->to)
				last->to = r->to;
		}
		else
			needs->ranges[n++] = *r;
	}
	needs->nranges = n;
}

/* a permanent backup's range holds this place */
static bool
in_ranges(const wal_needs *needs, const wal_place *w)
{
	int			lo = 0,
				hi = needs->nranges - 1;

	/* the last range starting at or before the place */
	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		const wal_range *r = &needs->ranges[mid];

		if (r->tli < w->tli || (r->tli == w->tli && r->from <= w->pos))
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return hi >= 0 && needs->ranges[hi].tli == w->tli && needs->ranges[hi].to >= w->pos;
}

/* a backup that replays forward from its start (a kept or running one) */
static void
add_anchor(wal_needs *needs, const wal_place *start, uint64_t start_lsn)
{
	timeline_need *t = timeline_add(needs, start->tli);

	t->keep_from = start->pos;
	/* an unknown start LSN: every descendant counts */
	t->anchor_lsn = start_lsn;
}

/* the WAL one backup needs; kept says it is a managed backup kept */
static void
add_backup_needs(wal_needs *needs, const backup_info *b, bool kept)
{
	bool		permanent = b->status == BACKUP_COMPLETED && b->permanent;
	wal_place	start,
				stop;

	if (!kept && !permanent && b->status != BACKUP_RUNNING)
		return;
	if (!wal_place_of(b->start_wal, &start))
	{
		/* a running backup without a start has not written its checkpoint yet */
		if (b->status != BACKUP_RUNNING)
			needs->keep_all = true;
		return;
	}
	if (permanent && wal_place_of(b->stop_wal, &stop) && stop.tli == start.tli)
	{
		wal_range  *r = &needs->ranges[needs->nranges++];

		r->tli = start.tli;
		r->from = start.pos;
		r->to = stop.pos;
		return;
	}
	add_anchor(needs, &start, b->start_lsn);
}

/*
 * The table of timelines: timeline 1, those of the backups that replay
 * forward, and those with a history file in the listing.
 */
static void
needs_init(wal_needs *needs, const backup_info *const *sorted, int n,
		   const bool *kept, char *const *wal_names, int nwal)
{
	int			nhistories = 0;
	uint32_t	tli;
	bool		any_kept = false;

	memset(needs, 0, sizeof(*needs));
	for (int i = 0; i < nwal; i++)
		nhistories += history_timeline_of(wal_names[i], &tli);
	needs->timelines = sg_malloc(sizeof(timeline_need) * (1 + n + nhistories));
	needs->ranges = sg_malloc(sizeof(wal_range) * (n ? n : 1));
	timeline_add(needs, 1);
	for (int i = 0; i < n; i++)
	{
		add_backup_needs(needs, sorted[i], kept[i]);
		any_kept |= kept[i];
	}
	if (!any_kept)
		needs->keep_all = true;
	for (int i = 0; i < nwal; i++)
	{
		if (history_timeline_of(wal_names[i], &tli))
			timeline_add(needs, tli);
	}
	timelines_merge(needs);
	ranges_merge(needs);
}

static void
needs_free(wal_needs *needs)
{
	free(needs->timelines);
	free(needs->ranges);
}

/* ---------------------------------------------------------------- */
/* history files */

/*
 * Read the history file of timeline tli: false when it is not a valid one
 * (timeline_history_parse).  *reached when an ancestor is the timeline of
 * a backup that replays forward, with the switch point off it at or after
 * that backup's start.
 */
static bool
history_reaches(const wal_needs *needs, const char *text, size_t len,
				uint32_t tli, bool *reached)
{
	timeline_history h;
	sg_error	ignored;

	*reached = false;
	if (!timeline_history_parse(text, len, tli, &h, &ignored))
		return false;
	for (int i = 0; i < h.n; i++)
	{
		const timeline_need *ancestor = timeline_find(needs, h.parents[i].tli);

		if (ancestor != NULL && ancestor->anchor_lsn != LSN_NONE &&
			h.parents[i].end >= ancestor->anchor_lsn)
			*reached = true;
	}
	timeline_history_free(&h);
	return true;
}

/* read every history file of the listing into the table, one at a time */
static bool
read_histories(wal_needs *needs, char *const *wal_names, int nwal,
			   history_read_fn read_history, void *arg, sg_error *err)
{
	sg_buf		text;
	bool		ok = true;

	sg_buf_init(&text);
	for (int i = 0; ok && i < nwal; i++)
	{
		uint32_t	tli;
		timeline_need *t;
		bool		reached;
		int			rc;

		if (!history_timeline_of(wal_names[i], &tli) || tli == 1)
			continue;
		t = timeline_find(needs, tli);
		sg_buf_reset(&text);
		rc = read_history(arg, wal_names[i], &text, err);
		if (rc < 0)
			ok = false;
		else if (rc == 1 && history_reaches(needs, text.data, text.len, tli, &reached))
		{
			t->known = true;
			if (reached)
				t->keep_from = 0;
		}
	}
	sg_buf_free(&text);
	return ok;
}

/* ---------------------------------------------------------------- */
/* the plan */

/* add prefix + name to a list that grows by doubling */
static void
plan_add(char ***arr, int *n, const char *prefix, const char *name)
{
	size_t		plen = strlen(prefix);
	char	   *s = sg_malloc(plen + strlen(name) + 1);

	memcpy(s, prefix, plen);
	strcpy(s + plen, name);
	if ((*n & (*n - 1)) == 0)	/* 0, 1, 2, 4, ...: full */
		*arr = sg_realloc(*arr, sizeof(char *) * (*n ? *n * 2 : 1));
	(*arr)[(*n)++] = s;
}

static bool
wal_needed(const wal_needs *needs, const char *name)
{
	wal_place	w;
	const timeline_need *t;

	if (!wal_place_of(name, &w))
		return true;
	t = timeline_find(needs, w.tli);
	if (t == NULL || !t->known || w.pos >= t->keep_from)
		return true;
	return in_ranges(needs, &w);
}

static bool
plan_wal(const backup_info *const *sorted, int n, const bool *kept,
		 char *const *wal_names, int nwal, history_read_fn read_history,
		 void *arg, retention_plan *plan, sg_error *err)
{
	wal_needs	needs;
	bool		ok = true;

	needs_init(&needs, sorted, n, kept, wal_names, nwal);
	if (!needs.keep_all)
		ok = read_histories(&needs, wal_names, nwal, read_history, arg, err);
	for (int i = 0; ok && !needs.keep_all && i < nwal; i++)
	{
		if (!wal_needed(&needs, wal_names[i]))
			plan_add(&plan->wal, &plan->nwal, "wal/", wal_names[i]);
	}
	needs_free(&needs);
	return ok;
}

static int
backup_ptr_cmp(const void *a, const void *b)
{
	return backup_order_cmp(*(const backup_info *const *) a, *(const backup_info *const *) b);
}

/*
 * kept[i]: sorted[i] is one of the newest `keep` completed managed
 * backups.  Returns the index of the newest completed backup, or -1.
 */
static int
choose_kept(const backup_info *const *sorted, int n, int keep, bool *kept)
{
	int			newest_completed = -1;
	int			managed = 0;

	for (int i = n - 1; i >= 0; i--)
	{
		const backup_info *b = sorted[i];

		kept[i] = false;
		if (b->status != BACKUP_COMPLETED)
			continue;
		if (newest_completed < 0)
			newest_completed = i;
		if (!b->permanent && managed++ < keep)
			kept[i] = true;
	}
	return newest_completed;
}

bool
retention_make_plan(const backup_info *backups, int nbackups,
					char *const *wal_names, int nwal, int keep,
					history_read_fn read_history, void *arg,
					retention_plan *plan, sg_error *err)
{
	const backup_info **sorted = sg_malloc(sizeof(backup_info *) * (nbackups ? nbackups : 1));
	bool	   *kept = sg_malloc(sizeof(bool) * (nbackups ? nbackups : 1));
	int			newest_completed;
	bool		ok;

	memset(plan, 0, sizeof(*plan));
	if (keep < 1)
		keep = 1;				/* never plan away every backup */
	for (int i = 0; i < nbackups; i++)
		sorted[i] = &backups[i];
	qsort(sorted, nbackups, sizeof(backup_info *), backup_ptr_cmp);
	newest_completed = choose_kept(sorted, nbackups, keep, kept);

	for (int i = 0; i < nbackups; i++)
	{
		const backup_info *b = sorted[i];
		bool		drop;

		if (b->status == BACKUP_COMPLETED)
			drop = !b->permanent && !kept[i];
		else
			drop = b->status == BACKUP_FAILED && i < newest_completed;
		if (drop)
			plan_add(&plan->backups, &plan->nbackups, "", b->name);
	}
	ok = plan_wal(sorted, nbackups, kept, wal_names, nwal, read_history, arg,
				  plan, err);
	free(sorted);
	free(kept);
	if (!ok)
		retention_plan_free(plan);
	return ok;
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
retention_execute(sg_store *st, const retention_plan *plan, sg_error *err)
{
	for (int i = 0; i < plan->nbackups; i++)
	{
		/* one deleted meanwhile is as good */
		if (!backup_catalog_delete(st, plan->backups[i], err) &&
			err->kind != SG_ERR_NOT_FOUND)
			return false;
		sg_error_clear(err);
	}
	return sg_store_delete(st, (const char *const *) plan->wal, plan->nwal, err);
}

/*
 * A history file for the plan (history_read_fn): one that is damaged, too
 * large or not stored by sgbackup leaves its timeline unknown, so that its
 * WAL stays; a storage error stops retention.
 */
static int
read_history(void *arg, const char *name, sg_buf *out, sg_error *err)
{
	int			rc = wal_fetch_mem(arg, name, WAL_HISTORY_MAX_BYTES, out, err);

	if (rc < 0 && err->kind == SG_ERR_CORRUPT)
	{
		sg_error_clear(err);
		return 0;
	}
	return rc;
}

bool
sg_retention_run(sg_store *st, int keep, backup_running_fn is_running,
				 void *arg, retention_plan *plan, sg_error *err)
{
	backup_info *backups = NULL;
	int			nbackups = 0;
	wal_listing wal;
	bool		ok;

	memset(plan, 0, sizeof(*plan));
	/* the WAL is listed first: a segment archived meanwhile is newer than every backup */
	ok = wal_list(st, &wal, err) &&
		backup_catalog_list(st, is_running, arg, &backups, &nbackups, err);
	if (ok)
		ok = retention_make_plan(backups, nbackups, wal.names, wal.n, keep,
								 read_history, st, plan, err) &&
			retention_execute(st, plan, err);
	if (backups)
		backup_list_free(backups, nbackups);
	wal_listing_free(&wal);
	return ok;
}
