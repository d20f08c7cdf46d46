/*
 * test_select.c - tests for backup_select.c and timeline.c: the backup a
 * restore takes for a target over a made-up catalog with three timelines
 * (two promotions, and a primary that went on writing on the timeline it
 * lost), targets on abandoned timelines and before every backup, named
 * backups refused with their reason; the target timeline "latest"; the
 * WAL chain a backup needs (gaps, the switch segment on the child, other
 * segment sizes) and history files as PostgreSQL writes them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backup_select.h"
#include "sg_buf.h"
#include "unit.h"
#include "unit_wal.h"

#define SEC		INT64_C(1000000)
#define T0		(INT64_C(1796000000) * SEC)	/* late 2026 */
#define SEG		((uint64_t) WAL_DEFAULT_SEGMENT_SIZE)

/* ---------------------------------------------------------------- */
/* a made-up catalog */

/*
 * Timeline 1 from segment 1; a restore promotes timeline 2 at 0/20000100;
 * the old timeline-1 primary goes on writing to 0x38, and b1 is taken on
 * it after the fork.  A second promotion forks timeline 3 from timeline 2
 * at 0/28000200, and the old timeline-2 primary goes on to 0x2C.
 */
static const char history2[] = "1\t0/20000100\tno recovery target specified\n";
static const char history3[] = "# written by PostgreSQL\n\n"
"1\t0/20000100\tno recovery target specified\n"
"2\t0/28000200\tat restore point \"before-upgrade\"\n";

/* a completed backup from segment seg to stop_seg, finished at finished */
static backup_info
mk(const char *name, backup_status status, uint32_t tli, uint32_t seg,
   uint32_t stop_seg, int64_t finished)
{
	backup_info b;

	backup_info_init(&b);
	b.name = sg_strdup(name);
	b.status = status;
	b.timeline = tli;
	b.start_lsn = seg * SEG + 0x28;
	wal_segment_name(b.start_wal, tli, seg, SEG);
	if (status == BACKUP_COMPLETED)
	{
		b.stop_lsn = stop_seg * SEG + 0x100;
		wal_segment_name(b.stop_wal, tli, stop_seg, SEG);
		b.finished_at = finished;
	}
	b.started_at = finished - 60 * SEC;
	return b;
}

#define NCATALOG 6

static void
catalog(backup_info *b)
{
	b[0] = mk("b0-tl1", BACKUP_COMPLETED, 1, 0x10, 0x11, T0);
	b[1] = mk("b1-tl1-after-fork", BACKUP_COMPLETED, 1, 0x30, 0x31, T0 + 3000 * SEC);
	b[2] = mk("b2-tl2", BACKUP_COMPLETED, 2, 0x24, 0x25, T0 + 5000 * SEC);
	b[3] = mk("b3-tl3", BACKUP_COMPLETED, 3, 0x2C, 0x2D, T0 + 7000 * SEC);
	b[4] = mk("f4-failed", BACKUP_FAILED, 3, 0x2E, 0, T0 + 8000 * SEC);
	b[5] = mk("r5-running", BACKUP_RUNNING, 3, 0x2F, 0, T0 + 9000 * SEC);
	backup_info_set_error(&b[4], "could not upload: the bucket is full");
}

static void
catalog_free(backup_info *b, int n)
{
	for (int i = 0; i < n; i++)
		backup_info_free(&b[i]);
}

static timeline_history
history_of(uint32_t tli, const char *text)
{
	timeline_history h;
	sg_error	err;

	if (!timeline_history_parse(text, strlen(text), tli, &h, &err))
		printf("# the history of timeline %u does not parse: %s\n", tli, err.msg);
	return h;
}

/* the catalog and the history files of timelines 2 and 3 */
typedef struct fixture
{
	backup_info b[NCATALOG];
	timeline_history h2;
	timeline_history h3;
	sg_error	err;
} fixture;

static void
fixture_init(fixture *f)
{
	catalog(f->b);
	f->h2 = history_of(2, history2);
	f->h3 = history_of(3, history3);
}

