/*
 * unpack.c - unpacking one base backup archive as it is downloaded, each
 * file checked against backup_manifest (see unpack.h).
 *
 * libarchive reads the stream: a read callback hands it the chunks of the
 * sg_store_reader in order, its zstd / lz4 / gzip filters decompress (the
 * bytes are never stored compressed on local disk), its tar reader gives
 * the entries.  The file content is written and checked here, not by
 * archive_write_disk, because each byte also goes through the manifest
 * check and the size bound.  A file met twice in one archive is refused
 * here, not left to O_EXCL, so that checking only finds it as restoring
 * does.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sg_buf.h"
#include "unpack.h"
#include "unpack_writer.h"

#define PROGRESS_EVERY (4 * 1024 * 1024)

/*
 * The manifest entries met in this archive, so that a file met twice is
 * refused whether writing or checking only: a set of pointers (open
 * addressing, at most half full), as large as the files met, which are
 * all in the manifest.
 */
typedef struct file_set
{
	const manifest_file **slots;
	size_t		mask;			/* slots - 1 */
	size_t		n;
} file_set;

typedef struct unpack_state
{
	sg_store_reader *reader;
	const char *name;			/* the archive, for messages */
	const unpack_options *o;
	unpack_stats *stats;
	sg_error   *err;
	bool		read_failed;	/* err holds the reader's error */
	int64_t		reported;		/* bytes at the last progress call */
	unpack_writer *writer;		/* writes and checks the files */
	file_set	met;			/* the files met so far */
} unpack_state;

static size_t
pointer_hash(const manifest_file *f)
{
	uint64_t	h = (uint64_t) (uintptr_t) f;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t) h;
}

/* add f to the set; false if it was there */
static bool
file_set_add(file_set *s, const manifest_file *f)
{
	size_t		i;

	if (s->slots == NULL || 2 * (s->n + 1) > s->mask + 1)
	{
		file_set	bigger = {NULL, s->slots ? 2 * s->mask + 1 : 255, 0};

		bigger.slots = sg_malloc((bigger.mask + 1) * sizeof(*bigger.slots));
		memset(bigger.slots, 0, (bigger.mask + 1) * sizeof(*bigger.slots));
		for (size_t j = 0; s->slots && j <= s->mask; j++)
			if (s->slots[j])
				file_set_add(&bigger, s->slots[j]);
		free(s->slots);
		*s = bigger;
	}
	for (i = pointer_hash(f) & s->mask; s->slots[i]; i = (i + 1) & s->mask)
		if (s->slots[i] == f)
			return false;
	s->slots[i] = f;
	s->n++;
	return true;
}

static la_ssize_t
read_chunk(struct archive *a, void *arg, const void **buffer)
{
	unpack_state *s = arg;
	ssize_t		n = sg_store_reader_read(s->reader, buffer, s->err);

	if (n < 0)
	{
		s->read_failed = true;
		archive_set_error(a, EIO, "%s", s->err->msg);
		return -1;
	}
	return n;
}

/* the libarchive error as ours, unless the reader's error came first */
static bool
archive_failed(unpack_state *s, struct archive *a)
{
	if (s->read_failed)
		return false;
	sg_error_set(s->err, SG_ERR_CORRUPT, "could not read archive \"%s\": %s",
				 s->name, archive_error_string(a) ? archive_error_string(a) : "unknown error");
	sg_error_hint(s->err, "Check the backup with sgbackup verify; restore another backup if it is damaged.");
	return false;
}

/* "a/b/c" with no empty, "." or ".." component and no leading "/" */
static bool
path_safe(const char *path)
{
	const char *p = path;

	if (*p == '\0' || *p == '/')
		return false;
	while (*p)
	{
		const char *slash = strchr(p, '/');
		size_t		len = slash ? (size_t) (slash - p) : strlen(p);

		if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += len;
		if (*p == '/')
			p++;
	}
	return true;
}

/* the entry's path without a trailing "/", into out; false if unsafe */
static bool
entry_path(unpack_state *s, struct archive_entry *e, char *out, size_t size)
{
	const char *path = archive_entry_pathname(e);
	size_t		len;

	if (path == NULL || strlen(path) >= size)
		return sg_error_set(s->err, SG_ERR_CORRUPT,
							"archive \"%s\" holds an entry without a usable path", s->name);
	/* the server names the pg_wal it leaves empty "./pg_wal" */
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	snprintf(out, size, "%s", path);
	len = strlen(out);
	while (len > 1 && out[len - 1] == '/')
		out[--len] = '\0';
	if (!path_safe(out))
		return sg_error_set(s->err, SG_ERR_CORRUPT,
							"archive \"%s\" holds an unsafe path \"%s\"", s->name, path);
	return true;
}

