/*
 * test_catalog.c - tests for backup_catalog.c that need no S3 server: the
 * metadata JSON round trip and its refusal of damaged input, and retention
 * plans (keep count, permanent backups and their WAL, failed and running
 * backups, ordering by LSN and time rather than name, timelines).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "retention.h"
#include "unit.h"

#define SEC		INT64_C(1000000)
#define T0		(INT64_C(1796000000) * SEC)	/* late 2026 */

/* ---------------------------------------------------------------- */
/* JSON */

static void
fill_all(backup_info *b)
{
	backup_info_init(b);
	b->name = sg_strdup("20261130T061500-base");
	b->status = BACKUP_COMPLETED;
	b->permanent = true;
	b->start_lsn = UINT64_C(0x1A0000028);	/* above 2^32 */
	b->stop_lsn = UINT64_C(0xFFFFFFFF01000138);
	b->timeline = 4000000000u;
	strcpy(b->start_wal, "0000000100000001000000A0");
	strcpy(b->stop_wal, "00000001FFFFFFFF00000001");
	b->size_bytes = INT64_C(123456789012);
	b->compressed_bytes = INT64_C(23456789012);
	b->started_at = T0 + 123456;
	b->finished_at = T0 + 60 * SEC + 1;
	b->stored_at = T0 + 61 * SEC + 999999;
	b->pg_version = sg_strdup("15.20");
	b->pg_version_num = 150020;
	b->system_identifier = UINT64_C(18446744073709551000);	/* above 2^63 */
	b->compression = sg_strdup("zstd");
	b->error = sg_strdup("a \"quoted\" note/with slash");
	b->controldata_json = sg_strdup("{\"pg_control version number\":1300,"
									"\"Database cluster state\":\"in production\","
									"\"wal_level setting\":\"replica\"}");
	b->storage_json = sg_strdup("{\"type\":\"s3Compatible\",\"s3Compatible\":"
								"{\"bucket\":\"b\",\"endpoint\":\"http://x:7480\"}}");
	b->narchives = 2;
	b->archives = malloc(sizeof(char *) * 2);
	b->archives[0] = sg_strdup("base.tar.zst");
	b->archives[1] = sg_strdup("16384.tar.zst");
}

static bool
str_same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static bool
info_same(const backup_info *a, const backup_info *b)
{
	bool		same = str_same(a->name, b->name) && a->status == b->status &&
		a->permanent == b->permanent && a->start_lsn == b->start_lsn &&
		a->stop_lsn == b->stop_lsn && a->timeline == b->timeline &&
		strcmp(a->start_wal, b->start_wal) == 0 && strcmp(a->stop_wal, b->stop_wal) == 0 &&
		a->size_bytes == b->size_bytes && a->compressed_bytes == b->compressed_bytes &&
		a->started_at == b->started_at && a->finished_at == b->finished_at &&
		a->stored_at == b->stored_at && str_same(a->pg_version, b->pg_version) &&
		a->pg_version_num == b->pg_version_num &&
		a->system_identifier == b->system_identifier &&
		str_same(a->compression, b->compression) && str_same(a->error, b->error) &&
		str_same(a->controldata_json, b->controldata_json) &&
		str_same(a->storage_json, b->storage_json) && a->narchives == b->narchives;

	for (int i = 0; same && i < a->narchives; i++)
		same = str_same(a->archives[i], b->archives[i]);
	return same;
}