static void
fixture_free(fixture *f)
{
	catalog_free(f->b, NCATALOG);
	timeline_history_free(&f->h2);
	timeline_history_free(&f->h3);
}

/* the name backup_select picks, or "error: <msg> | <detail> | <hint>" */
static const char *
pick(const backup_info *b, int n, const char *name, const restore_target *t,
	 const timeline_history *h, sg_error *err)
{
	static char out[4096];
	int			i;

	sg_error_clear(err);
	i = backup_select(b, n, name, t, h, err);
	if (i >= 0)
		return b[i].name;
	snprintf(out, sizeof(out), "error: %s | %s | %s", err->msg, err->detail, err->hint);
	return out;
}

static bool
has(const char *text, const char *part)
{
	if (strstr(text, part) != NULL)
		return true;
	printf("# \"%s\" not in: %s\n", part, text);
	return false;
}

static restore_target
target(restore_target_kind kind, uint32_t timeline)
{
	restore_target t;

	memset(&t, 0, sizeof(t));
	t.kind = kind;
	t.timeline = timeline;
	return t;
}

/* ---------------------------------------------------------------- */
/* LATEST */

static void
test_latest(void)
{
	fixture f;
	restore_target t = target(RESTORE_TARGET_NONE, 3);

	fixture_init(&f);
	UNIT_STREQ(pick(f.b, NCATALOG, BACKUP_LATEST, &t, &f.h3, &f.err), "b3-tl3",
			   "no target, timeline 3: the newest completed backup (not the failed or running ones)");
	t.kind = RESTORE_TARGET_IMMEDIATE;
	UNIT_STREQ(pick(f.b, NCATALOG, NULL, &t, &f.h3, &f.err), "b3-tl3", "immediate: the newest too (name NULL is LATEST)");

	t = target(RESTORE_TARGET_TIME, 3);
	t.time_usec = T0 + 6000 * SEC;
	UNIT_STREQ(pick(f.b, NCATALOG, BACKUP_LATEST, &t, &f.h3, &f.err), "b2-tl2",
			   "time between b2 and b3: b2 on timeline 2, an ancestor it left after b2's stop");
	t.time_usec = T0 + 5000 * SEC;
	UNIT_STREQ(pick(f.b, NCATALOG, BACKUP_LATEST, &t, &f.h3, &f.err), "b2-tl2",
			   "time exactly at b2's finish: b2");
	t.time_usec = T0 + 5000 * SEC - 1;
	UNIT_STREQ(pick(f.b, NCATALOG, BACKUP_LATEST, &t, &f.h3, &f.err), "b0-tl1",
			   "a microsecond before b2 finished: not b2, nor b1 (timeline 1 after the fork), so b0");
	t.time_usec = T0 + 4000 * SEC;
	UNIT_STREQ(pick(f.b, NCATALOG, BACKUP_LATEST, &t, &f.h2, &f.err), "error: the history given is of timeline 2, not of the target timeline 3 |  | ",
			   "a history of another timeline is refused");

	t = target(RESTORE_TARGET_LSN, 3);
	t.lsn = 0x2C000000;
	UNIT_STREQ(pick(f.b, NCATALOG, BACKUP_LATEST, &t, &f.h3, &f.err), "b2-tl2",
			   "LSN 0/2C000000 on timeline 3: b3 stops after it, b2 before");
	t = target(RESTORE_TARGET_LSN, 2);
	t.lsn = 0x24800000;
	UNIT_STREQ(pick(f.b, NCATALOG, BACKUP_LATEST, &t, &f.h2, &f.err), "b0-tl1",
			   "LSN 0/24800000 on timeline 2: inside b2, so b0 from timeline 1");
	t = target(RESTORE_TARGET_XID, 3);
	t.xid = 1234;
	UNIT_STREQ(pick(f.b, NCATALOG, BACKUP_LATEST, &t, &f.h3, &f.err), "b3-tl3",
			   "an XID target is not judged: the newest on the timeline's history");
	fixture_free(&f);
}

