/*
 * test_store_local.c - tests for store_local.c, the store in a local
 * directory: put, get and head with metadata and checksum, atomic replace,
 * listing in S3's key order with prefixes and paging after a key, keys that
 * would leave the root refused, the size limit of get, the writer, and a
 * writer killed between writing its temporary file and renaming it: the
 * old object stays, listings skip the temporary file and
 * sg_store_abort_stale removes it.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "unit_s3.h"

/* the keys a listing gave, joined with spaces */
static bool
join_key(void *arg, const sg_store_entry *e)
{
	sg_buf	   *b = arg;

	sg_buf_printf(b, "%s%s", b->len ? " " : "", e->key);
	return true;
}

static void
list_is(sg_store *st, const char *prefix, const char *after, const char *want)
{
	sg_buf		got;
	sg_error	err;
	bool		ok;

	sg_buf_init(&got);
	sg_buf_append_str(&got, "");
	sg_error_clear(&err);
	ok = sg_store_list(st, prefix, after, join_key, &got, &err);
	UNIT_OK(ok, "list \"%s\" after %s%s%s", prefix, after ? after : "(none)",
			ok ? "" : ": ", ok ? "" : err.msg);
	UNIT_STREQ(got.data, want, "list \"%s\" after %s: %s", prefix, after ? after : "(none)", want);
	sg_buf_free(&got);
}

static bool
put_text(sg_store *st, const char *key, const char *text)
{
	sg_error	err;

	sg_error_clear(&err);
	return sg_store_put(st, key, text, strlen(text), NULL, 0, &err);
}

/* the object's content as text, or "(error: ...)" */
static char *
get_text(sg_store *st, const char *key)
{
	sg_buf		out;
	sg_error	err;

	sg_buf_init(&out);
	sg_error_clear(&err);
	if (!sg_store_get(st, key, 1 << 20, &out, NULL, &err))
		sg_buf_printf(&out, "(error: %s)", err.msg);
	return out.data;
}

/* how many entries of directory dir start with the temporary files' mark */
static int
count_tmp(const char *dir)
{
	DIR		   *d = opendir(dir);
	struct dirent *de;
	int			n = 0;

	while (d && (de = readdir(d)) != NULL)
		n += strncmp(de->d_name, ".sgbackup-tmp-", 14) == 0;
	if (d)
		closedir(d);
	return n;
}

static void
test_put_get(sg_store *st)
{
	sg_store_meta meta[2] = {{"sgbackup-size", "5"}, {"sgbackup-compression", "none"}};
	sg_store_info info;
	sg_buf		out;
	sg_error	err;
	char	   *text;
	int			rc;

	sg_error_clear(&err);
	UNIT_OK(sg_store_put(st, "wal/one", "hello", 5, meta, 2, &err),
			"put wal/one with metadata%s%s", err.msg[0] ? ": " : "", err.msg);
	rc = sg_store_head(st, "wal/one", &info, &err);
	UNIT_OK(rc == 1 && info.exists && info.size == 5, "head finds it with its size");
	UNIT_STREQ(info.etag, "5d41402abc4b2a76b9719d911017c592", "head gives the md5 of the bytes");
	UNIT_STREQ(sg_store_info_meta(&info, "sgbackup-size"), "5", "head gives its metadata");
	UNIT_STREQ(sg_store_info_meta(&info, "sgbackup-compression"), "none", "and all of it");
	sg_store_info_free(&info);
	UNIT_OK(sg_store_head(st, "wal/two", &info, &err) == 0 && !info.exists,
			"head of a missing object: not found");
	UNIT_OK(sg_store_head(st, "wal", &info, &err) == 0, "head of a directory: not found");

	sg_buf_init(&out);
	UNIT_OK(sg_store_get(st, "wal/one", 5, &out, &info, &err) && out.len == 5 &&
			memcmp(out.data, "hello", 5) == 0 && info.size == 5,
			"get within the limit");
	sg_store_info_free(&info);
	UNIT_OK(!sg_store_get(st, "wal/one", 4, &out, NULL, &err) &&
			err.kind == SG_ERR_CORRUPT && out.len == 0,
			"get over the size limit refused (%s)", err.msg);
	UNIT_OK(!sg_store_get(st, "wal/two", 5, &out, NULL, &err) && err.kind == SG_ERR_NOT_FOUND,
			"get of a missing object: SG_ERR_NOT_FOUND (%s)", err.msg);
	sg_buf_free(&out);

	/* replace: the new content, nothing left behind */
	UNIT_OK(put_text(st, "wal/one", "replaced"), "put over wal/one");
	text = get_text(st, "wal/one");
	UNIT_STREQ(text, "replaced", "replaced atomically");
	free(text);
	UNIT_OK(sg_store_head(st, "wal/one", &info, &err) == 1 && info.nmeta == 0,
			"the old metadata went with the old object");
	sg_store_info_free(&info);
}