static void
test_json_round_trip(void)
{
	backup_info b,
				back;
	sg_error	err;
	char	   *json,
			   *again;
	bool		ok;

	fill_all(&b);
	json = backup_info_to_json(&b);
	printf("# %s\n", strstr(json, "\"timing\"") ? "metadata.json has timing" : json);
	UNIT_OK(strstr(json, "\"startLsn\": \"1/A0000028\"") != NULL, "startLsn as %%X/%%X text");
	UNIT_OK(strstr(json, "\"stopLsn\": \"FFFFFFFF/1000138\"") != NULL, "stopLsn above 2^32");
	UNIT_OK(strstr(json, "\"systemIdentifier\": \"18446744073709551000\"") != NULL,
			"systemIdentifier as a string");
	UNIT_OK(strstr(json, "\"start\": \"2026-11-30T00:53:20.123456Z\"") != NULL &&
			strstr(json, ".123456Z\"") != NULL, "timing.start as ISO-8601 UTC with microseconds");
	UNIT_OK(strstr(json, "\"managedLifecycle\": false") != NULL, "managedLifecycle = !permanent");
	UNIT_OK(strstr(json, "\"status\": \"completed\"") != NULL, "status completed");
	UNIT_OK(strstr(json, "\"sgObjectStorage\"") != NULL && strstr(json, "\"controlData\"") != NULL,
			"storage and controlData objects");

	sg_error_clear(&err);
	ok = backup_info_from_json(json, strlen(json), &back, &err);
	UNIT_OK(ok, "metadata.json parses back%s%s", ok ? "" : ": ", ok ? "" : err.msg);
	UNIT_OK(ok && info_same(&b, &back), "every field round-trips");
	if (ok)
	{
		UNIT_STREQ(back.controldata_json, b.controldata_json, "controlData verbatim");
		again = backup_info_to_json(&back);
		UNIT_STREQ(again, json, "second serialisation is identical");
		free(again);
		backup_info_free(&back);
	}
	free(json);

	/* a running backup's started.json: few fields */
	backup_info_free(&b);
	backup_info_init(&b);
	b.name = sg_strdup("running-one");
	b.started_at = -1;			/* one microsecond before 1970 */
	json = backup_info_to_json(&b);
	ok = backup_info_from_json(json, strlen(json), &back, &err);
	UNIT_OK(ok && info_same(&b, &back) && back.status == BACKUP_RUNNING && !back.permanent,
			"started.json round-trips");
	UNIT_OK(strstr(json, "1969-12-31T23:59:59.999999Z") != NULL, "time before 1970");
	if (ok)
		backup_info_free(&back);
	free(json);
	backup_info_free(&b);
}

static void
test_json_bad(void)
{
	const char *bad[] = {
		"", "not json", "[1,2]", "{\"name\":\"x\"", "{\"name\":\"x\"} trailing",
		"{\"status\":\"completed\"}",
		"{\"name\":\"x\",\"status\":\"done\"}",
		"{\"name\":\"x\",\"status\":3}",
		"{\"name\":\"x\",\"permanent\":\"yes\"}",
		"{\"name\":\"x\",\"permanent\":true,\"managedLifecycle\":true}",
		"{\"name\":\"x\",\"backupInformation\":{\"startLsn\":\"12345\"}}",
		"{\"name\":\"x\",\"backupInformation\":{\"startLsn\":\"1/G\"}}",
		"{\"name\":\"x\",\"backupInformation\":{\"stopLsn\":\"100000000/0\"}}",
		"{\"name\":\"x\",\"backupInformation\":{\"startWalFile\":\"000000010000000000000001.partial\"}}",
		"{\"name\":\"x\",\"backupInformation\":{\"systemIdentifier\":\"18446744073709551616\"}}",
		"{\"name\":\"x\",\"backupInformation\":{\"systemIdentifier\":\"-1\"}}",
		"{\"name\":\"x\",\"backupInformation\":{\"timeline\":-1}}",
		"{\"name\":\"x\",\"backupInformation\":{\"controlData\":\"text\"}}",
		"{\"name\":\"x\",\"backupInformation\":{\"size\":{\"compressed\":1.5}}}",
		"{\"name\":\"x\",\"timing\":{\"start\":\"2026-02-31T00:00:00Z\"}}",
		"{\"name\":\"x\",\"timing\":{\"start\":\"2026-11-30 06:15:00Z\"}}",
		"{\"name\":\"x\",\"timing\":{\"end\":\"2026-11-30T06:15:00.Z\"}}",
		"{\"name\":\"x\",\"archives\":[\"a\",1]}",
	};
	const char *good = "{\"name\":\"x\",\"status\":\"failed\",\"unknownField\":[1,{}],"
		"\"timing\":{\"start\":\"2026-11-30T06:15:00.123Z\"},"
		"\"storage\":{\"type\":\"s3\"},\"managedLifecycle\":false}";
	backup_info b;
	sg_error	err;
	bool		ok;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		sg_error_clear(&err);
		ok = backup_info_from_json(bad[i], strlen(bad[i]), &b, &err);
		UNIT_OK(!ok && err.kind == SG_ERR_CORRUPT && err.msg[0],
				"refused %s (%s)", bad[i], err.msg);
		if (ok)
			backup_info_free(&b);
	}
	ok = backup_info_from_json(good, strlen(good), &b, &err);
	UNIT_OK(ok && b.status == BACKUP_FAILED && b.permanent &&
			b.started_at % SEC == 123000 && str_same(b.storage_json, "{\"type\":\"s3\"}"),
			"unknown fields ignored, milliseconds, \"storage\" read%s%s",
			ok ? "" : ": ", ok ? "" : err.msg);
	if (ok)
		backup_info_free(&b);
}