/* targets on timelines that a promotion left behind */
static void
test_abandoned_timelines(void)
{
	fixture f;
	restore_target t = target(RESTORE_TARGET_NONE, 1);
	const char *got;

	fixture_init(&f);
	UNIT_STREQ(pick(f.b, NCATALOG, BACKUP_LATEST, &t, NULL, &f.err), "b1-tl1-after-fork",
			   "timeline 1 (abandoned at the first promotion): b1, taken on it after the fork");
	UNIT_STREQ(pick(f.b, NCATALOG, BACKUP_LATEST, &t, &f.h2, &f.err), "error: the history given is of timeline 2, not of the target timeline 1 |  | ",
			   "timeline 1 with the history of 2: refused");
	t.timeline = 2;
	UNIT_STREQ(pick(f.b, NCATALOG, BACKUP_LATEST, &t, &f.h2, &f.err), "b2-tl2",
			   "timeline 2 (abandoned at the second promotion): b2, not b3 on timeline 3");
	got = pick(f.b, NCATALOG, "b3-tl3", &t, &f.h2, &f.err);
	UNIT_OK(f.err.kind == SG_ERR_CONFIG &&
			has(got, "backup \"b3-tl3\" cannot reach the recovery target") &&
			has(got, "Backup \"b3-tl3\" is on timeline 3, which is not an ancestor of timeline 2.") &&
			has(got, "Choose a backup on timeline 2"),
			"b3 for timeline 2: refused, timeline 3 is not an ancestor of 2");
	t.timeline = 3;
	got = pick(f.b, NCATALOG, "b1-tl1-after-fork", &t, NULL, &f.err);
	UNIT_OK(f.err.kind == SG_ERR_CONFIG &&
			has(got, "is on timeline 1, which is not an ancestor of timeline 3"),
			"timeline 3 without its history: timeline 1 is no ancestor");
	fixture_free(&f);
}

/* a backup given by name */
static void
test_named(void)
{
	fixture f;
	restore_target t = target(RESTORE_TARGET_NONE, 3);
	const char *got;

	fixture_init(&f);
	UNIT_STREQ(pick(f.b, NCATALOG, "b0-tl1", &t, &f.h3, &f.err), "b0-tl1",
			   "an older backup on an ancestor timeline, by name");
	got = pick(f.b, NCATALOG, "b1-tl1-after-fork", &t, &f.h3, &f.err);
	UNIT_OK(f.err.kind == SG_ERR_CONFIG &&
			has(got, "Backup \"b1-tl1-after-fork\" on timeline 1 stops at 0/31000100, after timeline 3 left timeline 1 at 0/20000100"),
			"a backup taken on timeline 1 after the fork is refused for timeline 3, with both LSNs");
	t.timeline_current = true;
	UNIT_STREQ(pick(f.b, NCATALOG, "b1-tl1-after-fork", &t, &f.h3, &f.err), "b1-tl1-after-fork",
			   "... and taken with target timeline current");
	t.timeline_current = false;

	t = target(RESTORE_TARGET_TIME, 3);
	t.time_usec = T0 + 4000 * SEC;
	got = pick(f.b, NCATALOG, "b3-tl3", &t, &f.h3, &f.err);
	UNIT_OK(f.err.kind == SG_ERR_CONFIG &&
			has(got, "The target time 2026-11-30T02:00:00.000000Z is before backup \"b3-tl3\" finished at 2026-11-30T02:50:00.000000Z, its earliest consistent point.") &&
			has(got, "Choose an older backup, or give LATEST"),
			"a time before the named backup finished: refused, both times shown");
	t = target(RESTORE_TARGET_LSN, 3);
	t.lsn = 0x2D000000;
	got = pick(f.b, NCATALOG, "b3-tl3", &t, &f.h3, &f.err);
	UNIT_OK(f.err.kind == SG_ERR_CONFIG &&
			has(got, "The target LSN 0/2D000000 is before backup \"b3-tl3\" stops at 0/2D000100"),
			"an LSN before the named backup's stop: refused");
	t.lsn = 0x2D000100;
	UNIT_STREQ(pick(f.b, NCATALOG, "b3-tl3", &t, &f.h3, &f.err), "b3-tl3", "an LSN at its stop: taken");

	t = target(RESTORE_TARGET_NONE, 3);
	got = pick(f.b, NCATALOG, "nope", &t, &f.h3, &f.err);
	UNIT_OK(f.err.kind == SG_ERR_NOT_FOUND && has(got, "backup \"nope\" does not exist") &&
			has(got, "sgbackup backup-list"), "a name that does not exist, with the hint");
	got = pick(f.b, NCATALOG, "f4-failed", &t, &f.h3, &f.err);
	UNIT_OK(f.err.kind == SG_ERR_CONFIG && has(got, "backup \"f4-failed\" is not completed") &&
			has(got, "It failed: could not upload: the bucket is full."), "a failed backup, with why it failed");
	got = pick(f.b, NCATALOG, "r5-running", &t, &f.h3, &f.err);
	UNIT_OK(f.err.kind == SG_ERR_CONFIG && has(got, "It is still running."), "a running backup");
	got = pick(f.b, NCATALOG, "../b0-tl1", &t, &f.h3, &f.err);
	UNIT_OK(f.err.kind == SG_ERR_CONFIG && has(got, "invalid backup name"), "an invalid name");
	fixture_free(&f);
}

