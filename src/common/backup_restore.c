/*
 * backup_restore.c - a whole base backup out of the store, unpacked or
 * checked (see backup_restore.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup_restore.h"
#include "sg_buf.h"

/* what one restore keeps across its archives */
typedef struct tablespace_dirs
{
	const restore_options *o;
	int64_t		bytes_before;	/* of the archives done, for progress */
	int64_t		files_before;
	/* the tablespaces met so far: oid -> directory */
	char	  **oids;
	char	  **dirs;
	size_t		n;
	size_t		cap;
	size_t		dcap;
} tablespace_dirs;

static char *
note_tablespace(void *arg, const char *oid, const char *target, sg_error *err)
{
	tablespace_dirs *t = arg;
	char	   *dir = t->o->tablespace_fn(t->o->tablespace_arg, oid, target, err);

	if (dir == NULL)
		return NULL;
	t->oids = sg_array_grow(t->oids, sizeof(char *), t->n, &t->cap, 8);
	t->dirs = sg_array_grow(t->dirs, sizeof(char *), t->n, &t->dcap, 8);
	t->oids[t->n] = sg_strdup(oid);
	t->dirs[t->n++] = sg_strdup(dir);
	return dir;
}

static void
note_progress(void *arg, int64_t bytes, int64_t files)
{
	tablespace_dirs *t = arg;

	t->o->progress_fn(t->o->progress_arg, t->bytes_before + bytes, t->files_before + files);
}

static void
tablespace_dirs_free(tablespace_dirs *t)
{
	for (size_t i = 0; i < t->n; i++)
	{
		free(t->oids[i]);
		free(t->dirs[i]);
	}
	free(t->oids);
	free(t->dirs);
}

static bool
is_base(const char *archive)
{
	return strncmp(archive, "base.tar", 8) == 0;
}

bool
backup_fetch_manifest(const restore_source *src, const backup_info *b,
					  backup_manifest **out, sg_buf *text, sg_error *err)
{
	char		key[512];
	sg_buf		buf;
	bool		ok;

	*out = NULL;
	snprintf(key, sizeof(key), "backups/%s/backup_manifest", b->name);
	sg_buf_init(&buf);
	ok = sg_store_get(src->store, key, BACKUP_MANIFEST_MAX, &buf, NULL, err);
	if (!ok && err->kind == SG_ERR_NOT_FOUND)
	{
		sg_error_set(err, SG_ERR_CORRUPT, "backup \"%s\" has no backup_manifest", b->name);
		sg_error_hint(err, "The backup is incomplete; restore another backup.");
	}
	if (ok && !(ok = manifest_parse(buf.data, buf.len, out, err)))
		sg_error_detail(err, "In backup_manifest of backup \"%s\".", b->name);
	if (ok && text)
	{
		sg_buf_reset(text);
		sg_buf_append(text, buf.data, buf.len);
	}
	sg_buf_free(&buf);
	return ok;
}

/* read what follows the tar stream, so that the whole object is hashed */
static bool
drain(sg_store_reader *r, sg_error *err)
{
	const void *data;
	ssize_t		n;

	while ((n = sg_store_reader_read(r, &data, err)) > 0)
		;
	return n == 0;
}

static bool
check_sha256(sg_store_reader *r, const backup_info *b, const char *archive,
			 sg_error *err)
{
	const backup_object *obj = backup_info_object(b, archive);
	const char *want = obj ? obj->sha256 : NULL;
	const char *got = sg_store_reader_sha256(r);

	if (want == NULL || want[0] == '\0')
		return true;			/* a backup from before checksums were recorded */
	if (got != NULL && strcmp(want, got) == 0)
		return true;
	sg_error_set(err, SG_ERR_CORRUPT, "object \"%s\" of backup \"%s\" does not match its checksum",
				 archive, b->name);
	sg_error_detail(err, "metadata.json records sha256 %s, the stored bytes have %s.",
					want, got ? got : "(unknown)");
	sg_error_hint(err, "The object was changed or damaged in storage; restore another backup.");
	return false;
}