/* ---------------------------------------------------------------- */
/* retention */

/* a backup starting in segment seg (timeline tli) */
static backup_info
mk(const char *name, backup_status status, bool permanent, uint32_t tli,
   uint32_t seg, uint32_t stop_seg, int64_t started_at)
{
	backup_info b;

	backup_info_init(&b);
	b.name = sg_strdup(name);
	b.status = status;
	b.permanent = permanent;
	b.timeline = tli;
	if (seg != 0)
	{
		b.start_lsn = (uint64_t) seg * 0x1000000 + 0x28;
		snprintf(b.start_wal, sizeof(b.start_wal), "%08X%08X%08X", tli, 0, seg);
	}
	if (stop_seg != 0)
	{
		b.stop_lsn = (uint64_t) stop_seg * 0x1000000 + 0x100;
		snprintf(b.stop_wal, sizeof(b.stop_wal), "%08X%08X%08X", tli, 0, stop_seg);
	}
	b.started_at = started_at;
	return b;
}

typedef struct wal_set
{
	char	   *names[512];
	int			n;
} wal_set;

static void
wal_add(wal_set *w, const char *fmt, uint32_t tli, uint32_t seg)
{
	char		name[64];

	snprintf(name, sizeof(name), fmt, tli, 0, seg);
	w->names[w->n++] = sg_strdup(name);
}

/* segments tli/from..to, each also with a .partial of the last */
static void
wal_segments(wal_set *w, uint32_t tli, uint32_t from, uint32_t to)
{
	for (uint32_t s = from; s <= to; s++)
		wal_add(w, "%08X%08X%08X", tli, s);
}

static void
wal_free(wal_set *w)
{
	for (int i = 0; i < w->n; i++)
		free(w->names[i]);
	w->n = 0;
}

static bool
plan_has(char **arr, int n, const char *prefix, const char *name)
{
	char		want[128];

	snprintf(want, sizeof(want), "%s%s", prefix, name);
	for (int i = 0; i < n; i++)
	{
		if (strcmp(arr[i], want) == 0)
			return true;
	}
	return false;
}

/* the plan deletes exactly the backups listed (NULL-terminated) */
static bool
plan_backups_are(const retention_plan *p, const char *const *names)
{
	int			n = 0;

	for (; names[n]; n++)
	{
		if (!plan_has(p->backups, p->nbackups, "", names[n]))
		{
			printf("# %s is not planned for deletion\n", names[n]);
			return false;
		}
	}
	if (n != p->nbackups)
	{
		printf("# plan deletes %d backups, expected %d:", p->nbackups, n);
		for (int i = 0; i < p->nbackups; i++)
			printf(" %s", p->backups[i]);
		printf("\n");
	}
	return n == p->nbackups;
}

static bool
wal_deleted(const retention_plan *p, const char *name)
{
	return plan_has(p->wal, p->nwal, "wal/", name);
}

static void
free_backups(backup_info *b, int n)
{
	for (int i = 0; i < n; i++)
		backup_info_free(&b[i]);
}

/*
 * 7 managed + 1 permanent, keep 3.  Names sort the opposite way of the
 * LSN order (z... is the oldest), and the array is given shuffled.
 */