/* nothing can reach the target */
static void
test_none(void)
{
	fixture f;
	restore_target t = target(RESTORE_TARGET_TIME, 3);
	const char *got;

	fixture_init(&f);
	t.time_usec = T0 - 3600 * SEC;
	got = pick(f.b, NCATALOG, BACKUP_LATEST, &t, &f.h3, &f.err);
	UNIT_OK(f.err.kind == SG_ERR_CONFIG &&
			has(got, "no completed backup can reach the recovery target") &&
			has(got, "The target time 2026-11-29T23:53:20.000000Z is before backup \"b0-tl1\" finished at 2026-11-30T00:53:20.000000Z, its earliest consistent point. It is the oldest of the 4 completed backups."),
			"a time before every backup: refused, naming the oldest and when it finished");
	got = pick(f.b, 2, BACKUP_LATEST, &t, &f.h3, &f.err);
	UNIT_OK(f.err.kind == SG_ERR_CONFIG && has(got, "oldest of the 2 completed"), "... over two backups");
	got = pick(f.b, 1, BACKUP_LATEST, &t, &f.h3, &f.err);
	UNIT_OK(f.err.kind == SG_ERR_CONFIG && has(got, "It is the only completed backup."), "... over one");
	got = pick(f.b + 4, 2, BACKUP_LATEST, &t, &f.h3, &f.err);
	UNIT_OK(f.err.kind == SG_ERR_NOT_FOUND && has(got, "there is no completed backup to restore"),
			"only failed and running backups: none to restore");
	got = pick(NULL, 0, BACKUP_LATEST, &t, &f.h3, &f.err);
	UNIT_OK(f.err.kind == SG_ERR_NOT_FOUND, "an empty catalog");
	t = target(RESTORE_TARGET_NONE, 4);
	got = pick(f.b, NCATALOG, BACKUP_LATEST, &t, NULL, &f.err);
	UNIT_OK(f.err.kind == SG_ERR_CONFIG && has(got, "not an ancestor of timeline 4"),
			"a timeline without history and without backups: none");
	fixture_free(&f);
}

