/*
 * test_catalog_s3.c - backup_catalog.c over a store: a local one always,
 * then a real S3 server (the Ceph RADOS Gateway of scripts/rgw.sh, whose
 * env.sh exports SG_TEST_S3_*) with listing pages of 300 keys:
 * fake backups (their .json objects and small archives) and over a
 * thousand fake WAL objects on three timelines under a unique prefix are
 * listed (statuses and order), retention is run (sg_retention_run, which
 * reads the .history files with wal_fetch_mem), and exactly the expected
 * objects must remain.  The S3 run is skipped when no server is configured.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "backup_retention.h"
#include "unit.h"
#include "unit_s3.h"
#include "wal_store.h"

#define SEC			INT64_C(1000000)
#define MAX_KEYS	4096
#define LAST_WAL	0x445		/* WAL segments 1..LAST_WAL on timeline 1 */
#define TL2_FORK	0x41C		/* timeline 2 forks from timeline 1 here */
#define TL2_LAST	0x425

typedef struct key_list
{
	char	   *keys[MAX_KEYS];
	int			n;
} key_list;

static int64_t base_time;		/* a day ago, microseconds */

static bool
collect_key(void *arg, const sg_store_entry *entry)
{
	key_list   *kl = arg;

	if (kl->n < MAX_KEYS)
		kl->keys[kl->n++] = sg_strdup(entry->key);
	return true;
}

static void
keys_free(key_list *kl)
{
	for (int i = 0; i < kl->n; i++)
		free(kl->keys[i]);
	kl->n = 0;
}

static bool
keys_has(const key_list *kl, const char *key)
{
	for (int i = 0; i < kl->n; i++)
	{
		if (strcmp(kl->keys[i], key) == 0)
			return true;
	}
	return false;
}

static bool
put_text(sg_store *st, const char *key, const char *text)
{
	sg_error	err;

	sg_error_clear(&err);
	if (!sg_store_put(st, key, text, strlen(text), NULL, 0, &err))
	{
		printf("# put %s: %s\n", key, err.msg);
		return false;
	}
	return true;
}

/* what a fake backup has in the bucket */
enum
{
	HAS_METADATA = 1,
	HAS_FAILED = 2,
	HAS_GARBAGE_METADATA = 4
};

/*
 * a fake backup starting in segment seg of timeline tli: started.json
 * (name, start time, permanent only, as a backup writes it first),
 * archives, and what says
 */
static bool
put_backup(sg_store *st, const char *name, bool permanent, uint32_t tli,
		   uint32_t seg, uint32_t stop_seg, int64_t started_at, int what)
{
	backup_info b;
	sg_error	err;
	char		key[256];
	bool		ok;

	backup_info_init(&b);
	b.name = sg_strdup(name);
	b.permanent = permanent;
	b.started_at = started_at;
	sg_error_clear(&err);
	ok = backup_catalog_put(st, &b, "started.json", &err);
	snprintf(key, sizeof(key), "backups/%s/base.tar.zst", name);
	ok = ok && put_text(st, key, "not really a tar");
	snprintf(key, sizeof(key), "backups/%s/16384.tar.zst", name);
	ok = ok && put_text(st, key, "not really a tar either");

	if (seg != 0)
	{
		b.start_lsn = (uint64_t) seg * 0x1000000 + 0x28;
		snprintf(b.start_wal, sizeof(b.start_wal), "%08X%08X%08X", tli, 0, seg);
		b.timeline = tli;
	}
	if (what & HAS_FAILED)
	{
		b.status = BACKUP_FAILED;
		b.error = sg_strdup("could not connect to the server");
		ok = ok && backup_catalog_put(st, &b, "failed.json", &err);
	}
	if (what & HAS_METADATA)
	{
		snprintf(key, sizeof(key), "backups/%s/backup_manifest", name);
		ok = ok && put_text(st, key, "{\"PostgreSQL-Backup-Manifest-Version\": 1}");
		b.status = BACKUP_COMPLETED;
		b.stop_lsn = (uint64_t) stop_seg * 0x1000000 + 0x100;
		snprintf(b.stop_wal, sizeof(b.stop_wal), "%08X%08X%08X", tli, 0, stop_seg);
		b.finished_at = started_at + 60 * SEC;
		b.stored_at = started_at + 61 * SEC;
		b.system_identifier = UINT64_C(7300000000000000001);
		b.compression = sg_strdup("zstd");
		ok = ok && backup_catalog_put(st, &b, "metadata.json", &err);
	}
	if (what & HAS_GARBAGE_METADATA)
	{
		snprintf(key, sizeof(key), "backups/%s/metadata.json", name);
		ok = ok && put_text(st, key, "{\"name\": \"garbage\", \"status\": \"complet");
	}
	UNIT_OK(ok, "stored backup %s%s%s", name, err.msg[0] ? ": " : "", err.msg);
	backup_info_free(&b);
	return ok;
}