static void
test_keep_three(void)
{
	backup_info b[8];
	wal_set		w = {0};
	retention_plan p;
	bool		ok = true;

	/* managed backups in segments 0x10, 0x20, ..., 0x70; each spans 2 */
	b[0] = mk("t7", BACKUP_COMPLETED, false, 1, 0x70, 0x71, T0 + 7000 * SEC);
	b[1] = mk("z1", BACKUP_COMPLETED, false, 1, 0x10, 0x11, T0 + 1000 * SEC);
	b[2] = mk("v5", BACKUP_COMPLETED, false, 1, 0x50, 0x51, T0 + 5000 * SEC);
	b[3] = mk("y2", BACKUP_COMPLETED, false, 1, 0x20, 0x21, T0 + 2000 * SEC);
	b[4] = mk("u6", BACKUP_COMPLETED, false, 1, 0x60, 0x61, T0 + 6000 * SEC);
	b[5] = mk("w4", BACKUP_COMPLETED, false, 1, 0x40, 0x41, T0 + 4000 * SEC);
	/* permanent, between y2 and w4, spanning 0x30..0x33 */
	b[6] = mk("x3-permanent", BACKUP_COMPLETED, true, 1, 0x30, 0x33, T0 + 3000 * SEC);
	b[7] = mk("a0", BACKUP_COMPLETED, false, 1, 0x08, 0x09, T0 + 500 * SEC);

	wal_segments(&w, 1, 0x01, 0x80);
	wal_add(&w, "%08X%08X%08X.00000028.backup", 1, 0x20);
	wal_add(&w, "%08X%08X%08X.00000028.backup", 1, 0x30);
	wal_add(&w, "%08X%08X%08X.00000028.backup", 1, 0x50);
	wal_add(&w, "%08X%08X%08X.00000028.backup", 1, 0x60);
	wal_add(&w, "%08X%08X%08X.partial", 1, 0x2F);
	wal_add(&w, "%08X%08X%08X.partial", 1, 0x81);
	w.names[w.n++] = sg_strdup("00000001.history");	/* never a real file, still kept */
	w.names[w.n++] = sg_strdup("00000002.history");
	w.names[w.n++] = sg_strdup("not-a-wal-name");

	retention_make_plan(b, 8, w.names, w.n, 3, &p);
	{
		const char *want[] = {"a0", "z1", "y2", "w4", NULL};

		UNIT_OK(plan_backups_are(&p, want), "keep 3: deletes a0 z1 y2 w4, keeps v5 u6 t7 and the permanent");
	}
	for (uint32_t s = 0x01; s <= 0x80; s++)
	{
		char		name[32];
		bool		want_deleted = s < 0x50 && !(s >= 0x30 && s <= 0x33);

		snprintf(name, sizeof(name), "%08X%08X%08X", 1, 0, s);
		if (wal_deleted(&p, name) != want_deleted)
		{
			printf("# segment %s: deleted %d, expected %d\n", name, !want_deleted, want_deleted);
			ok = false;
		}
	}
	UNIT_OK(ok, "segments before 0x50 deleted except the permanent's 0x30..0x33; 0x50.. kept");
	UNIT_OK(wal_deleted(&p, "000000010000000000000020.00000028.backup") &&
			wal_deleted(&p, "00000001000000000000002F.partial"),
			".backup and .partial before the cut-off deleted");
	UNIT_OK(!wal_deleted(&p, "000000010000000000000030.00000028.backup") &&
			!wal_deleted(&p, "000000010000000000000050.00000028.backup") &&
			!wal_deleted(&p, "000000010000000000000060.00000028.backup") &&
			!wal_deleted(&p, "000000010000000000000081.partial"),
			".backup of the permanent and kept backups, later .partial kept");
	UNIT_OK(!wal_deleted(&p, "00000001.history") && !wal_deleted(&p, "00000002.history") &&
			!wal_deleted(&p, "not-a-wal-name"), ".history and unknown names kept");
	UNIT_OK(p.nwal == (0x4F - 4) + 2, "%d WAL objects planned (expected %d)", p.nwal, 0x4F - 4 + 2);
	retention_plan_free(&p);

	/* keep more than there are: nothing at all but WAL before the oldest */
	retention_make_plan(b, 8, w.names, w.n, 10, &p);
	UNIT_OK(p.nbackups == 0 && p.nwal == 7 && wal_deleted(&p, "000000010000000000000007"),
			"keep 10: no backup deleted, only the 7 segments before the oldest");
	retention_plan_free(&p);

	/* keep 0 is treated as 1 */
	retention_make_plan(b, 8, w.names, w.n, 0, &p);
	UNIT_OK(p.nbackups == 6 && !plan_has(p.backups, p.nbackups, "", "t7") &&
			!plan_has(p.backups, p.nbackups, "", "x3-permanent"),
			"keep 0 keeps the newest one and the permanent");
	retention_plan_free(&p);

	free_backups(b, 8);
	wal_free(&w);
}

