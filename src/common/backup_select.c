/*
 * backup_select.c - the backup for a recovery target, the target timeline
 * "latest", and the WAL chain a backup needs (see backup_select.h).
 *
 * Which backups can reach a target.  Recovery from a backup B on timeline
 * A replays A's WAL from B's start; it is consistent once it has replayed
 * B's end-of-backup record, just before B's stop LSN, on A.  It can follow
 * the target timeline T when A is T, or when A is an ancestor of T that
 * T's line of history left at a switch point at or after B's stop: a
 * backup taken on A after the fork lies on WAL that T does not contain
 * (PostgreSQL refuses it: "requested timeline is not a child of this
 * server's history").  A time target must lie after the consistent point;
 * the catalog knows B's finish time, recorded once its WAL was archived,
 * which is at or after that point, so a target between the two is refused
 * although PostgreSQL might reach it.  An LSN target must be at or after
 * the stop LSN.  XID and restore point targets are not in the metadata:
 * any backup on the timeline is taken, and PostgreSQL reports "recovery
 * ended before configured recovery target was reached" for one taken
 * after the target.
 *
 * Which segment comes from which timeline.  PostgreSQL reads segment s
 * from the newest timeline of the line of history whose WAL starts at or
 * before s, the child's WAL starting at its switch point: the segment
 * holding a switch point is the child's (the promoted server writes it
 * under the new timeline, its parent's copy being archived as .partial).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup_catalog.h"
#include "backup_select.h"
#include "sg_buf.h"

/* why a backup cannot reach a target */
typedef enum reach
{
	REACH_OK,
	REACH_TIMELINE,				/* not on the target timeline's history */
	REACH_TARGET,				/* consistent only after the target */
	REACH_UNKNOWN				/* its metadata lacks what would tell */
} reach;

/* the timeline b was taken on: as recorded, else its start WAL file's */
static uint32_t
backup_timeline(const backup_info *b)
{
	uint32_t	tli = 0;

	if (b->timeline != 0)
		return b->timeline;
	if (wal_file_parse(b->start_wal, &tli, NULL) != WAL_FILE_SEGMENT)
		return 0;
	return tli;
}

/* the target timeline: h's, else the one given, else 1 */
static uint32_t
target_timeline(const restore_target *t, const timeline_history *h)
{
	if (h != NULL)
		return h->tli;
	return t->timeline != 0 ? t->timeline : 1;
}

/* b's metadata lacks what would tell */
static reach
unrecorded(const backup_info *b, const char *what, char *why, size_t size)
{
	snprintf(why, size, "Backup \"%s\" has no recorded %s.", b->name, what);
	return REACH_UNKNOWN;
}

static reach
reach_timeline(const backup_info *b, const restore_target *t,
			   const timeline_history *h, char *why, size_t size)
{
	uint32_t	tli = backup_timeline(b);
	uint32_t	target = target_timeline(t, h);
	const timeline_parent *p;
	char		stop[32],
				end[32];

	if (tli == 0)
		return unrecorded(b, "timeline", why, size);
	if (t->timeline_current || tli == target)
		return REACH_OK;
	p = timeline_history_find(h, tli);
	if (p == NULL)
	{
		snprintf(why, size, "Backup \"%s\" is on timeline %u, which is not an ancestor of timeline %u.",
				 b->name, tli, target);
		return REACH_TIMELINE;
	}
	if (b->stop_lsn == 0)
		return unrecorded(b, "stop LSN", why, size);
	if (b->stop_lsn <= p->end)
		return REACH_OK;
	sg_format_lsn(stop, sizeof(stop), b->stop_lsn);
	sg_format_lsn(end, sizeof(end), p->end);
	snprintf(why, size, "Backup \"%s\" on timeline %u stops at %s, after timeline %u left timeline %u at %s: it lies on WAL that timeline %u does not contain.",
			 b->name, tli, stop, target, tli, end, target);
	return REACH_TIMELINE;
}