/* 00000002.history as the archiver stores it: timeline 2 forks at TL2_FORK */
static bool
put_history(sg_store *st)
{
	char		path[] = "/tmp/test_catalog_s3.XXXXXX";
	char		text[128];
	uint64_t	fork = (uint64_t) TL2_FORK * 0x1000000;	/* as put_backup's LSNs */
	int			fd = mkstemp(path);
	wal_push_result result;
	sg_error	err;
	bool		ok;

	snprintf(text, sizeof(text), "1\t%X/%X\tat restore point \"t\"\n",
			 (unsigned) (fork >> 32), (unsigned) fork);
	ok = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t) strlen(text);
	if (fd >= 0)
		close(fd);
	sg_error_clear(&err);
	ok = ok && wal_push(st, path, "00000002.history", SG_COMPRESSION_ZSTD, 3, &result, &err);
	unlink(path);
	UNIT_OK(ok, "stored 00000002.history with wal_push%s%s", err.msg[0] ? ": " : "", err.msg);
	return ok;
}

static bool
put_segments(sg_store *st, uint32_t tli, uint32_t from, uint32_t to)
{
	char		key[64];
	bool		ok = true;

	for (uint32_t s = from; ok && s <= to; s++)
	{
		snprintf(key, sizeof(key), "wal/%08X%08X%08X", tli, 0, s);
		ok = put_text(st, key, "segment");
	}
	return ok;
}

/*
 * Timeline 1: 1..LAST_WAL; timeline 2: TL2_FORK..TL2_LAST, with its
 * history; timeline 3: one segment and a history not stored by sgbackup
 * (unreadable, so timeline 3 is unknown).
 */
static bool
put_wal(sg_store *st)
{
	bool		ok;

	ok = put_segments(st, 1, 1, LAST_WAL) &&
		put_text(st, "wal/00000001000000000000041F.partial", "partial") &&
		put_text(st, "wal/000000010000000000000410.00000028.backup", "label") &&
		put_text(st, "wal/000000010000000000000440.00000028.backup", "label") &&
		put_segments(st, 2, TL2_FORK, TL2_LAST) &&
		put_history(st) &&
		put_segments(st, 3, 0x421, 0x421) &&
		put_text(st, "wal/00000003.history", "history");
	UNIT_OK(ok, "stored %d WAL objects", LAST_WAL + 3 + (TL2_LAST - TL2_FORK + 1) + 3);
	return ok;
}

static bool
is_running(void *arg, const char *name)
{
	(*(int *) arg)++;
	return strcmp(name, "running") == 0;
}

static const backup_info *
find(const backup_info *list, int n, const char *name)
{
	for (int i = 0; i < n; i++)
	{
		if (strcmp(list[i].name, name) == 0)
			return &list[i];
	}
	return NULL;
}

static void
test_list(sg_store *st, backup_info **list, int *n)
{
	/* completed by finish time, the others by start time */
	const char *order[] = {"zz-oldest", "failed-old", "yy", "perm", "xx",
	"interrupted", "ww-newest", "tl2-newest", "running", "garbage"};
	const backup_info *b;
	sg_error	err;
	int			calls = 0;
	bool		ok;

	sg_error_clear(&err);
	ok = backup_catalog_list(st, is_running, &calls, list, n, &err);
	UNIT_OK(ok && *n == 10, "listed %d backups%s%s", *n, ok ? "" : ": ", ok ? "" : err.msg);
	if (!ok || *n != 10)
		return;
	ok = true;
	for (int i = 0; i < 10; i++)
	{
		if (strcmp((*list)[i].name, order[i]) != 0)
			ok = false;
		printf("# %d: %s %s%s%s\n", i, (*list)[i].name,
			   (*list)[i].status == BACKUP_COMPLETED ? "completed" :
			   (*list)[i].status == BACKUP_FAILED ? "failed" : "running",
			   (*list)[i].error ? ": " : "", (*list)[i].error ? (*list)[i].error : "");
	}
	UNIT_OK(ok, "ordered by finish time (completed) or start time, not by LSN or name");
	UNIT_OK(calls == 2, "is_running asked only about backups without a final object (%d)", calls);

	b = find(*list, *n, "ww-newest");
	UNIT_OK(b && b->status == BACKUP_COMPLETED && !b->permanent &&
			b->start_lsn == UINT64_C(0x440000028) && b->system_identifier == UINT64_C(7300000000000000001) &&
			strcmp(b->stop_wal, "000000010000000000000441") == 0 &&
			b->started_at == base_time + 7 * 3600 * SEC,
			"completed backup read from metadata.json");
	b = find(*list, *n, "perm");
	UNIT_OK(b && b->status == BACKUP_COMPLETED && b->permanent, "permanent backup");
	b = find(*list, *n, "failed-old");
	UNIT_OK(b && b->status == BACKUP_FAILED && b->error &&
			strcmp(b->error, "could not connect to the server") == 0,
			"failed backup with its reason from failed.json");
	b = find(*list, *n, "interrupted");
	UNIT_OK(b && b->status == BACKUP_FAILED && b->error &&
			strncmp(b->error, "interrupted: ", 13) == 0, "not running without metadata.json: interrupted");
	b = find(*list, *n, "running");
	UNIT_OK(b && b->status == BACKUP_RUNNING && b->error == NULL, "running backup");
	b = find(*list, *n, "garbage");
	UNIT_OK(b && b->status == BACKUP_FAILED && b->error &&
			strstr(b->error, "metadata.json") != NULL && b->started_at > base_time,
			"garbage metadata.json: failed, never completed (%s)", b && b->error ? b->error : "");
}