/* by finish time, not LSN or name; input order does not matter */
static void
test_order(void)
{
	backup_info b[3];
	restore_target t = target(RESTORE_TARGET_NONE, 1);
	sg_error	err;

	b[0] = mk("z-newest-low-lsn", BACKUP_COMPLETED, 1, 0x05, 0x06, T0 + 100 * SEC);
	b[1] = mk("a-oldest-high-lsn", BACKUP_COMPLETED, 1, 0x90, 0x91, T0);
	b[2] = mk("m-middle", BACKUP_COMPLETED, 1, 0x50, 0x51, T0 + 50 * SEC);
	UNIT_STREQ(pick(b, 3, BACKUP_LATEST, &t, NULL, &err), "z-newest-low-lsn",
			   "LATEST is the last finished, whatever its LSN or name");
	t = target(RESTORE_TARGET_TIME, 1);
	t.time_usec = T0 + 60 * SEC;
	UNIT_STREQ(pick(b, 3, BACKUP_LATEST, &t, NULL, &err), "m-middle",
			   "the last finished before the target time");
	b[2].finished_at = 0;
	UNIT_STREQ(pick(b, 3, BACKUP_LATEST, &t, NULL, &err), "a-oldest-high-lsn",
			   "one without a recorded finish time is passed over for a time target");
	UNIT_OK(strstr(pick(b, 3, "m-middle", &t, NULL, &err), "Backup \"m-middle\" has no recorded finish time.") != NULL,
			"... and refused by name, saying so");
	catalog_free(b, 3);
}

/* ---------------------------------------------------------------- */
/* WAL under wal/ */

static void
add_segments(wal_set *w, uint32_t tli, uint64_t from, uint64_t to, uint64_t seg_size)
{
	char		name[25];

	for (uint64_t s = from; s <= to; s++)
	{
		wal_segment_name(name, tli, s, seg_size);
		wal_name_add(w, name);
	}
}

static void
remove_name(wal_set *w, const char *name)
{
	for (int i = 0; i < w->n; i++)
	{
		if (strcmp(w->names[i], name) == 0)
		{
			free(w->names[i]);
			w->names[i] = w->names[--w->n];
			return;
		}
	}
	printf("# %s was not in the listing\n", name);
}

/* the bucket of the catalog above, in no particular order */
static void
bucket(wal_set *w)
{
	add_segments(w, 3, 0x28, 0x30, SEG);
	add_segments(w, 1, 0x01, 0x38, SEG);
	wal_name_add(w, "000000010000000000000020.partial");
	wal_name_add(w, "000000010000000000000010.00000028.backup");
	add_segments(w, 2, 0x20, 0x2C, SEG);
	wal_name_add(w, "000000020000000000000028.partial");
	wal_name_add(w, "00000002.history");
	wal_name_add(w, "00000003.history");
	wal_name_add(w, "000000030000000000000031.partial");
	wal_name_add(w, "not-wal.txt");
}

static void
test_latest_timeline(void)
{
	wal_set		w = {0};
	char	   *only_tl1[] = {"000000010000000000000001", "000000010000000000000002"};
	char	   *no_history[] = {"000000010000000000000001", "000000040000000000000002", "x"};
	char	   *histories[] = {"00000002.history", "00000003.history", "000000050000000000000009"};

	bucket(&w);
	UNIT_OK(wal_latest_timeline(w.names, w.n) == 3, "latest: timeline 3, the highest history file");
	UNIT_OK(wal_latest_timeline(only_tl1, 2) == 1, "latest without history files: the segments' timeline 1");
	UNIT_OK(wal_latest_timeline(no_history, 3) == 4, "latest without history files: the highest segment's timeline");
	UNIT_OK(wal_latest_timeline(histories, 3) == 3,
			"a segment of timeline 5 without its history file does not make 5 the latest");
	UNIT_OK(wal_latest_timeline(NULL, 0) == 1, "an empty wal/: timeline 1");
	wal_free(&w);
}