static reach
reach_point(const backup_info *b, const restore_target *t, char *why, size_t size)
{
	char		a[64],
				c[64];

	if (t->kind == RESTORE_TARGET_TIME)
	{
		if (b->finished_at == 0)
			return unrecorded(b, "finish time", why, size);
		if (b->finished_at <= t->time_usec)
			return REACH_OK;
		sg_format_time(a, sizeof(a), t->time_usec);
		sg_format_time(c, sizeof(c), b->finished_at);
		snprintf(why, size, "The target time %s is before backup \"%s\" finished at %s, its earliest consistent point.",
				 a, b->name, c);
		return REACH_TARGET;
	}
	if (t->kind == RESTORE_TARGET_LSN)
	{
		if (b->stop_lsn == 0)
			return unrecorded(b, "stop LSN", why, size);
		if (b->stop_lsn <= t->lsn)
			return REACH_OK;
		sg_format_lsn(a, sizeof(a), t->lsn);
		sg_format_lsn(c, sizeof(c), b->stop_lsn);
		snprintf(why, size, "The target LSN %s is before backup \"%s\" stops at %s, its earliest consistent point.",
				 a, b->name, c);
		return REACH_TARGET;
	}
	return REACH_OK;
}

static reach
reaches(const backup_info *b, const restore_target *t, const timeline_history *h,
		char *why, size_t size)
{
	reach		r = reach_timeline(b, t, h, why, size);

	return r != REACH_OK ? r : reach_point(b, t, why, size);
}

bool
backup_reaches_target(const backup_info *b, const restore_target *t,
					  const timeline_history *h, char *why, size_t whysize)
{
	if (whysize > 0)
		why[0] = '\0';
	return reaches(b, t, h, why, whysize) == REACH_OK;
}

/* ---------------------------------------------------------------- */
/* the backup for a target */

static const char *
status_text(const backup_info *b)
{
	return b->status == BACKUP_RUNNING ? "is still running" : "failed";
}

/* a given name: it must exist, be completed, and reach the target */
static int
select_named(const backup_info *backups, int n, const char *name,
			 const restore_target *t, const timeline_history *h, sg_error *err)
{
	char		why[512];
	reach		r;
	int			i;

	if (!backup_name_check(name, err))
		return -1;
	for (i = 0; i < n; i++)
	{
		if (backups[i].name && strcmp(backups[i].name, name) == 0)
			break;
	}
	if (i == n)
	{
		sg_error_set(err, SG_ERR_NOT_FOUND, "backup \"%s\" does not exist", name);
		sg_error_hint(err, "List the backups with \"sgbackup backup-list\", or give " BACKUP_LATEST " for the newest that can reach the target.");
		return -1;
	}
	if (backups[i].status != BACKUP_COMPLETED)
	{
		sg_error_set(err, SG_ERR_CONFIG, "backup \"%s\" is not completed", name);
		sg_error_detail(err, "It %s%s%s.", status_text(&backups[i]),
						backups[i].error ? ": " : "", backups[i].error ? backups[i].error : "");
		sg_error_hint(err, "Only a completed backup can be restored: list them with \"sgbackup backup-list\".");
		return -1;
	}
	r = reaches(&backups[i], t, h, why, sizeof(why));
	if (r == REACH_OK)
		return i;
	sg_error_set(err, SG_ERR_CONFIG, "backup \"%s\" cannot reach the recovery target", name);
	sg_error_detail(err, "%s", why);
	if (r == REACH_TIMELINE)
		sg_error_hint(err, "Choose a backup on timeline %u or on an ancestor before the timeline left it, or give the backup's own timeline as the target timeline.",
					  target_timeline(t, h));
	else
		sg_error_hint(err, "Choose an older backup, or give " BACKUP_LATEST " for the newest that can reach the target; \"sgbackup backup-list\" lists them.");
	return -1;
}

static int
order_cmp(const void *a, const void *b)
{
	return backup_order_cmp(*(const backup_info *const *) a, *(const backup_info *const *) b);
}