/* what must remain after retention with keep 2: tl2-newest and ww-newest */
static bool
expected_left(const char *key)
{
	const char *gone_backups[] = {"zz-oldest", "yy", "xx", "failed-old", "interrupted"};
	unsigned	tli,
				log,
				seg;
	char		tail[64];

	for (size_t i = 0; i < sizeof(gone_backups) / sizeof(gone_backups[0]); i++)
	{
		size_t		len = strlen(gone_backups[i]);

		if (strncmp(key, "backups/", 8) == 0 && strncmp(key + 8, gone_backups[i], len) == 0 &&
			key[8 + len] == '/')
			return false;
	}
	tail[0] = '\0';
	if (strncmp(key, "wal/", 4) != 0 ||
		sscanf(key + 4, "%8X%8X%8X%63s", &tli, &log, &seg, tail) < 3)
		return true;			/* not WAL, or a .history file */
	/* ww-newest from 0x440; perm keeps 0x428..0x429; tl2-newest from 0x41E */
	if (tli == 1)
		return seg >= 0x440 || (seg >= 0x428 && seg <= 0x429);
	if (tli == 2)
		return seg >= 0x41E;
	return true;				/* timeline 3: its history is unreadable */
}

static void
test_retention(sg_store *st)
{
	key_list	all = {0},
				left = {0};
	retention_plan plan;
	sg_error	err;
	int			expected = 0,
				calls = 0;
	bool		ok;

	sg_error_clear(&err);
	ok = sg_store_list(st, "", NULL, collect_key, &all, &err);
	for (int i = 0; i < all.n; i++)
		expected += expected_left(all.keys[i]);

	ok = ok && sg_retention_run(st, 2, is_running, &calls, &plan, &err);
	UNIT_OK(ok, "retention ran%s%s", ok ? "" : ": ", ok ? "" : err.msg);
	if (!ok)
		return;
	printf("# plan: %d backups, %d WAL objects\n", plan.nbackups, plan.nwal);
	/* timeline 1 before 0x440 but 0x428..0x429, .partial, .backup; timeline 2 before 0x41E */
	UNIT_OK(plan.nbackups == 5 && plan.nwal == 0x43F - 2 + 2 + 2,
			"it deleted 5 backups and %d WAL objects (%d)", 0x43F - 2 + 2 + 2, plan.nwal);
	ok = sg_store_list(st, "", NULL, collect_key, &left, &err);
	UNIT_OK(ok && left.n == expected, "%d objects remain (expected %d of %d)", left.n, expected, all.n);
	ok = true;
	for (int i = 0; i < all.n; i++)
	{
		if (expected_left(all.keys[i]) != keys_has(&left, all.keys[i]))
		{
			printf("# %s: %s\n", all.keys[i], expected_left(all.keys[i]) ? "deleted" : "still there");
			ok = false;
		}
	}
	UNIT_OK(ok, "exactly the expected objects remain");
	retention_plan_free(&plan);
	keys_free(&all);
	keys_free(&left);
}