/* mkdir -p of dest/path's parents (and of dest/path itself when whole) */
static bool
make_dirs(unpack_state *s, const char *path, bool whole)
{
	char		full[4096];

	if (snprintf(full, sizeof(full), "%s/%s", s->o->dest, path) >= (int) sizeof(full))
		return sg_error_set(s->err, SG_ERR_IO, "path too long: \"%s/%s\"", s->o->dest, path);
	return sg_make_dirs(full, strlen(s->o->dest) + 1, whole, s->err);
}

/* pg_tblspc/<oid> -> target: make the link to where the tablespace goes */
static bool
unpack_link(unpack_state *s, struct archive_entry *e, const char *path)
{
	const char *target = archive_entry_symlink(e);
	const char *oid = path + strlen("pg_tblspc/");
	char		full[4096];
	char	   *to;

	if (s->o->manifest_prefix[0] != '\0' || strncmp(path, "pg_tblspc/", 10) != 0 ||
		strchr(oid, '/') != NULL || strspn(oid, "0123456789") != strlen(oid) ||
		target == NULL || target[0] != '/')
		return sg_error_set(s->err, SG_ERR_CORRUPT,
							"archive \"%s\" holds a symbolic link \"%s\" that is not a tablespace link",
							s->name, path);
	if (s->o->dest == NULL || s->o->tablespace_fn == NULL)
		return true;
	if ((to = s->o->tablespace_fn(s->o->tablespace_arg, oid, target, s->err)) == NULL)
		return false;
	snprintf(full, sizeof(full), "%s/%s", s->o->dest, path);
	if (!make_dirs(s, path, false) || symlink(to, full) != 0)
	{
		if (s->err->kind == SG_ERR_NONE)
			sg_error_set(s->err, SG_ERR_IO, "could not create symbolic link \"%s\": %s",
						 full, strerror(errno));
		free(to);
		return false;
	}
	free(to);
	return true;
}

/* the full path of a file to write (its directories made), into full */
static bool
output_path(unpack_state *s, const char *path, char *full, size_t size)
{
	bool		held = strcmp(path, UNPACK_HELD_BACK) == 0 && s->o->manifest_prefix[0] == '\0';

	if (snprintf(full, size, "%s/%s%s", s->o->dest, path,
				 held ? UNPACK_HELD_SUFFIX : "") >= (int) size)
		return sg_error_set(s->err, SG_ERR_IO, "path too long: \"%s/%s\"", s->o->dest, path);
	return make_dirs(s, path, false);
}

static void
report_progress(unpack_state *s)
{
	if (s->o->progress_fn && s->stats->bytes - s->reported >= PROGRESS_EVERY)
	{
		s->reported = s->stats->bytes;
		s->o->progress_fn(s->o->progress_arg, s->stats->bytes, s->stats->files);
	}
}

/*
 * The content of one regular file, handed to the writer thread, which
 * writes it (unless checking only) and checks it; the size bound is
 * checked here, as the bytes come
 */
static bool
unpack_file(unpack_state *s, struct archive *a, struct archive_entry *e, const char *path)
{
	char		mpath[4096];
	char		full[4096];
	const manifest_file *f;
	int64_t		expected;
	int64_t		done = 0;

	snprintf(mpath, sizeof(mpath), "%s%s", s->o->manifest_prefix, path);
	if ((f = manifest_find(s->o->manifest, mpath)) == NULL)
	{
		sg_error_set(s->err, SG_ERR_CORRUPT,
					 "archive \"%s\" holds file \"%s\", which backup_manifest does not list",
					 s->name, mpath);
		sg_error_hint(s->err, "The backup is damaged or not one of sgbackup's; restore another backup.");
		return false;
	}
	if (!file_set_add(&s->met, f))
	{
		sg_error_set(s->err, SG_ERR_CORRUPT, "archive \"%s\" holds file \"%s\" twice",
					 s->name, mpath);
		sg_error_hint(s->err, "The backup is damaged; restore another backup.");
		return false;
	}
	expected = manifest_file_size(f);
	if (archive_entry_size_is_set(e) && archive_entry_size(e) != expected)
		return sg_error_set(s->err, SG_ERR_CORRUPT,
							"file \"%s\" in archive \"%s\" has %lld bytes, backup_manifest says %lld",
							mpath, s->name, (long long) archive_entry_size(e), (long long) expected);
	if ((s->o->dest && !output_path(s, path, full, sizeof(full))) ||
		!unpack_writer_begin(s->writer, s->o->dest ? full : NULL, archive_entry_perm(e), f, s->err))
		return false;
	for (;;)
	{
		const void *block;
		size_t		len;
		la_int64_t	offset;
		int			r = archive_read_data_block(a, &block, &len, &offset);

		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return archive_failed(s, a);
		if (offset != done || done + (int64_t) len > expected)
			return sg_error_set(s->err, SG_ERR_CORRUPT,
								"file \"%s\" in archive \"%s\" does not match its size in backup_manifest (%lld bytes)",
								mpath, s->name, (long long) expected);
		if (!unpack_writer_write(s->writer, block, len, s->err))
			return false;
		done += len;
		s->stats->bytes += len;
		report_progress(s);
	}
	s->stats->files++;
	return unpack_writer_end(s->writer, s->err);
}