/* the newest completed backup that reaches the target */
static int
select_latest(const backup_info *backups, int n, const restore_target *t,
			  const timeline_history *h, sg_error *err)
{
	const backup_info **sorted = sg_malloc(sizeof(backup_info *) * (n ? n : 1));
	char		why[512] = "";
	int			completed = 0;
	int			found = -1;

	for (int i = 0; i < n; i++)
		sorted[i] = &backups[i];
	qsort(sorted, n, sizeof(backup_info *), order_cmp);
	/* newest first; why ends up with the reason of the oldest refused */
	for (int i = n - 1; i >= 0 && found < 0; i--)
	{
		if (sorted[i]->status != BACKUP_COMPLETED)
			continue;
		completed++;
		if (reaches(sorted[i], t, h, why, sizeof(why)) == REACH_OK)
			found = (int) (sorted[i] - backups);
	}
	free(sorted);
	if (found >= 0)
		return found;
	if (completed == 0)
	{
		sg_error_set(err, SG_ERR_NOT_FOUND, "there is no completed backup to restore");
		sg_error_hint(err, "Take a backup with SELECT sgbackup_start(); \"sgbackup backup-list\" lists the backups.");
		return -1;
	}
	sg_error_set(err, SG_ERR_CONFIG, "no completed backup can reach the recovery target");
	if (completed == 1)
		sg_error_detail(err, "%s It is the only completed backup.", why);
	else
		sg_error_detail(err, "%s It is the oldest of the %d completed backups.", why, completed);
	sg_error_hint(err, "Choose a later target, or another target timeline; \"sgbackup backup-list\" lists the backups.");
	return -1;
}

int
backup_select(const backup_info *backups, int n, const char *name,
			  const restore_target *t, const timeline_history *h, sg_error *err)
{
	if (h != NULL && t->timeline != 0 && h->tli != t->timeline && !t->timeline_current)
	{
		sg_error_set(err, SG_ERR_INTERNAL, "the history given is of timeline %u, not of the target timeline %u",
					 h->tli, t->timeline);
		return -1;
	}
	if (name == NULL || strcmp(name, BACKUP_LATEST) == 0)
		return select_latest(backups, n, t, h, err);
	return select_named(backups, n, name, t, h, err);
}

/* ---------------------------------------------------------------- */
/* timelines and segments under wal/ */

uint32_t
wal_latest_timeline(char *const *wal_names, int n)
{
	uint32_t	history = 0,
				segment = 0;

	for (int i = 0; i < n; i++)
	{
		uint32_t	tli;
		wal_file_kind kind = wal_file_parse(wal_names[i], &tli, NULL);

		if (kind == WAL_FILE_HISTORY && tli > history)
			history = tli;
		else if (kind == WAL_FILE_SEGMENT && tli > segment)
			segment = tli;
	}
	if (history != 0)
		return history;
	return segment != 0 ? segment : 1;
}

/* a segment under wal/: its timeline and number */
typedef struct segment_key
{
	uint32_t	tli;
	uint64_t	segno;
} segment_key;

static int
segment_cmp(const void *a, const void *b)
{
	const segment_key *x = a;
	const segment_key *y = b;

	if (x->tli != y->tli)
		return x->tli < y->tli ? -1 : 1;
	return x->segno < y->segno ? -1 : x->segno > y->segno;
}

/* the segments among the names, sorted by timeline and number */
static segment_key *
segments_of(char *const *wal_names, int n, uint64_t seg_size, int *count)
{
	segment_key *keys = sg_malloc(sizeof(segment_key) * (n ? n : 1));
	int			k = 0;

	for (int i = 0; i < n; i++)
	{
		uint64_t	pos;

		if (wal_file_parse(wal_names[i], &keys[k].tli, &pos) == WAL_FILE_SEGMENT &&
			wal_segno_of_pos(pos, seg_size, &keys[k].segno))
			k++;
	}
	qsort(keys, k, sizeof(segment_key), segment_cmp);
	*count = k;
	return keys;
}

static bool
segment_stored(const segment_key *keys, int n, uint32_t tli, uint64_t segno)
{
	segment_key want = {tli, segno};

	return bsearch(&want, keys, n, sizeof(segment_key), segment_cmp) != NULL;
}

/* the highest segment number recovery along h reads, or false */
static bool
newest_on_history(const segment_key *keys, int n, uint64_t seg_size, uint32_t tli,
				  const timeline_history *h, segment_key *out)
{
	bool		found = false;

	for (int i = 0; i < n; i++)
	{
		if (timeline_of_segment(h, tli, keys[i].segno, seg_size) != keys[i].tli)
			continue;
		if (!found || keys[i].segno > out->segno)
			*out = keys[i];
		found = true;
	}
	return found;
}