static void
test_keys(sg_store *st)
{
	const char *bad[] = {"../x", "a/../../x", "/etc/passwd", "a//b", "./a", "a/.", "",
	"a/", "wal/.sgbackup-tmp-1-1-x"};
	sg_error	err;
	char		outside[600];
	struct stat sb;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		sg_error_clear(&err);
		UNIT_OK(!sg_store_put(st, bad[i], "x", 1, NULL, 0, &err) && err.kind == SG_ERR_CONFIG,
				"put of key \"%s\" refused (%s)", bad[i], err.msg);
	}
	UNIT_OK(sg_store_head(st, "../x", NULL, &err) == -1, "head of \"../x\" refused");
	UNIT_OK(!sg_store_list(st, "../", NULL, join_key, NULL, &err), "list of \"../\" refused");
	UNIT_OK(!sg_store_delete(st, (const char *const[]) {"../x"}, 1, &err),
			"delete of \"../x\" refused");
	snprintf(outside, sizeof(outside), "%s/../x", unit_local_root);
	UNIT_OK(stat(outside, &sb) != 0, "nothing was written outside the root");
}

static void
test_list(sg_store *st)
{
	const char *keys[] = {"b", "a/b", "a0", "a-c", "a/a", "a/z/1"};
	sg_error	err;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		put_text(st, keys[i], keys[i]);
	/* '-' < '/' < '0': "a-c" before "a/...", and "a0" after */
	list_is(st, "", NULL, "a-c a/a a/b a/z/1 a0 b wal/one");
	list_is(st, "a/", NULL, "a/a a/b a/z/1");
	list_is(st, "a", NULL, "a-c a/a a/b a/z/1 a0");
	list_is(st, "a/z/", NULL, "a/z/1");
	list_is(st, "nothing/", NULL, "");
	list_is(st, "", "a/a", "a/b a/z/1 a0 b wal/one");
	list_is(st, "", "a/b0", "a/z/1 a0 b wal/one");
	list_is(st, "a", "a0", "");

	sg_error_clear(&err);
	UNIT_OK(sg_store_delete(st, (const char *const[]) {"a/z/1", "a/b", "no/such"}, 3, &err),
			"delete many, a missing one among them%s%s", err.msg[0] ? ": " : "", err.msg);
	list_is(st, "a", NULL, "a-c a/a a0");
	{
		char		dir[600];
		struct stat sb;

		snprintf(dir, sizeof(dir), "%s/a/z", unit_local_root);
		UNIT_OK(stat(dir, &sb) != 0, "the emptied directory a/z is gone");
	}
}

static bool
append_buf(void *arg, const void *data, size_t len)
{
	sg_buf_append(arg, data, len);
	return true;
}