static bool
unpack_entry(unpack_state *s, struct archive *a, struct archive_entry *e)
{
	char		path[4096];
	mode_t		type = archive_entry_filetype(e);

	if (!entry_path(s, e, path, sizeof(path)))
		return false;
	/* a tablespace's files come in its own archive, never through its link */
	if (s->o->manifest_prefix[0] == '\0' && strncmp(path, "pg_tblspc/", 10) == 0 &&
		strchr(path + 10, '/') != NULL)
		return sg_error_set(s->err, SG_ERR_CORRUPT,
							"archive \"%s\" holds \"%s\", inside a tablespace link",
							s->name, path);
	if (type == AE_IFDIR)
		return s->o->dest == NULL || make_dirs(s, path, true);
	if (type == AE_IFLNK)
		return unpack_link(s, e, path);
	if (type != AE_IFREG || archive_entry_hardlink(e) != NULL)
		return sg_error_set(s->err, SG_ERR_CORRUPT,
							"archive \"%s\" holds \"%s\", which is neither a file, a directory nor a tablespace link",
							s->name, path);
	return unpack_file(s, a, e, path);
}

/* libarchive's decompression for the archive's suffix */
static bool
support_filter(unpack_state *s, struct archive *a)
{
	const char *dot = strstr(s->name, ".tar");
	int			r = ARCHIVE_OK;

	if (dot == NULL)
		return sg_error_set(s->err, SG_ERR_CORRUPT, "\"%s\" is not the name of a tar archive", s->name);
	if (strcmp(dot, ".tar.zst") == 0)
		r = archive_read_support_filter_zstd(a);
	else if (strcmp(dot, ".tar.lz4") == 0)
		r = archive_read_support_filter_lz4(a);
	else if (strcmp(dot, ".tar.gz") == 0)
		r = archive_read_support_filter_gzip(a);
	else if (strcmp(dot, ".tar") != 0)
		return sg_error_set(s->err, SG_ERR_CORRUPT,
							"archive \"%s\" has a compression sgbackup does not know", s->name);
	if (r != ARCHIVE_OK)
		return sg_error_set(s->err, SG_ERR_INTERNAL,
							"libarchive cannot decompress \"%s\" here: %s", s->name,
							archive_error_string(a));
	return true;
}

bool
unpack_archive(sg_store_reader *r, const char *name, const unpack_options *o,
			   unpack_stats *stats, sg_error *err)
{
	unpack_state s = {r, name, o, stats, err, false, 0};
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	bool		ok;
	int			rc;

	memset(stats, 0, sizeof(*stats));
	if (a == NULL)
		return sg_error_set(err, SG_ERR_INTERNAL, "out of memory");
	if ((s.writer = unpack_writer_start(err)) == NULL)
	{
		archive_read_free(a);
		return false;
	}
	ok = support_filter(&s, a) && archive_read_support_format_tar(a) == ARCHIVE_OK;
	if (ok && archive_read_open(a, &s, NULL, read_chunk, NULL) != ARCHIVE_OK)
		ok = archive_failed(&s, a);
	while (ok && (rc = archive_read_next_header(a, &e)) != ARCHIVE_EOF)
	{
		if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
			ok = archive_failed(&s, a);
		else
			ok = unpack_entry(&s, a, e);
	}
	/* everything queued is written and checked, or its error is the one */
	if (ok)
		ok = unpack_writer_finish(s.writer, err);
	unpack_writer_free(s.writer);
	free(s.met.slots);
	if (ok && o->progress_fn)
		o->progress_fn(o->progress_arg, stats->bytes, stats->files);
	archive_read_free(a);
	stats->read_failed = !ok && s.read_failed;
	return ok;
}