bool
wal_newest_segment(char *const *wal_names, int n, uint64_t seg_size, uint32_t tli,
				   const timeline_history *h, char name[25], uint64_t *end_lsn)
{
	int			count;
	segment_key *keys;
	segment_key newest;
	bool		found;

	if (!wal_segment_size_valid(seg_size))
		return false;
	keys = segments_of(wal_names, n, seg_size, &count);
	found = newest_on_history(keys, count, seg_size, h ? h->tli : tli, h, &newest);
	free(keys);
	if (!found)
		return false;
	wal_segment_name(name, newest.tli, newest.segno, seg_size);
	*end_lsn = (newest.segno + 1) * seg_size;
	return true;
}

/* the arguments of wal_chain_check fit together */
static bool
chain_args_ok(uint64_t seg_size, uint32_t start_tli, uint64_t start_lsn,
			  uint32_t end_tli, uint64_t stop_lsn, const timeline_history *h,
			  sg_error *err)
{
	const timeline_parent *p;
	char		a[32],
				b[32];

	if (!wal_segment_size_valid(seg_size))
		return sg_error_set(err, SG_ERR_INTERNAL, "invalid WAL segment size %llu",
							(unsigned long long) seg_size);
	if (h != NULL && h->tli != end_tli)
		return sg_error_set(err, SG_ERR_INTERNAL, "the history given is of timeline %u, not of timeline %u",
							h->tli, end_tli);
	if (stop_lsn != 0 && stop_lsn <= start_lsn)
	{
		sg_format_lsn(a, sizeof(a), start_lsn);
		sg_format_lsn(b, sizeof(b), stop_lsn);
		return sg_error_set(err, SG_ERR_CONFIG, "the WAL chain stops at %s, not after its start at %s",
							b, a);
	}
	if (start_tli == end_tli)
		return true;
	p = timeline_history_find(h, start_tli);
	if (p != NULL && start_lsn <= p->end)
		return true;
	sg_error_set(err, SG_ERR_CONFIG, "timeline %u is not on the history of timeline %u at the start of the WAL chain",
				 start_tli, end_tli);
	sg_format_lsn(a, sizeof(a), start_lsn);
	if (p == NULL)
		sg_error_detail(err, "Timeline %u is not an ancestor of timeline %u.", start_tli, end_tli);
	else
	{
		sg_format_lsn(b, sizeof(b), p->end);
		sg_error_detail(err, "The chain starts at %s on timeline %u, after timeline %u left it at %s.",
						a, start_tli, end_tli, b);
	}
	return false;
}

bool
wal_chain_check(char *const *wal_names, int n, uint64_t seg_size,
				uint32_t start_tli, uint64_t start_lsn,
				uint32_t end_tli, uint64_t stop_lsn,
				const timeline_history *h, wal_chain *out, sg_error *err)
{
	int			count;
	segment_key *keys;
	uint64_t	first,
				last;
	segment_key newest;

	memset(out, 0, sizeof(*out));
	if (!chain_args_ok(seg_size, start_tli, start_lsn, end_tli, stop_lsn, h, err))
		return false;
	keys = segments_of(wal_names, n, seg_size, &count);
	first = wal_segno_of(start_lsn, seg_size);
	if (stop_lsn != 0)
		last = wal_segno_of(stop_lsn - 1, seg_size);
	else if (newest_on_history(keys, count, seg_size, end_tli, h, &newest) &&
			 newest.segno > first)
		last = newest.segno;
	else
		last = first;
	wal_segment_name(out->first, timeline_of_segment(h, end_tli, first, seg_size), first, seg_size);
	wal_segment_name(out->last, timeline_of_segment(h, end_tli, last, seg_size), last, seg_size);
	out->nsegments = last - first + 1;
	out->complete = true;
	/* stops at the first gap: at most count + 1 look-ups */
	for (uint64_t s = first; s <= last; s++)
	{
		uint32_t	tli = timeline_of_segment(h, end_tli, s, seg_size);

		if (!segment_stored(keys, count, tli, s))
		{
			out->complete = false;
			wal_segment_name(out->first_missing, tli, s, seg_size);
			break;
		}
	}
	free(keys);
	return true;
}