/* one archive: where it goes, download, unpack or check, drain, checksum */
static bool
restore_one(const restore_source *src, const backup_info *b, const char *archive,
			const unpack_options *uo, sg_error *files_err, unpack_stats *stats,
			sg_error *err)
{
	char		key[512];
	sg_store_info info = {0};
	sg_store_reader_options ro = {0};
	sg_store_reader *r;
	int			found;
	int64_t		size;
	bool		ok;

	snprintf(key, sizeof(key), "backups/%s/%s", b->name, archive);
	found = sg_store_head(src->store, key, &info, err);
	size = info.size;
	sg_store_info_free(&info);
	if (found == 0)
	{
		sg_error_set(err, SG_ERR_CORRUPT, "object \"%s\" of backup \"%s\" is missing",
					 archive, b->name);
		sg_error_hint(err, "The backup is damaged; restore another backup.");
	}
	if (found != 1)
		return false;
	ro.concurrency = src->concurrency;
	r = sg_store_reader_open(src->storage, src->secrets_directory, src->limits, key,
							 size, &ro, err);
	if (r == NULL)
		return false;
	if (files_err == NULL)
		ok = unpack_archive(r, archive, uo, stats, err);
	else
	{
		sg_error	e;

		sg_error_clear(&e);
		ok = unpack_archive(r, archive, uo, stats, &e);
		/* a failure to read the object is the object's, not its files' */
		if (!ok && stats->read_failed)
			*err = e;
		else if (!ok && files_err->kind == SG_ERR_NONE)
			*files_err = e;
		ok = ok || !stats->read_failed;
	}
	ok = ok && drain(r, err) && check_sha256(r, b, archive, err);
	sg_store_reader_free(r);
	return ok;
}

/* the oid of a tablespace archive "<oid>.tar..." into out */
static bool
tablespace_oid(const char *archive, char *out, size_t size)
{
	size_t		len = strspn(archive, "0123456789");

	if (len == 0 || len >= size || strncmp(archive + len, ".tar", 4) != 0)
		return false;
	memcpy(out, archive, len);
	out[len] = '\0';
	return true;
}

static bool
restore_tablespace(const restore_source *src, const backup_info *b, const char *archive,
				   backup_manifest *m, const restore_options *o, tablespace_dirs *t,
				   unpack_options *uo, unpack_stats *stats, sg_error *err)
{
	char		oid[16];
	char		prefix[64];

	if (!tablespace_oid(archive, oid, sizeof(oid)))
		return sg_error_set(err, SG_ERR_CORRUPT,
							"backup \"%s\" lists an archive \"%s\" sgbackup does not know",
							b->name, archive);
	snprintf(prefix, sizeof(prefix), "pg_tblspc/%s/", oid);
	uo->manifest_prefix = prefix;
	uo->tablespace_fn = NULL;
	uo->dest = NULL;
	for (size_t i = 0; o->pgdata && i < t->n; i++)
		if (strcmp(t->oids[i], oid) == 0)
			uo->dest = t->dirs[i];
	if (o->pgdata && uo->dest == NULL)
		return sg_error_set(err, SG_ERR_CORRUPT,
							"backup \"%s\" has an archive for tablespace %s but no link pg_tblspc/%s",
							b->name, oid, oid);
	return restore_one(src, b, archive, uo, o->files_err, stats, err);
}

bool
backup_unpack_all(const restore_source *src, const backup_info *b,
				  backup_manifest *m, const restore_options *o,
				  unpack_stats *total, sg_error *err)
{
	tablespace_dirs t = {o};
	unpack_options uo = {0};
	unpack_stats stats;
	const char *first_unseen = NULL;
	bool		ok = true;
	bool		base_seen = false;
	int			unseen;

	memset(total, 0, sizeof(*total));
	uo.manifest = m;
	uo.progress_fn = o->progress_fn ? note_progress : NULL;
	uo.progress_arg = &t;
	for (int pass = 0; ok && pass < 2; pass++)
	{
		for (int i = 0; ok && i < b->nobjects; i++)
		{
			const char *archive = b->objects[i].name;

			if (strcmp(archive, BACKUP_MANIFEST_NAME) == 0 || is_base(archive) != (pass == 0))
				continue;
			if (pass == 0)
			{
				uo.dest = o->pgdata;
				uo.manifest_prefix = "";
				uo.tablespace_fn = o->tablespace_fn ? note_tablespace : NULL;
				uo.tablespace_arg = &t;
				base_seen = true;
				ok = restore_one(src, b, archive, &uo, o->files_err, &stats, err);
			}
			else
				ok = restore_tablespace(src, b, archive, m, o, &t, &uo, &stats, err);
			total->bytes += stats.bytes;
			total->files += stats.files;
			t.bytes_before = total->bytes;
			t.files_before = total->files;
		}
	}
	if (ok && !base_seen)
		ok = sg_error_set(err, SG_ERR_CORRUPT, "backup \"%s\" has no base archive", b->name);
	if (ok && (unseen = manifest_unseen(m, &first_unseen)) > 0 &&
		(o->files_err == NULL || o->files_err->kind == SG_ERR_NONE))
	{
		sg_error	*e = o->files_err ? o->files_err : err;

		sg_error_set(e, SG_ERR_CORRUPT,
					 "%d files of backup_manifest of backup \"%s\" are in none of its archives",
					 unseen, b->name);
		sg_error_detail(e, "The first is \"%s\".", first_unseen);
		sg_error_hint(e, "The backup is damaged; restore another backup.");
		ok = o->files_err != NULL;
	}
	tablespace_dirs_free(&t);
	return ok;
}