static void
test_after(sg_store *st)
{
	backup_info *list;
	int			n,
				calls = 0;
	sg_error	err;
	bool		ok;

	sg_error_clear(&err);
	ok = backup_catalog_list(st, is_running, &calls, &list, &n, &err);
	UNIT_OK(ok && n == 5 && strcmp(list[0].name, "perm") == 0 &&
			strcmp(list[1].name, "ww-newest") == 0 && strcmp(list[2].name, "tl2-newest") == 0 &&
			strcmp(list[4].name, "garbage") == 0,
			"after retention: perm, ww-newest, tl2-newest, running, garbage (%d)", n);
	if (ok)
		backup_list_free(list, n);

	/* backup_catalog_delete of one backup */
	ok = backup_catalog_delete(st, "garbage", &err);
	UNIT_OK(ok, "deleted backup garbage%s%s", ok ? "" : ": ", ok ? "" : err.msg);
	ok = backup_catalog_list(st, NULL, NULL, &list, &n, &err);
	UNIT_OK(ok && n == 4 && find(list, n, "garbage") == NULL &&
			find(list, n, "running")->status == BACKUP_RUNNING,
			"listed without it; with no is_running, started.json only is running");
	if (ok)
		backup_list_free(list, n);
	UNIT_OK(!backup_catalog_delete(st, "../x", &err) && err.kind == SG_ERR_CONFIG,
			"invalid backup name refused (%s)", err.msg);
	UNIT_OK(!backup_catalog_delete(st, "garbage", &err) && err.kind == SG_ERR_NOT_FOUND &&
			strcmp(err.msg, "backup \"garbage\" does not exist") == 0 && err.hint[0],
			"deleting a backup that is not there: %s (%s)", err.msg, err.hint);
}

/* the whole test over st */
static void
test_store(sg_store *st)
{
	backup_info *list = NULL;
	int			n = 0;
	bool		ok;

	printf("# over the %s\n", sg_store_description(st));
	/*
	 * Names sort the opposite way of their times; tl2-newest, on a timeline
	 * forked below most of them, finished last.
	 */
	ok = put_backup(st, "zz-oldest", false, 1, 0x410, 0x411, base_time, HAS_METADATA) &&
		put_backup(st, "failed-old", false, 1, 0x418, 0, base_time + 1 * 3600 * SEC, HAS_FAILED) &&
		put_backup(st, "yy", false, 1, 0x420, 0x421, base_time + 2 * 3600 * SEC, HAS_METADATA) &&
		put_backup(st, "perm", true, 1, 0x428, 0x429, base_time + 3 * 3600 * SEC, HAS_METADATA) &&
		put_backup(st, "xx", false, 1, 0x430, 0x431, base_time + 4 * 3600 * SEC, HAS_METADATA) &&
		put_backup(st, "interrupted", false, 1, 0x438, 0, base_time + 5 * 3600 * SEC, 0) &&
		put_backup(st, "ww-newest", false, 1, 0x440, 0x441, base_time + 7 * 3600 * SEC, HAS_METADATA) &&
		put_backup(st, "tl2-newest", false, 2, 0x41E, 0x41F, base_time + 15 * 1800 * SEC, HAS_METADATA) &&
		put_backup(st, "running", false, 1, 0, 0, base_time + 8 * 3600 * SEC, 0) &&
		put_backup(st, "garbage", false, 1, 0, 0, 0, HAS_GARBAGE_METADATA) &&
		put_wal(st);
	if (ok)
	{
		test_list(st, &list, &n);
		backup_list_free(list, n);
		if (n == 10)
		{
			test_retention(st);
			test_after(st);
		}
	}
	n = unit_store_clear(st);
	UNIT_OK(n >= 0, "deleted the %d remaining test objects", n);
}

int
main(void)
{
	struct timeval tv;
	sg_error	err;
	sg_store   *st;

	gettimeofday(&tv, NULL);
	base_time = ((int64_t) tv.tv_sec - 86400) * SEC;
	st = unit_local_store("unit-catalog", &err);
	UNIT_OK(st != NULL, "local store%s%s", st ? "" : ": ", st ? "" : err.msg);
	if (st)
	{
		test_store(st);
		sg_store_free(st);
		unit_rm_rf(unit_local_root);
	}
	if (!unit_gateway_setup("unit-catalog"))
	{
		UNIT_SKIP("the catalog over S3", UNIT_NO_GATEWAY);
		return UNIT_DONE();
	}
	st = unit_gateway_store(NULL, NULL, &err);
	UNIT_OK(st != NULL, "store for the gateway%s%s", st ? "" : ": ", st ? "" : err.msg);
	if (st)
	{
		s3_client_set_list_page_size(sg_store_s3_client(st), 300);
		test_store(st);
		sg_store_free(st);
	}
	return UNIT_DONE();
}
