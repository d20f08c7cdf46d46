/*
 * test_catalog.c - tests for backup_catalog.c and backup_retention.c that need no
 * S3 server: the metadata JSON round trip and its refusal of damaged
 * input, and retention plans over made-up catalogs (keep count, permanent
 * backups and their WAL, failed and running backups, the order by finish
 * time rather than LSN or name, timelines forked by restores and their
 * .history files, 100k WAL names).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "backup_retention.h"
#include "unit.h"
#include "unit_s3.h"
#include "unit_wal.h"

#define SEC		INT64_C(1000000)
#define T0		(INT64_C(1796000000) * SEC)	/* late 2026 */

/* ---------------------------------------------------------------- */
/* JSON */

#define SHA_A		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SHA_B		"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define SHA_EMPTY	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void
fill_all(backup_info *b)
{
	backup_object *o;

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
	o = backup_info_add_object(b, "base.tar.zst");
	o->bytes = INT64_C(23456789000);	/* above 2^32 */
	strcpy(o->sha256, SHA_A);
	o = backup_info_add_object(b, "16384.tar.zst");
	o->bytes = 12;
	strcpy(o->sha256, SHA_B);
	o = backup_info_add_object(b, BACKUP_MANIFEST_NAME);
	o->bytes = 0;
	strcpy(o->sha256, SHA_EMPTY);
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
		str_same(a->storage_json, b->storage_json) && a->nobjects == b->nobjects;

	for (int i = 0; same && i < a->nobjects; i++)
		same = str_same(a->objects[i].name, b->objects[i].name) &&
			a->objects[i].bytes == b->objects[i].bytes &&
			strcmp(a->objects[i].sha256, b->objects[i].sha256) == 0;
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
	UNIT_OK(strstr(json, "\"objects\": [") != NULL &&
			strstr(json, "\"bytes\": 23456789000,") != NULL &&
			strstr(json, "\"sha256\": \"" SHA_A "\"") != NULL &&
			strstr(json, "\"name\": \"backup_manifest\"") != NULL &&
			strstr(json, "\"sha256\": \"" SHA_EMPTY "\"") != NULL &&
			strstr(json, "\"archives\"") == NULL,
			"objects: each archive and the manifest with its stored size and sha256");

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
		"{\"name\":\"x\",\"archives\":[\"../base.tar\"]}",
		"{\"name\":\"x\",\"objects\":{\"name\":\"base.tar\"}}",
		"{\"name\":\"x\",\"objects\":[\"base.tar\"]}",
		"{\"name\":\"x\",\"objects\":[{\"bytes\":1}]}",
		"{\"name\":\"x\",\"objects\":[{\"name\":\"\"}]}",
		"{\"name\":\"x\",\"objects\":[{\"name\":\"a/b.tar\"}]}",
		"{\"name\":\"x\",\"objects\":[{\"name\":\".hidden\"}]}",
		"{\"name\":\"x\",\"objects\":[{\"name\":\"a.tar\",\"bytes\":-1}]}",
		"{\"name\":\"x\",\"objects\":[{\"name\":\"a.tar\",\"bytes\":\"12\"}]}",
		"{\"name\":\"x\",\"objects\":[{\"name\":\"a.tar\",\"sha256\":\"abc\"}]}",
		"{\"name\":\"x\",\"objects\":[{\"name\":\"a.tar\",\"sha256\":\"" SHA_EMPTY "0\"}]}",
		"{\"name\":\"x\",\"objects\":[{\"name\":\"a.tar\",\"sha256\":\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\"}]}",
		"{\"name\":\"x\",\"objects\":[{\"name\":\"a.tar\"},{\"name\":\"b.tar\",\"sha256\":7}]}",
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
/*
 * metadata.json as sgbackup wrote it before it recorded sizes and
 * checksums: "archives" names the archives only
 */
static void
test_json_old_archives(void)
{
	const char *old = "{\"name\":\"old-1\",\"status\":\"completed\","
		"\"backupInformation\":{\"startLsn\":\"0/2000028\",\"startWalFile\":\"000000010000000000000002\"},"
		"\"archives\":[\"base.tar.zst\",\"16385.tar.zst\"]}";
	const char *both = "{\"name\":\"both\",\"archives\":[\"old.tar\"],"
		"\"objects\":[{\"name\":\"new.tar\",\"bytes\":5}]}";
	backup_info b;
	sg_error	err;
	bool		ok;
	char	   *json;

	sg_error_clear(&err);
	ok = backup_info_from_json(old, strlen(old), &b, &err);
	UNIT_OK(ok && b.nobjects == 2 && strcmp(b.objects[0].name, "base.tar.zst") == 0 &&
			strcmp(b.objects[1].name, "16385.tar.zst") == 0 &&
			b.objects[0].bytes == -1 && b.objects[1].sha256[0] == '\0',
			"old metadata.json: its archives are read as objects without size or checksum%s%s",
			ok ? "" : ": ", ok ? "" : err.msg);
	if (ok)
	{
		UNIT_OK(backup_info_object(&b, "16385.tar.zst") == &b.objects[1] &&
				backup_info_object(&b, BACKUP_MANIFEST_NAME) == NULL,
				"objects found by name; the old form lists no manifest");
		json = backup_info_to_json(&b);
		UNIT_OK(strstr(json, "\"objects\": [") != NULL &&
				strstr(json, "\"name\": \"16385.tar.zst\"") != NULL &&
				strstr(json, "\"bytes\"") == NULL && strstr(json, "\"sha256\"") == NULL,
				"written back as objects, with no size or checksum made up");
		free(json);
		backup_info_free(&b);
	}
	ok = backup_info_from_json(both, strlen(both), &b, &err);
	UNIT_OK(ok && b.nobjects == 1 && strcmp(b.objects[0].name, "new.tar") == 0 &&
			b.objects[0].bytes == 5, "objects wins over archives");
	if (ok)
		backup_info_free(&b);
}

/* RFC 3339 times: Z, offsets, fractions; anything else refused */
static void
test_parse_time(void)
{
	static const struct
	{
		const char *text;
		int64_t		usec;		/* from T0 */
	}			good[] = {
		{"2026-11-30T00:53:20Z", 0},
		{"2026-11-30T00:53:20z", 0},
		{"2026-11-30t00:53:20Z", 0},
		{"2026-11-30T00:53:20.5Z", 500000},
		{"2026-11-30T00:53:20.1234567Z", 123456},
		{"2026-11-30T02:53:20+02:00", 0},
		{"2026-11-29T19:23:20-05:30", 0},
		{"2026-11-30T00:53:20.25+00:00", 250000},
	};
	static const char *const bad[] = {
		"", "2026-11-30", "2026-11-30 00:53:20Z", "2026-11-30T00:53:20",
		"2026-11-30T 0:53:20Z", "2026-11-30T00:53:+0Z", "+026-11-30T00:53:20Z",
		"2026-11-30T00:53:20+2:00", "2026-11-30T00:53:20+02", "2026-11-30T00:53:20+0200",
		"2026-11-30T00:53:20+24:00", "2026-11-30T00:53:20+02:60", "2026-11-30T00:53:20Z ",
		"2026-11-30T00:53:20.Z", "2026-02-30T00:00:00Z", "2026-11-30T24:00:00Z",
		"2026-11-30T00:53:20UTC",
	};
	int			wrong = 0;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
	{
		int64_t		t = 0;

		if (!sg_parse_time(good[i].text, &t) || t != T0 + good[i].usec)
		{
			printf("# %s: %s\n", good[i].text, "not read as expected");
			wrong++;
		}
	}
	UNIT_OK(wrong == 0, "RFC 3339 times with Z, lower case, offsets and fractions");
	wrong = 0;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		int64_t		t;

		if (sg_parse_time(bad[i], &t))
		{
			printf("# accepted \"%s\"\n", bad[i]);
			wrong++;
		}
	}
	UNIT_OK(wrong == 0, "%zu malformed times refused", sizeof(bad) / sizeof(bad[0]));
}