static void
test_newest_segment(void)
{
	wal_set		w = {0};
	timeline_history h2 = history_of(2, history2);
	timeline_history h3 = history_of(3, history3);
	timeline_history h4 = history_of(4, "1\t0/20000100\n2\t0/28000200\n3\t0/31000000\n");
	char		name[25] = "";
	uint64_t	end = 0;

	bucket(&w);
	UNIT_OK(wal_newest_segment(w.names, w.n, SEG, 1, NULL, name, &end) &&
			strcmp(name, "000000010000000000000038") == 0 && end == 0x39000000,
			"newest of timeline 1: 0x38, its WAL ending at 0/39000000 (%s)", name);
	UNIT_OK(wal_newest_segment(w.names, w.n, SEG, 2, &h2, name, &end) &&
			strcmp(name, "00000002000000000000002C") == 0, "newest along timeline 2: 0x2C (%s)", name);
	UNIT_OK(wal_newest_segment(w.names, w.n, SEG, 3, &h3, name, &end) &&
			strcmp(name, "000000030000000000000030") == 0,
			"newest along timeline 3: 0x30, not its .partial nor the longer timeline 1 (%s)", name);
	UNIT_OK(wal_newest_segment(w.names, w.n, SEG, 4, &h4, name, &end) &&
			strcmp(name, "000000030000000000000030") == 0,
			"a timeline with nothing archived yet: its parent's newest before the fork (%s)", name);
	UNIT_OK(!wal_newest_segment(w.names, w.n, SEG, 7, NULL, name, &end), "a timeline with no segment: none");
	wal_free(&w);
	timeline_history_free(&h2);
	timeline_history_free(&h3);
	timeline_history_free(&h4);
}

static bool
chain(const wal_set *w, uint32_t start_tli, uint64_t start_lsn, uint32_t end_tli,
	  uint64_t stop_lsn, const timeline_history *h, wal_chain *c)
{
	sg_error	err;

	sg_error_clear(&err);
	if (wal_chain_check(w->names, w->n, SEG, start_tli, start_lsn, end_tli, stop_lsn, h, c, &err))
		return true;
	printf("# the chain check failed: %s | %s\n", err.msg, err.detail);
	return false;
}

static void
test_chain(void)
{
	wal_set		w = {0};
	timeline_history h3 = history_of(3, history3);
	wal_chain	c;

	bucket(&w);
	UNIT_OK(chain(&w, 1, 0x10000028, 3, 0, &h3, &c) && c.complete &&
			strcmp(c.first, "000000010000000000000010") == 0 &&
			strcmp(c.last, "000000030000000000000030") == 0 && c.nsegments == 0x21,
			"b0 to the newest along timeline 3: 0x10-0x1F on 1, 0x20-0x27 on 2, 0x28-0x30 on 3 (%s..%s, %llu)",
			c.first, c.last, (unsigned long long) c.nsegments);
	UNIT_OK(chain(&w, 1, 0x10000028, 1, 0x11000100, NULL, &c) && c.complete &&
			c.nsegments == 2 && strcmp(c.last, "000000010000000000000011") == 0,
			"b0's own WAL, start to stop on timeline 1");
	UNIT_OK(chain(&w, 1, 0x10000028, 1, 0x12000000, NULL, &c) && c.complete &&
			strcmp(c.last, "000000010000000000000011") == 0,
			"a stop at a segment boundary needs the segment before it");
	UNIT_OK(chain(&w, 2, 0x24000028, 3, 0x2D000100, &h3, &c) && c.complete &&
			strcmp(c.first, "000000020000000000000024") == 0 &&
			strcmp(c.last, "00000003000000000000002D") == 0, "b2 on timeline 2 to b3's stop on timeline 3");

	remove_name(&w, "000000020000000000000022");
	UNIT_OK(chain(&w, 1, 0x10000028, 3, 0, &h3, &c) && !c.complete &&
			strcmp(c.first_missing, "000000020000000000000022") == 0,
			"a gap on timeline 2: the first missing segment (%s), though timeline 1 has 0x22", c.first_missing);
	wal_name_add(&w, "000000020000000000000022");

	remove_name(&w, "000000030000000000000028");
	UNIT_OK(chain(&w, 1, 0x10000028, 3, 0, &h3, &c) && !c.complete &&
			strcmp(c.first_missing, "000000030000000000000028") == 0,
			"the segment of the switch point must be timeline 3's; timeline 2's 0x28 does not count (%s)",
			c.first_missing);
	wal_name_add(&w, "000000030000000000000028");

	remove_name(&w, "000000030000000000000030");
	wal_name_add(&w, "000000030000000000000030.partial");
	UNIT_OK(chain(&w, 2, 0x24000028, 3, 0x30800000, &h3, &c) && !c.complete &&
			strcmp(c.first_missing, "000000030000000000000030") == 0,
			"a .partial file is not the segment");
	UNIT_OK(chain(&w, 2, 0x24000028, 3, 0, &h3, &c) && c.complete &&
			strcmp(c.last, "00000003000000000000002F") == 0, "... nor the newest archived");
	wal_free(&w);

	UNIT_OK(chain(&w, 1, 0x10000028, 1, 0, NULL, &c) && !c.complete && c.nsegments == 1 &&
			strcmp(c.first_missing, "000000010000000000000010") == 0,
			"nothing archived: the start segment is missing");
	timeline_history_free(&h3);
}