/* LSN decides, then start time; not the name or the input order */
static void
test_order(void)
{
	backup_info b[3];
	retention_plan p;

	b[0] = mk("a-newest", BACKUP_COMPLETED, false, 1, 0x30, 0x31, T0);
	b[1] = mk("b-middle", BACKUP_COMPLETED, false, 1, 0x20, 0x21, T0 + 100 * SEC);
	b[2] = mk("c-oldest", BACKUP_COMPLETED, false, 1, 0x10, 0x11, T0 + 200 * SEC);
	retention_make_plan(b, 3, NULL, 0, 2, &p);
	UNIT_OK(p.nbackups == 1 && strcmp(p.backups[0], "c-oldest") == 0,
			"by LSN even when start times disagree: c-oldest goes");
	retention_plan_free(&p);
	free_backups(b, 3);

	/* same LSN (no WAL written between): start time decides */
	b[0] = mk("a", BACKUP_COMPLETED, false, 1, 0x10, 0x10, T0 + 200 * SEC);
	b[1] = mk("b", BACKUP_COMPLETED, false, 1, 0x10, 0x10, T0 + 100 * SEC);
	b[2] = mk("c", BACKUP_COMPLETED, false, 1, 0x10, 0x10, T0);
	retention_make_plan(b, 3, NULL, 0, 1, &p);
	{
		const char *want[] = {"b", "c", NULL};

		UNIT_OK(plan_backups_are(&p, want), "same LSN: the latest start stays");
	}
	retention_plan_free(&p);
	free_backups(b, 3);
}

static void
test_failed_running(void)
{
	backup_info b[7];
	wal_set		w = {0};
	retention_plan p;
	const char *want[] = {"f-old", "f-old-nolsn", "m1", NULL};

	b[0] = mk("m1", BACKUP_COMPLETED, false, 1, 0x10, 0x11, T0);
	b[1] = mk("f-old", BACKUP_FAILED, false, 1, 0x18, 0, T0 + 50 * SEC);
	b[2] = mk("m2", BACKUP_COMPLETED, false, 1, 0x20, 0x21, T0 + 100 * SEC);
	/* failed before its LSN was known, but started before m2 */
	b[3] = mk("f-old-nolsn", BACKUP_FAILED, false, 1, 0, 0, T0 + 90 * SEC);
	b[4] = mk("f-new", BACKUP_FAILED, false, 1, 0x28, 0, T0 + 150 * SEC);
	b[5] = mk("f-new-nolsn", BACKUP_FAILED, false, 1, 0, 0, T0 + 160 * SEC);
	b[6] = mk("r-running", BACKUP_RUNNING, false, 1, 0, 0, T0 + 10 * SEC);

	wal_segments(&w, 1, 1, 0x30);
	retention_make_plan(b, 7, w.names, w.n, 1, &p);
	UNIT_OK(plan_backups_are(&p, want),
			"failed older than the newest completed deleted; newer failed and running kept");
	UNIT_OK(p.nwal == 0x1F && !wal_deleted(&p, "000000010000000000000020"),
			"WAL before m2 deleted (%d)", p.nwal);
	retention_plan_free(&p);

	/* a running backup with a known, older start holds the WAL it needs */
	backup_info_free(&b[6]);
	b[6] = mk("r-running", BACKUP_RUNNING, false, 1, 0x15, 0, T0 + 10 * SEC);
	retention_make_plan(b, 7, w.names, w.n, 1, &p);
	UNIT_OK(!plan_has(p.backups, p.nbackups, "", "r-running") && p.nwal == 0x14 &&
			!wal_deleted(&p, "000000010000000000000015"),
			"running backup never deleted and its WAL kept (%d)", p.nwal);
	retention_plan_free(&p);

	free_backups(b, 7);
	wal_free(&w);
}