/* ---------------------------------------------------------------- */
/* retention: a made-up catalog */

/* 16 MiB segments: the name of segment number segno on timeline tli */
static void
seg_name(char *out, size_t size, uint32_t tli, uint32_t segno)
{
	snprintf(out, size, "%08X%08X%08X", tli, segno / 256, segno % 256);
}

/* the LSN at offset off of segment segno */
static uint64_t
seg_lsn(uint32_t segno, uint32_t off)
{
	return (uint64_t) segno * 0x1000000 + off;
}

/*
 * A backup starting in segment seg (timeline tli), stopping in stop_seg; a
 * completed one finished a second after it started.
 */
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
		b.start_lsn = seg_lsn(seg, 0x28);
		seg_name(b.start_wal, sizeof(b.start_wal), tli, seg);
	}
	if (stop_seg != 0)
	{
		b.stop_lsn = seg_lsn(stop_seg, 0x100);
		seg_name(b.stop_wal, sizeof(b.stop_wal), tli, stop_seg);
	}
	b.started_at = started_at;
	if (status == BACKUP_COMPLETED && started_at != 0)
		b.finished_at = started_at + SEC;
	return b;
}

/* segment segno of timeline tli, with a suffix such as ".partial" */
static void
wal_add(wal_set *w, uint32_t tli, uint32_t segno, const char *suffix)
{
	char		name[64];

	seg_name(name, sizeof(name), tli, segno);
	strcat(name, suffix);
	wal_name_add(w, name);
}

/* segments tli/from..to */
static void
wal_segments(wal_set *w, uint32_t tli, uint32_t from, uint32_t to)
{
	for (uint32_t s = from; s <= to; s++)
		wal_add(w, tli, s, "");
}

/*
 * The bucket's .history files as the plan reads them: text NULL is a file
 * that cannot be read (damaged), "ERROR" an S3 error.
 */
typedef struct history_file
{
	const char *name;
	const char *text;
} history_file;

static int
read_history(void *arg, const char *name, sg_buf *out, sg_error *err)
{
	for (const history_file *h = arg; h != NULL && h->name != NULL; h++)
	{
		if (strcmp(h->name, name) != 0)
			continue;
		if (h->text == NULL)
			return 0;
		if (strcmp(h->text, "ERROR") == 0)
		{
			sg_error_set(err, SG_ERR_NETWORK, "could not read \"%s\"", name);
			return -1;
		}
		sg_buf_append_str(out, h->text);
		return 1;
	}
	return 0;
}