static void
test_chain_refused(void)
{
	wal_set		w = {0};
	timeline_history h3 = history_of(3, history3);
	wal_chain	c;
	sg_error	err;
	bool		ok;

	bucket(&w);
	sg_error_clear(&err);
	ok = wal_chain_check(w.names, w.n, SEG, 1, 0x30000028, 3, 0, &h3, &c, &err);
	UNIT_OK(!ok && err.kind == SG_ERR_CONFIG && has(err.detail, "after timeline 3 left it at 0/20000100"),
			"a start on timeline 1 after the fork is not on timeline 3's history (%s)", err.msg);
	ok = wal_chain_check(w.names, w.n, SEG, 4, 0x30000028, 3, 0, &h3, &c, &err);
	UNIT_OK(!ok && has(err.detail, "Timeline 4 is not an ancestor of timeline 3."), "nor a start on timeline 4");
	ok = wal_chain_check(w.names, w.n, SEG, 1, 0x10000028, 1, 0x10000028, NULL, &c, &err);
	UNIT_OK(!ok && has(err.msg, "not after its start"), "a stop at the start");
	ok = wal_chain_check(w.names, w.n, 3 * 1024 * 1024, 1, 0x10000028, 1, 0, NULL, &c, &err);
	UNIT_OK(!ok && has(err.msg, "invalid WAL segment size"), "a segment size that is not a power of 2");
	ok = wal_chain_check(w.names, w.n, SEG, 1, 0x10000028, 2, 0, &h3, &c, &err);
	UNIT_OK(!ok && err.kind == SG_ERR_INTERNAL, "a history of another timeline");
	wal_free(&w);
	timeline_history_free(&h3);
}

/* 64 MiB and 1 GiB segments: 64 and 4 segments per log */
static void
test_segment_sizes(void)
{
	const uint64_t mb64 = 64 * 1024 * 1024;
	const uint64_t gb = 1024 * 1024 * 1024;
	timeline_history h2 = history_of(2, "1\t1/0A000000\n");
	wal_set		w = {0};
	wal_chain	c;
	char		name[25];
	sg_error	err;

	wal_segment_name(name, 1, 64, mb64);
	UNIT_STREQ(name, "000000010000000100000000", "64 MiB: segment 64 is the first of log 1");
	wal_segment_name(name, 2, 7, gb);
	UNIT_STREQ(name, "000000020000000100000003", "1 GiB: segment 7 is the fourth of log 1");

	/* timeline 1 from 0/F0000000 (60) to 1/0A000000 (66, the switch), timeline 2 on */
	add_segments(&w, 1, 60, 70, mb64);
	add_segments(&w, 2, 66, 68, mb64);
	wal_name_add(&w, "000000010000000000000050");	/* seg 0x50: no 64 MiB segment */
	UNIT_OK(wal_chain_check(w.names, w.n, mb64, 1, UINT64_C(0xF0000028), 2, 0, &h2, &c, &err) &&
			c.complete && c.nsegments == 9 && strcmp(c.first, "00000001000000000000003C") == 0 &&
			strcmp(c.last, "000000020000000100000004") == 0,
			"64 MiB segments across the log boundary and a switch (%s..%s)", c.first, c.last);
	remove_name(&w, "000000010000000100000001");
	UNIT_OK(wal_chain_check(w.names, w.n, mb64, 1, UINT64_C(0xF0000028), 2, 0, &h2, &c, &err) &&
			!c.complete && strcmp(c.first_missing, "000000010000000100000001") == 0,
			"... a gap after the log boundary (%s)", c.first_missing);
	wal_free(&w);
	timeline_history_free(&h2);
}