static void
test_writer(sg_store *st)
{
	sg_store_meta meta[1] = {{"kind", "archive"}};
	sg_store_writer *w;
	sg_store_info info;
	sg_buf		out;
	sg_error	err;
	char		dir[600];
	bool		ok;

	snprintf(dir, sizeof(dir), "%s/backups/b1", unit_local_root);
	sg_error_clear(&err);
	w = sg_store_writer_open(st, "backups/b1/base.tar", meta, 1, NULL, &err);
	ok = w && sg_store_writer_write(w, "hello ", 6, &err) &&
		sg_store_writer_write(w, "world", 5, &err);
	UNIT_OK(ok && sg_store_head(st, "backups/b1/base.tar", NULL, &err) == 0,
			"a writer's object is not there before finish");
	ok = ok && sg_store_writer_finish(w, &err);
	UNIT_OK(ok && sg_store_writer_bytes(w) == 11, "writer finished with 11 bytes%s%s",
			ok ? "" : ": ", ok ? "" : err.msg);
	UNIT_STREQ(w ? sg_store_writer_sha256(w) : NULL,
			   "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
			   "writer gives the sha256 of the bytes");
	sg_store_writer_free(w);
	sg_buf_init(&out);
	ok = sg_store_get_stream(st, "backups/b1/base.tar", append_buf, &out, &info, &err);
	UNIT_OK(ok && out.len == 11 && memcmp(out.data, "hello world", 11) == 0 &&
			strcmp(sg_store_info_meta(&info, "kind"), "archive") == 0,
			"get_stream gives the bytes and the metadata");
	sg_store_info_free(&info);
	sg_buf_free(&out);

	w = sg_store_writer_open(st, "backups/b1/other", NULL, 0, NULL, &err);
	ok = w && sg_store_writer_write(w, "x", 1, &err);
	sg_store_writer_free(w);
	UNIT_OK(ok && sg_store_head(st, "backups/b1/other", NULL, &err) == 0 && count_tmp(dir) == 0,
			"a writer freed before finish leaves nothing");
}

/* a writer killed after writing its temporary file, before the rename */
static void
test_crash(sg_store *st)
{
	char		dir[600];
	char	   *text;
	int			aborted = -1;
	int			status;
	sg_error	err;
	pid_t		pid;

	snprintf(dir, sizeof(dir), "%s/backups/b1", unit_local_root);
	fflush(stdout);
	pid = fork();
	if (pid == 0)
	{
		sg_store_writer *w = sg_store_writer_open(st, "backups/b1/base.tar", NULL, 0, NULL, &err);

		if (w && sg_store_writer_write(w, "new content", 11, &err))
			_exit(0);			/* the crash: no finish, no free */
		_exit(1);
	}
	UNIT_OK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
			WEXITSTATUS(status) == 0, "a writer killed before its rename");
	UNIT_OK(count_tmp(dir) == 1, "left its temporary file");
	text = get_text(st, "backups/b1/base.tar");
	UNIT_STREQ(text, "hello world", "the old object is intact");
	free(text);
	list_is(st, "backups/", NULL, "backups/b1/base.tar");
	sg_error_clear(&err);
	UNIT_OK(sg_store_abort_stale(st, "wal/", &aborted, &err) && aborted == 0 && count_tmp(dir) == 1,
			"abort under another prefix leaves it");
	UNIT_OK(sg_store_abort_stale(st, "backups/", &aborted, &err) && aborted == 1 && count_tmp(dir) == 0,
			"abort of stale uploads removes it (%d removed)%s%s", aborted,
			err.msg[0] ? ": " : "", err.msg);
}

int
main(void)
{
	sg_error	err;
	sg_store   *st;

	st = sg_store_local_new("relative/dir", &err);
	UNIT_OK(st == NULL && err.kind == SG_ERR_CONFIG, "a relative root is refused (%s)", err.msg);
	st = unit_local_store("unit-store-local", &err);
	UNIT_OK(st != NULL, "local store in %s%s%s", unit_local_root, st ? "" : ": ", st ? "" : err.msg);
	if (st == NULL)
		return UNIT_DONE();
	test_put_get(st);
	test_keys(st);
	test_list(st);
	test_writer(st);
	test_crash(st);
	sg_store_free(st);
	unit_rm_rf(unit_local_root);
	return UNIT_DONE();
}