/* the listing holds every history file of h */
static void
wal_histories(wal_set *w, const history_file *h)
{
	for (; h->name != NULL; h++)
		wal_name_add(w, h->name);
}

static bool
make_plan(const backup_info *b, int n, const wal_set *w, int keep,
		  const history_file *h, retention_plan *p)
{
	sg_error	err;
	bool		ok;

	sg_error_clear(&err);
	ok = retention_make_plan(b, n, w ? w->names : NULL, w ? w->n : 0, keep,
							 read_history, (void *) h, p, &err);
	if (!ok)
		printf("# the plan failed: %s\n", err.msg);
	return ok;
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

/* which WAL a test expects deleted: by timeline and segment number */
typedef bool (*wal_rule) (uint32_t tli, uint32_t segno);

/*
 * The plan deletes exactly the WAL the rule says, among segments, .partial
 * and .backup files; never a .history file or a name it does not know.
 */
static bool
wal_deleted_are(const retention_plan *p, const wal_set *w, wal_rule rule)
{
	int			wrong = 0,
				want = 0;

	for (int i = 0; i < w->n; i++)
	{
		const char *name = w->names[i];
		unsigned	tli,
					log,
					seg;
		bool		want_deleted = false;

		if (strlen(name) >= 24 && strspn(name, "0123456789ABCDEF") >= 24 &&
			sscanf(name, "%8X%8X%8X", &tli, &log, &seg) == 3)
			want_deleted = rule(tli, log * 256 + seg);
		want += want_deleted;
		if (wal_deleted(p, name) != want_deleted && wrong++ < 10)
			printf("# %s: %s\n", name, want_deleted ? "kept, should go" : "deleted, should stay");
	}
	if (p->nwal != want)
		printf("# the plan deletes %d WAL objects, expected %d\n", p->nwal, want);
	return wrong == 0 && p->nwal == want;
}

static void
free_backups(backup_info *b, int n)
{
	for (int i = 0; i < n; i++)
		backup_info_free(&b[i]);
}

/*
 * What a plan must delete: exactly the backups named (NULL-terminated;
 * NULL: not checked) and the WAL the rule says (NULL: not checked).
 */
typedef struct expected
{
	const char *const *backups;
	const char *backups_what;
	wal_rule	wal;
	const char *wal_what;
} expected;

static void
expect_plan(const backup_info *b, int n, const wal_set *w, int keep,
			const history_file *h, const expected *e)
{
	retention_plan p;
	bool		ok = make_plan(b, n, w, keep, h, &p);

	if (e->backups)
		UNIT_OK(ok && plan_backups_are(&p, e->backups), "%s", e->backups_what);
	if (e->wal)
		UNIT_OK(ok && wal_deleted_are(&p, w, e->wal), "%s", e->wal_what);
	if (ok)
		retention_plan_free(&p);
}

/* ---------------------------------------------------------------- */
/* retention on one timeline */

static bool
keep_three_rule(uint32_t tli, uint32_t seg)
{
	/* older than v5 (0x50), except the permanent's 0x30..0x33 */
	return seg < 0x50 && !(seg >= 0x30 && seg <= 0x33);
}

/*
 * 7 managed + 1 permanent, keep 3.  Names sort the opposite way of the
 * order (z... is the oldest), and the array is given shuffled.
 */
static void
test_keep_three(void)
{
	backup_info b[8];
	wal_set		w = {0};
	retention_plan p;

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
	wal_add(&w, 1, 0x20, ".00000028.backup");
	wal_add(&w, 1, 0x30, ".00000028.backup");
	wal_add(&w, 1, 0x50, ".00000028.backup");
	wal_add(&w, 1, 0x60, ".00000028.backup");
	wal_add(&w, 1, 0x2F, ".partial");
	wal_add(&w, 1, 0x81, ".partial");
	wal_name_add(&w, "00000001.history");	/* never a real file, still kept */
	wal_name_add(&w, "00000002.history");
	wal_name_add(&w, "not-a-wal-name");

	if (make_plan(b, 8, &w, 3, NULL, &p))
	{
		const char *want[] = {"a0", "z1", "y2", "w4", NULL};

		UNIT_OK(plan_backups_are(&p, want), "keep 3: deletes a0 z1 y2 w4, keeps v5 u6 t7 and the permanent");
		UNIT_OK(wal_deleted_are(&p, &w, keep_three_rule),
				"WAL before v5 deleted except the permanent's 0x30..0x33 (.backup and .partial too)");
		UNIT_OK(!wal_deleted(&p, "00000001.history") && !wal_deleted(&p, "00000002.history") &&
				!wal_deleted(&p, "not-a-wal-name"), ".history and unknown names kept");
		retention_plan_free(&p);
	}

	/* keep more than there are: nothing at all but WAL before the oldest */
	if (make_plan(b, 8, &w, 10, NULL, &p))
	{
		UNIT_OK(p.nbackups == 0 && p.nwal == 7 && wal_deleted(&p, "000000010000000000000007"),
				"keep 10: no backup deleted, only the 7 segments before the oldest");
		retention_plan_free(&p);
	}

	/* keep 0 is treated as 1 */
	if (make_plan(b, 8, &w, 0, NULL, &p))
	{
		UNIT_OK(p.nbackups == 6 && !plan_has(p.backups, p.nbackups, "", "t7") &&
				!plan_has(p.backups, p.nbackups, "", "x3-permanent"),
				"keep 0 keeps the newest one and the permanent");
		retention_plan_free(&p);
	}

	free_backups(b, 8);
	wal_free(&w);
}

/* put n backups (metadata.json, or started.json when not completed, and an archive) and the WAL into st */
static bool
store_all(sg_store *st, const backup_info *b, int n, const wal_set *w, sg_error *err)
{
	bool		ok = true;

	for (int i = 0; ok && i < n; i++)
	{
		char		key[300];

		snprintf(key, sizeof(key), "backups/%s/base.tar.zst", b[i].name);
		ok = backup_catalog_put(st, &b[i], b[i].status == BACKUP_COMPLETED ?
								"metadata.json" : "started.json", err) &&
			sg_store_put(st, key, "tar", 3, NULL, 0, err);
	}
	for (int i = 0; ok && i < w->n; i++)
	{
		char		key[300];

		snprintf(key, sizeof(key), "wal/%s", w->names[i]);
		ok = sg_store_put(st, key, "wal", 3, NULL, 0, err);
	}
	return ok;
}

static bool
count_key(void *arg, const sg_store_entry *e)
{
	(*(int *) arg)++;
	return true;
}

/*
 * test_keep_three carried out over a local store: sg_retention_run lists
 * the store, makes the same plan and deletes exactly what it says
 */
static void
test_keep_three_local(void)
{
	backup_info b[4];
	wal_set		w = {0};
	retention_plan p;
	backup_info *left;
	int			nleft = 0,
				nwal = 0;
	sg_error	err;
	sg_store   *st = unit_local_store("unit-catalog-retention", &err);
	bool		ok;

	UNIT_OK(st != NULL, "local store%s%s", st ? "" : ": ", st ? "" : err.msg);
	if (st == NULL)
		return;
	b[0] = mk("t3", BACKUP_COMPLETED, false, 1, 0x30, 0x31, T0 + 3000 * SEC);
	b[1] = mk("z1", BACKUP_COMPLETED, false, 1, 0x10, 0x11, T0 + 1000 * SEC);
	b[2] = mk("x2-permanent", BACKUP_COMPLETED, true, 1, 0x20, 0x21, T0 + 2000 * SEC);
	b[3] = mk("u4", BACKUP_COMPLETED, false, 1, 0x40, 0x41, T0 + 4000 * SEC);
	wal_segments(&w, 1, 0x01, 0x50);
	wal_name_add(&w, "00000002.history");
	ok = store_all(st, b, 4, &w, &err);
	UNIT_OK(ok, "stored 4 backups and %d WAL files%s%s", w.n, ok ? "" : ": ", ok ? "" : err.msg);
	ok = ok && sg_retention_run(st, 2, NULL, NULL, &p, &err);
	UNIT_OK(ok && p.nbackups == 1 && strcmp(p.backups[0], "z1") == 0,
			"retention 2 over the local store deletes z1 only%s%s", ok ? "" : ": ", ok ? "" : err.msg);
	ok = ok && backup_catalog_list(st, NULL, NULL, &left, &nleft, &err);
	UNIT_OK(ok && nleft == 3 && strcmp(left[0].name, "x2-permanent") == 0,
			"x2-permanent, t3 and u4 are left (%d)", nleft);
	if (ok)
		backup_list_free(left, nleft);
	ok = ok && sg_store_list(st, "wal/", NULL, count_key, &nwal, &err);
	/* before the permanent's 0x20: 0x01..0x1F; 0x22..0x2F before t3 too */
	UNIT_OK(ok && p.nwal == 0x1F + 0x0E && nwal == w.n - p.nwal,
			"the WAL the plan names is gone, the rest is there (%d deleted, %d left)",
			p.nwal, nwal);
	if (ok)
		retention_plan_free(&p);
	free_backups(b, 4);
	wal_free(&w);
	sg_store_free(st);
	unit_rm_rf(unit_local_root);
}

static int
order_qsort_cmp(const void *a, const void *b)
{
	return backup_order_cmp(a, b);
}

/*
 * Completed backups by when they finished, others by when they started;
 * not by LSN (which says nothing across timelines), name or input order.
 */
static void
test_order(void)
{
	backup_info b[7];
	retention_plan p;
	const char *order[] = {"a-oldest", "b-middle", "f-failed", "r-running", "c-newest",
	"g-failed", "u-unknown"};
	bool		ok = true;

	/* c-newest has the lowest LSN: it is on a timeline forked below the others */
	b[0] = mk("c-newest", BACKUP_COMPLETED, false, 3, 0x10, 0x11, T0 + 200 * SEC);
	b[1] = mk("b-middle", BACKUP_COMPLETED, false, 2, 0x20, 0x21, T0 + 100 * SEC);
	b[2] = mk("a-oldest", BACKUP_COMPLETED, false, 1, 0x30, 0x31, T0);
	/* failed after b-middle finished, before c-newest: older than c-newest */
	b[3] = mk("f-failed", BACKUP_FAILED, false, 2, 0x40, 0, T0 + 150 * SEC);
	b[4] = mk("g-failed", BACKUP_FAILED, false, 3, 0x12, 0, T0 + 300 * SEC);
	b[5] = mk("r-running", BACKUP_RUNNING, false, 2, 0, 0, T0 + 160 * SEC);
	/* no time known: last */
	b[6] = mk("u-unknown", BACKUP_FAILED, false, 1, 0x05, 0, 0);

	qsort(b, 7, sizeof(backup_info), order_qsort_cmp);
	for (int i = 0; i < 7; i++)
	{
		ok &= strcmp(b[i].name, order[i]) == 0;
		printf("# %d: %s\n", i, b[i].name);
	}
	UNIT_OK(ok, "backup_order_cmp: completed by finish time, others by start time, unknown last");

	if (make_plan(b, 7, NULL, 2, NULL, &p))
	{
		const char *want[] = {"a-oldest", "f-failed", NULL};

		UNIT_OK(plan_backups_are(&p, want),
				"keep 2: the oldest by finish time goes, and the failed one older than the newest completed");
		retention_plan_free(&p);
	}
	free_backups(b, 7);

	/* same finish time: the start LSN decides, then the name */
	b[0] = mk("a", BACKUP_COMPLETED, false, 1, 0x12, 0x12, T0);
	b[1] = mk("b", BACKUP_COMPLETED, false, 1, 0x11, 0x11, T0);
	b[2] = mk("c", BACKUP_COMPLETED, false, 1, 0x10, 0x10, T0);
	/* metadata without timing.end: its start time counts */
	b[3] = mk("d-no-end", BACKUP_COMPLETED, false, 1, 0x13, 0x13, T0 + 50 * SEC);
	b[3].finished_at = 0;
	if (make_plan(b, 4, NULL, 2, NULL, &p))
	{
		const char *want[] = {"b", "c", NULL};

		UNIT_OK(plan_backups_are(&p, want), "same finish time: the higher start LSN stays");
		retention_plan_free(&p);
	}
	free_backups(b, 4);
}

static bool
failed_running_rule(uint32_t tli, uint32_t seg)
{
	return seg < 0x20;
}

static bool
running_holds_rule(uint32_t tli, uint32_t seg)
{
	return seg < 0x15;
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
	if (make_plan(b, 7, &w, 1, NULL, &p))
	{
		UNIT_OK(plan_backups_are(&p, want),
				"failed older than the newest completed deleted; newer failed and running kept");
		UNIT_OK(wal_deleted_are(&p, &w, failed_running_rule), "WAL before m2 deleted");
		retention_plan_free(&p);
	}

	/* a running backup with a known, older start holds the WAL it needs */
	backup_info_free(&b[6]);
	b[6] = mk("r-running", BACKUP_RUNNING, false, 1, 0x15, 0, T0 + 10 * SEC);
	if (make_plan(b, 7, &w, 1, NULL, &p))
	{
		UNIT_OK(!plan_has(p.backups, p.nbackups, "", "r-running") &&
				wal_deleted_are(&p, &w, running_holds_rule),
				"running backup never deleted and its WAL kept");
		retention_plan_free(&p);
	}

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

	if (make_plan(b, 2, &w, 3, NULL, &p))
	{
		UNIT_OK(p.nbackups == 0 && p.nwal == 0, "no completed backup: nothing deleted");
		retention_plan_free(&p);
	}
	if (make_plan(b, 3, &w, 3, NULL, &p))
	{
		UNIT_OK(p.nbackups == 1 && strcmp(p.backups[0], "f1") == 0 && p.nwal == 0,
				"only a permanent one: the older failed goes, no WAL deleted");
		retention_plan_free(&p);
	}
	if (make_plan(NULL, 0, &w, 3, NULL, &p))
	{
		UNIT_OK(p.nbackups == 0 && p.nwal == 0, "no backups at all: nothing deleted");
		retention_plan_free(&p);
	}
	free_backups(b, 3);
	wal_free(&w);
}

/* ---------------------------------------------------------------- */
/* retention over timelines */

/*
 * The issue's case, three timelines and two restores.  b0 and b1 on
 * timeline 1; a restore to a moment between them forks timeline 2 at
 * 0x20, below b1, and b2 is taken on it; a later restore forks timeline 3
 * from timeline 2 at 0x28, after b2's start.  The old timeline-1 server
 * went on writing to 0x38.
 */
static const history_file issue_histories[] = {
	{"00000002.history", "1\t0/20000100\tat restore point \"t\"\n"},
	{"00000003.history", "1\t0/20000100\tat restore point \"t\"\n"
	"2\t0/28000200\tno recovery target specified\n"},
	{NULL, NULL}
};

static void
issue_catalog(backup_info *b, wal_set *w)
{
	b[0] = mk("b0-tl1", BACKUP_COMPLETED, false, 1, 0x10, 0x11, T0);
	b[1] = mk("b1-tl1-newest", BACKUP_COMPLETED, false, 1, 0x30, 0x31, T0 + 3000 * SEC);
	b[2] = mk("b2-tl2", BACKUP_COMPLETED, false, 2, 0x24, 0x25, T0 + 5000 * SEC);
	wal_segments(w, 1, 0x01, 0x38);
	wal_add(w, 1, 0x10, ".00000028.backup");
	wal_add(w, 1, 0x30, ".00000028.backup");
	wal_add(w, 1, 0x20, ".partial");	/* archived by the restored server at promotion */
	wal_segments(w, 2, 0x20, 0x2C);
	wal_add(w, 2, 0x24, ".00000028.backup");
	wal_add(w, 2, 0x28, ".partial");
	wal_segments(w, 3, 0x28, 0x30);
	wal_add(w, 3, 0x31, ".partial");
	wal_histories(w, issue_histories);
}

/* retention 1: b2 alone; all of timeline 1 goes, timeline 2 before b2 */
static bool
issue_keep_one_rule(uint32_t tli, uint32_t seg)
{
	return tli == 1 || (tli == 2 && seg < 0x24);
}

/* retention 2: b1 too, which reaches no other timeline (they fork below it) */
static bool
issue_keep_two_rule(uint32_t tli, uint32_t seg)
{
	return (tli == 1 && seg < 0x30) || (tli == 2 && seg < 0x24);
}

static void
test_issue_case(void)
{
	backup_info b[3];
	wal_set		w = {0};
	const char *gone_one[] = {"b0-tl1", "b1-tl1-newest", NULL};
	const char *gone_two[] = {"b0-tl1", NULL};
	expected	keep_one = {gone_one,
		"retention 1 keeps the timeline-2 backup that finished last, deletes both timeline-1 backups",
		issue_keep_one_rule,
	"keeps timeline 2 from b2's start, all of timeline 3 (forked after it) and the .history files; deletes timeline 1"};
	expected	keep_two = {gone_two, "retention 2 keeps b1 and b2", issue_keep_two_rule,
	"b1 keeps timeline 1 from its start; timelines 2 and 3 fork below it"};

	issue_catalog(b, &w);
	expect_plan(b, 3, &w, 1, issue_histories, &keep_one);
	expect_plan(b, 3, &w, 2, issue_histories, &keep_two);
	free_backups(b, 3);
	wal_free(&w);
}

/*
 * Timeline 4 forks from timeline 2 at 0x22, before b2's start (0x24): b2
 * cannot reach it, so it is abandoned; timeline 3 (forked at 0x28) is not.
 * A running backup on timeline 2 from 0x21 reaches timeline 4.
 */
static const history_file fork_histories[] = {
	{"00000002.history", "1\t0/20000100\tat restore point \"t\"\n"},
	{"00000003.history", "1\t0/20000100\tat restore point \"t\"\n"
	"2\t0/28000200\tno recovery target specified\n"},
	{"00000004.history", "1\t0/20000100\tat restore point \"t\"\n"
	"2\t0/22000000\tbefore 2026-11-30 06:00:00+00\n"},
	{NULL, NULL}
};

static bool
fork_before_rule(uint32_t tli, uint32_t seg)
{
	return tli == 1 || tli == 4 || (tli == 2 && seg < 0x24);
}

static bool
fork_running_rule(uint32_t tli, uint32_t seg)
{
	return tli == 1 || (tli == 2 && seg < 0x21);
}

static void
test_fork_before_start(void)
{
	backup_info b[4];
	wal_set		w = {0};
	const char *gone[] = {"b0-tl1", "b1-tl1-newest", NULL};
	expected	before = {NULL, NULL, fork_before_rule,
	"a timeline forked from timeline 2 before b2's start is deleted, one forked after is kept"};
	expected	running = {gone, "the running backup stays", fork_running_rule,
	"a running backup on timeline 2 from 0x21 holds timeline 2 from there and timeline 4"};

	issue_catalog(b, &w);
	wal_segments(&w, 4, 0x22, 0x26);
	wal_name_add(&w, "00000004.history");
	expect_plan(b, 3, &w, 1, fork_histories, &before);
	b[3] = mk("r-running-tl2", BACKUP_RUNNING, false, 2, 0x21, 0, T0 + 6000 * SEC);
	expect_plan(b, 4, &w, 1, fork_histories, &running);
	free_backups(b, 4);
	wal_free(&w);
}

/*
 * k1 on timeline 1 from 0x10; timeline 2 forks from timeline 1 at 0x18,
 * timeline 3 from timeline 2 at 0x1C: both descend from k1's timeline
 * after its start, so all their WAL stays, and timeline 1 after the fork
 * too (k1 can replay along it).
 */
static const history_file descendant_histories[] = {
	{"00000002.history", "1\t0/18000000\tno recovery target specified\n"},
	{"00000003.history", "1\t0/18000000\tno recovery target specified\n"
	"2\t0/1C000000\tno recovery target specified\n"},
	{NULL, NULL}
};

static bool
descendants_rule(uint32_t tli, uint32_t seg)
{
	return tli == 1 && seg < 0x10;
}

static bool
descendants_keep_one_rule(uint32_t tli, uint32_t seg)
{
	return tli == 1 || tli == 2 || (tli == 3 && seg < 0x20);
}

static void
test_descendants_after_start(void)
{
	backup_info b[3];
	wal_set		w = {0};
	const char *gone_two[] = {"a0-tl1", NULL};
	const char *gone_one[] = {"a0-tl1", "k1-tl1", NULL};
	expected	keep_two = {gone_two, "keep 2: k1 and k3 stay", descendants_rule,
	"k1 keeps timeline 1 from its start and all of timelines 2 and 3, which branch after it"};
	expected	keep_one = {gone_one, "keep 1: k3 alone stays", descendants_keep_one_rule,
	"k3 alone keeps timeline 3 from its start"};

	b[0] = mk("a0-tl1", BACKUP_COMPLETED, false, 1, 0x04, 0x05, T0);
	b[1] = mk("k1-tl1", BACKUP_COMPLETED, false, 1, 0x10, 0x11, T0 + 1000 * SEC);
	b[2] = mk("k3-tl3", BACKUP_COMPLETED, false, 3, 0x20, 0x21, T0 + 3000 * SEC);
	wal_segments(&w, 1, 0x01, 0x1A);
	wal_add(&w, 1, 0x18, ".partial");
	wal_segments(&w, 2, 0x18, 0x1E);
	wal_add(&w, 2, 0x1C, ".partial");
	wal_segments(&w, 3, 0x1C, 0x24);
	wal_histories(&w, descendant_histories);
	expect_plan(b, 3, &w, 2, descendant_histories, &keep_two);
	expect_plan(b, 3, &w, 1, descendant_histories, &keep_one);
	free_backups(b, 3);
	wal_free(&w);
}

/*
 * A permanent backup on timeline 1 (0x08..0x0A) keeps its own WAL, not
 * the timeline that forks after it (timeline 2 at 0x0C): m on timeline 2
 * is the managed backup kept.  Timeline 1 went on to 0x28.
 */
static const history_file permanent_histories[] = {
	{"00000002.history", "1\t0/0C000000\tno recovery target specified\n"},
	{NULL, NULL}
};

static bool
permanent_rule(uint32_t tli, uint32_t seg)
{
	if (tli == 1)
		return seg < 0x08 || seg > 0x0A;
	return seg < 0x20;
}

static void
test_permanent_old_timeline(void)
{
	backup_info b[3];
	wal_set		w = {0};
	const char *gone[] = {"old-tl1", NULL};
	expected	e = {gone, "the permanent backup on timeline 1 stays", permanent_rule,
	"it keeps its own WAL on timeline 1 (0x08..0x0A, with its .backup); the rest of timeline 1 and timeline 2 before m go"};

	b[0] = mk("old-tl1", BACKUP_COMPLETED, false, 1, 0x04, 0x05, T0 - 1000 * SEC);
	b[1] = mk("p-tl1", BACKUP_COMPLETED, true, 1, 0x08, 0x0A, T0);
	b[2] = mk("m-tl2", BACKUP_COMPLETED, false, 2, 0x20, 0x21, T0 + 2000 * SEC);
	wal_segments(&w, 1, 0x01, 0x28);
	wal_add(&w, 1, 0x08, ".00000028.backup");
	wal_add(&w, 1, 0x0C, ".partial");
	wal_segments(&w, 2, 0x0C, 0x2A);
	wal_histories(&w, permanent_histories);
	expect_plan(b, 3, &w, 1, permanent_histories, &e);
	free_backups(b, 3);
	wal_free(&w);
}

/*
 * k on timeline 3 (from 0x30).  00000002.history is missing: timeline 2's
 * WAL stays, even though 00000003.history names timeline 2 as its parent.
 * 00000004.history cannot be read, and timeline 5 has no history file at
 * all: their WAL stays too.
 */
static const history_file missing_histories[] = {
	{"00000003.history", "1\t0/10000000\tno recovery target specified\n"
	"2\t0/20000000\tno recovery target specified\n"},
	{"00000004.history", NULL},
	{NULL, NULL}
};

static bool
missing_rule(uint32_t tli, uint32_t seg)
{
	return tli == 1 || (tli == 3 && seg < 0x30);
}

static void
test_missing_history(void)
{
	backup_info b[2];
	wal_set		w = {0};
	expected	e = {NULL, NULL, missing_rule,
	"WAL of timelines without a readable .history stays; timeline 1 and timeline 3 before k go"};

	b[0] = mk("old-tl1", BACKUP_COMPLETED, false, 1, 0x04, 0x05, T0);
	b[1] = mk("k-tl3", BACKUP_COMPLETED, false, 3, 0x30, 0x31, T0 + 3000 * SEC);
	wal_segments(&w, 1, 0x01, 0x12);
	wal_segments(&w, 2, 0x10, 0x22);
	wal_segments(&w, 3, 0x20, 0x34);
	wal_segments(&w, 4, 0x25, 0x28);
	wal_segments(&w, 5, 0x26, 0x27);
	wal_histories(&w, missing_histories);
	expect_plan(b, 2, &w, 1, missing_histories, &e);
	free_backups(b, 2);
	wal_free(&w);
}

/*
 * History files as PostgreSQL reads them (timeline.c): comments and blank
 * lines are skipped; a file that is not a valid history leaves its
 * timeline unknown, so its WAL stays.  k on timeline 1 from 0x30 keeps
 * nothing before that on any timeline the plan knows.
 */
static const history_file parsed_histories[] = {
	{"00000002.history", "# made by hand\n\n1\t0/10000000\tno recovery target specified\n"},
	{"00000003.history", "not a history file\n"},
	{"00000004.history", "2\t0/10000000\n1\t0/20000000\n"},	/* not ascending */
	{"00000005.history", "1\t0/10000000\n5\t0/20000000\n"},	/* its own number */
	{"00000006.history", "1\n"},	/* no switch point */
	{"00000007.history", "1\t0/1000000G\n"},
	{"00000008.history", "1\t0/10000000 trailing\n"},
	{"00000009.history", "1\t0/10000000\n"},	/* good, no reason */
	{NULL, NULL}
};

static bool
parsed_rule(uint32_t tli, uint32_t seg)
{
	return (tli == 1 && seg < 0x30) || tli == 2 || tli == 9;
}

static void
test_history_parsing(void)
{
	backup_info b[2];
	wal_set		w = {0};
	retention_plan p;
	sg_error	err;
	history_file failing[] = {{"00000002.history", "ERROR"}, {NULL, NULL}};
	expected	e = {NULL, NULL, parsed_rule,
	"timelines 2 and 9 read (comments, blank lines, no reason); 3 to 8 invalid, so kept"};
	bool		ok;

	b[0] = mk("old-tl1", BACKUP_COMPLETED, false, 1, 0x04, 0x05, T0);
	b[1] = mk("k-tl1", BACKUP_COMPLETED, false, 1, 0x30, 0x31, T0 + 3000 * SEC);
	wal_segments(&w, 1, 0x01, 0x34);
	for (uint32_t tli = 2; tli <= 9; tli++)
		wal_segments(&w, tli, 0x10 + tli, 0x12 + tli);
	wal_histories(&w, parsed_histories);
	expect_plan(b, 2, &w, 1, parsed_histories, &e);

	/* an S3 error while reading a history file stops retention */
	sg_error_clear(&err);
	ok = retention_make_plan(b, 2, w.names, w.n, 1, read_history, failing, &p, &err);
	UNIT_OK(!ok && err.kind == SG_ERR_NETWORK && p.nbackups == 0 && p.nwal == 0,
			"an error reading a history file fails the plan, which deletes nothing (%s)", err.msg);
	retention_plan_free(&p);
	free_backups(b, 2);
	wal_free(&w);
}

/* peak resident memory so far, kB */
static long
peak_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* 100k WAL names: the plan's time and memory, printed, never a failure */
static void
test_many_wal_files(void)
{
	backup_info b[2];
	wal_set		w = {0};
	retention_plan p;
	char		history[64];
	history_file histories[] = {{"00000002.history", history}, {NULL, NULL}};
	struct timespec t0,
				t1;
	long		rss0 = peak_rss_kb(),
				rss1;

	/* timeline 1: segments 1..50000; timeline 2 forks at 40000, to 89999 */
	wal_segments(&w, 1, 1, 50000);
	wal_segments(&w, 2, 40000, 89999);
	rss1 = peak_rss_kb();
	snprintf(history, sizeof(history), "1\t%X/%X\tno recovery target specified\n",
			 (unsigned) (seg_lsn(40000, 0) >> 32), (unsigned) seg_lsn(40000, 0));
	b[0] = mk("old-tl1", BACKUP_COMPLETED, false, 1, 1000, 1001, T0);
	b[1] = mk("k-tl2", BACKUP_COMPLETED, false, 2, 70000, 70001, T0 + 3000 * SEC);
	wal_name_add(&w, "00000002.history");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (make_plan(b, 2, &w, 1, histories, &p))
	{
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("# plan over %d WAL names: %.1f ms, %d to delete; peak memory: "
			   "the listing +%ld kB, the plan +%ld kB\n", w.n - 1,
			   (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6, p.nwal,
			   rss1 - rss0, peak_rss_kb() - rss1);
		UNIT_OK(p.nwal == 50000 + 30000 && p.nbackups == 1 &&
				wal_deleted(&p, "00000002000001110000006F") &&
				!wal_deleted(&p, "000000020000011100000070"),
				"100k WAL names: all of timeline 1 and timeline 2 before k (%d)", p.nwal);
		retention_plan_free(&p);
	}
	free_backups(b, 2);
	wal_free(&w);
}

int
main(void)
{
	test_json_round_trip();
	test_json_bad();
	test_json_old_archives();
	test_parse_time();
	test_keep_three();
	test_keep_three_local();
	test_order();
	test_failed_running();
	test_no_completed();
	test_issue_case();
	test_fork_before_start();
	test_descendants_after_start();
	test_permanent_old_timeline();
	test_missing_history();
	test_history_parsing();
	test_many_wal_files();
	return UNIT_DONE();
}