/* a long chain costs a sort and one look-up per segment: printed, never a failure */
static void
test_long_chain(void)
{
	wal_set		w = {0};
	wal_chain	c;
	sg_error	err;
	struct timespec t0,
				t1;

	add_segments(&w, 1, 1, 200000, SEG);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (wal_chain_check(w.names, w.n, SEG, 1, SEG + 0x28, 1, 0, NULL, &c, &err))
	{
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("# chain over %d segments: %.1f ms\n", w.n,
			   (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	}
	UNIT_OK(c.complete && c.nsegments == 200000, "200000 segments in a row: complete");
	wal_free(&w);
}

/* ---------------------------------------------------------------- */
/* history files */

static void
test_history_files(void)
{
	timeline_history h;
	sg_error	err;
	const char *bad[][2] = {
		{"1\t0/20000100\n1\t0/30000000\n", "Line 2 names a timeline not above the one before it."},
		{"1\t0/20000100\n3\t0/30000000\n", "Line 2 names a timeline that cannot be an ancestor."},
		{"0\t0/20000100\n", "Line 1 names a timeline that cannot be an ancestor."},
		{"# c\n1 0/20000100\n", "Line 2 is not"},
		{"1\t0/2000010G\n", "Line 1 is not"},
	};

	UNIT_OK(timeline_history_parse(history3, strlen(history3), 3, &h, &err) && h.tli == 3 &&
			h.n == 2 && h.parents[0].tli == 1 && h.parents[0].end == 0x20000100 &&
			h.parents[1].tli == 2 && h.parents[1].end == 0x28000200,
			"a history file with a comment, a blank line and reasons");
	timeline_history_free(&h);
	UNIT_OK(timeline_history_parse("", 0, 2, &h, &err) && h.n == 0, "an empty history file");
	timeline_history_free(&h);
	UNIT_OK(timeline_history_parse("  1\t0/20000100", 14, 2, &h, &err) && h.n == 1,
			"leading blanks and no final newline");
	timeline_history_free(&h);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		bool		ok = timeline_history_parse(bad[i][0], strlen(bad[i][0]), 2, &h, &err);

		UNIT_OK(!ok && err.kind == SG_ERR_CORRUPT && has(err.msg, "00000002.history") &&
				has(err.detail, bad[i][1]), "refused: %s", err.detail);
	}
	UNIT_OK(wal_file_parse("00000002.history", NULL, NULL) == WAL_FILE_HISTORY &&
			wal_file_parse("000000020000000A000000FF.partial", NULL, NULL) == WAL_FILE_PARTIAL &&
			wal_file_parse("000000020000000A000000FF.00000028.backup", NULL, NULL) == WAL_FILE_BACKUP &&
			wal_file_parse("000000020000000a000000FF", NULL, NULL) == WAL_FILE_OTHER &&
			wal_file_parse("000000020000000A000000FF.gz", NULL, NULL) == WAL_FILE_OTHER,
			"WAL file kinds by name");
}

int
main(void)
{
	test_latest();
	test_abandoned_timelines();
	test_named();
	test_none();
	test_order();
	test_latest_timeline();
	test_newest_segment();
	test_chain();
	test_chain_refused();
	test_segment_sizes();
	test_long_chain();
	test_history_files();
	return UNIT_DONE();
}