static void
test_no_completed(void)
{
	backup_info b[3];
	wal_set		w = {0};
	retention_plan p;

	b[0] = mk("f1", BACKUP_FAILED, false, 1, 0x10, 0, T0);
	b[1] = mk("r1", BACKUP_RUNNING, false, 1, 0x20, 0, T0 + 10 * SEC);
	b[2] = mk("p1", BACKUP_COMPLETED, true, 1, 0x30, 0x31, T0 + 20 * SEC);
	wal_segments(&w, 1, 1, 0x40);

	retention_make_plan(b, 2, w.names, w.n, 3, &p);
	UNIT_OK(p.nbackups == 0 && p.nwal == 0, "no completed backup: nothing deleted");
	retention_plan_free(&p);

	retention_make_plan(b, 3, w.names, w.n, 3, &p);
	UNIT_OK(p.nbackups == 1 && strcmp(p.backups[0], "f1") == 0 && p.nwal == 0,
			"only a permanent one: the older failed goes, no WAL deleted");
	retention_plan_free(&p);

	retention_make_plan(NULL, 0, w.names, w.n, 3, &p);
	UNIT_OK(p.nbackups == 0 && p.nwal == 0, "no backups at all: nothing deleted");
	retention_plan_free(&p);

	free_backups(b, 3);
	wal_free(&w);
}

/* positions compare across timelines; .history stays */
static void
test_timelines(void)
{
	backup_info b[3];
	wal_set		w = {0};
	retention_plan p;
	const char *want[] = {"tl1-old", NULL};

	b[0] = mk("tl1-old", BACKUP_COMPLETED, false, 1, 0x10, 0x11, T0);
	b[1] = mk("tl1-perm", BACKUP_COMPLETED, true, 1, 0x14, 0x15, T0 + 10 * SEC);
	b[2] = mk("tl3-new", BACKUP_COMPLETED, false, 3, 0x30, 0x31, T0 + 100 * SEC);
	wal_segments(&w, 1, 1, 0x22);	/* timeline 1 up to the switch */
	wal_add(&w, "%08X%08X%08X.partial", 1, 0x22);
	w.names[w.n++] = sg_strdup("00000002.history");
	wal_segments(&w, 2, 0x22, 0x28);	/* timeline 2 */
	w.names[w.n++] = sg_strdup("00000003.history");
	wal_segments(&w, 3, 0x28, 0x40);	/* timeline 3 */

	retention_make_plan(b, 3, w.names, w.n, 1, &p);
	UNIT_OK(plan_backups_are(&p, want), "timelines: the old managed one goes");
	UNIT_OK(wal_deleted(&p, "000000010000000000000001") &&
			wal_deleted(&p, "000000010000000000000022") &&
			wal_deleted(&p, "000000010000000000000022.partial") &&
			wal_deleted(&p, "000000020000000000000028") &&
			wal_deleted(&p, "00000003000000000000002F"),
			"older positions of every timeline deleted");
	UNIT_OK(!wal_deleted(&p, "000000010000000000000014") &&
			!wal_deleted(&p, "000000010000000000000015") &&
			wal_deleted(&p, "000000010000000000000016"),
			"the permanent backup's range kept");
	UNIT_OK(!wal_deleted(&p, "00000002.history") && !wal_deleted(&p, "00000003.history") &&
			!wal_deleted(&p, "000000030000000000000030"), ".history and the kept start kept");
	/* 0x22 - 2 (tl1) + 1 (.partial) + 7 (tl2) + 8 (tl3 0x28..0x2F) */
	UNIT_OK(p.nwal == 0x20 + 1 + 7 + 8, "%d WAL objects planned", p.nwal);
	retention_plan_free(&p);
	free_backups(b, 3);
	wal_free(&w);
}

int
main(void)
{
	test_json_round_trip();
	test_json_bad();
	test_keep_three();
	test_order();
	test_failed_running();
	test_no_completed();
	test_timelines();
	return UNIT_DONE();
}
