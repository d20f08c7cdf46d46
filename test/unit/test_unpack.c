/*
 * test_unpack.c - unit tests of unpack_archive (unpack.h) and of its
 * writer thread (unpack_writer.h).
 *
 * Each archive is made here with libarchive's writer (ustar or pax; zstd,
 * lz4, gzip or no compression) together with a backup_manifest that
 * matches it (Size and CRC32C or SHA256 of each file, sealed with its
 * SHA-256), stored as an object of a local store and read back through a
 * sg_store_reader with small chunks, then unpacked into a new directory.
 *
 * The happy path: the bytes land unchanged, directories ("./pg_wal/..."
 * too) are made, global/pg_control is held back under its suffix, every
 * file of the manifest is seen, the stats and the progress count right,
 * check-only mode writes nothing.  Hostile archives (absolute and ".."
 * paths, symbolic links other than tablespace links, hard links, devices,
 * fifos, files the manifest does not list or describes otherwise, a file
 * twice, garbage, a cut object, a decompression bomb) are refused as
 * corrupt, naming the entry, and nothing appears outside the destination.
 * A tablespace link goes where the callback says.  The writer thread gets
 * 3000 small files and some large ones, sizes at its chunk boundaries, and
 * write errors (a parent that is a file, a file size limit), which stop
 * the unpack at once; peak memory is measured in a child process.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "crc32c.h"
#include "store_reader.h"
#include "unit.h"
#include "unit_s3.h"
#include "unpack.h"
#include "unpack_writer.h"
/* for unit_in_child and unit_peak_rss_kb; its bombs are not used here */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "unit_bomb.h"
#pragma GCC diagnostic pop

#define MB			((size_t) 1024 * 1024)
#define READ_CHUNK	((size_t) 64 * 1024)	/* the reader's ranged GETs */
#define MAX_RSS_GROWTH_KB (48 * 1024)
#define HANG_SECONDS 120
#define STR(x) #x
#define XSTR(x) STR(x)

static sg_store *store;
static sg_storage storage;		/* the local store, for the readers */
static char work[256];			/* dest-N, outside, cwd-N */
static char outside[300];		/* a sibling of every destination */
static int	ndirs;
static int	nobjects;

/* ---------------------------------------------------------------- */
/* making archives and their manifests */

typedef struct tar_maker
{
	struct archive *a;
	sg_buf		out;			/* the archive's bytes */
	sg_buf		files;			/* the manifest's "Files" entries */
	int			nfiles;
	int64_t		bytes;			/* of the files the manifest lists */
	bool		failed;
} tar_maker;

static la_ssize_t
maker_write(struct archive *a, void *arg, const void *buf, size_t len)
{
	sg_buf_append(&((tar_maker *) arg)->out, buf, len);
	return (la_ssize_t) len;
}

static void
maker_check(tar_maker *t, int rc, const char *what)
{
	if (rc >= ARCHIVE_WARN)
		return;
	printf("# libarchive %s: %s\n", what, archive_error_string(t->a));
	t->failed = true;
}

/* filter: "zst", "lz4", "gz" or "" (none) */
static void
maker_open(tar_maker *t, const char *filter, bool pax)
{
	memset(t, 0, sizeof(*t));
	sg_buf_init(&t->out);
	sg_buf_init(&t->files);
	t->a = archive_write_new();
	maker_check(t, pax ? archive_write_set_format_pax_restricted(t->a) :
				archive_write_set_format_ustar(t->a), "format");
	if (strcmp(filter, "zst") == 0)
		maker_check(t, archive_write_add_filter_zstd(t->a), "zstd");
	else if (strcmp(filter, "lz4") == 0)
		maker_check(t, archive_write_add_filter_lz4(t->a), "lz4");
	else if (strcmp(filter, "gz") == 0)
		maker_check(t, archive_write_add_filter_gzip(t->a), "gzip");
	archive_write_set_bytes_in_last_block(t->a, 1);
	maker_check(t, archive_write_open(t->a, t, NULL, maker_write, NULL), "open");
}

/* the archive is complete in t->out */
static void
maker_close(tar_maker *t)
{
	maker_check(t, archive_write_close(t->a), "close");
	archive_write_free(t->a);
	t->a = NULL;
}

static void
maker_free(tar_maker *t)
{
	if (t->a)
		archive_write_free(t->a);
	sg_buf_free(&t->out);
	sg_buf_free(&t->files);
}

/* a manifest entry for path: size bytes, with this digest (4 bytes: CRC32C) */
static void
manifest_add_digest(tar_maker *t, const char *path, int64_t size,
					const unsigned char *md, unsigned int mdlen)
{
	char		hex[2 * EVP_MAX_MD_SIZE + 1];

	for (unsigned i = 0; i < mdlen; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	sg_buf_printf(&t->files, "%s{ \"Path\": \"%s\", \"Size\": %lld, "
				  "\"Last-Modified\": \"2026-12-02 03:56:14 GMT\", "
				  "\"Checksum-Algorithm\": \"%s\", \"Checksum\": \"%s\" }",
				  t->nfiles ? ",\n" : "", path, (long long) size,
				  mdlen == 4 ? "CRC32C" : "SHA256", hex);
	t->nfiles++;
	t->bytes += size;
}

/* a manifest entry with the CRC32C as PostgreSQL writes it (memory order) */
static void
manifest_add_crc(tar_maker *t, const char *path, int64_t size, uint32_t crc)
{
	unsigned char md[4];

	memcpy(md, &crc, sizeof(crc));
	manifest_add_digest(t, path, size, md, sizeof(md));
}

/* a manifest entry for path: size bytes, the checksum of data (len bytes) */
static void
manifest_add(tar_maker *t, const char *path, int64_t size, const void *data,
			 size_t len, bool sha256)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!sha256)
		manifest_add_crc(t, path, size, sg_crc32c(data, len));
	else
	{
		EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
		manifest_add_digest(t, path, size, md, mdlen);
	}
}

/* one tar entry; a regular file's header says size, len bytes follow */
static void
maker_entry(tar_maker *t, const char *path, mode_t type, mode_t perm,
			int64_t size, const void *data, size_t len)
{
	struct archive_entry *e = archive_entry_new();
	const char *p = data;

	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_mtime(e, 1796000000, 0);
	if (type == AE_IFREG)
		archive_entry_set_size(e, size);
	if (type == AE_IFCHR)
		archive_entry_set_rdev(e, makedev(1, 3));
	maker_check(t, archive_write_header(t->a, e), path);
	while (len > 0 && !t->failed)
	{
		la_ssize_t	n = archive_write_data(t->a, p, len > MB ? MB : len);

		if (n <= 0)
		{
			maker_check(t, ARCHIVE_FATAL, path);
			break;
		}
		p += n;
		len -= n;
	}
	archive_entry_free(e);
}

/* a file in the archive and in the manifest, alike */
static void
add_file(tar_maker *t, const char *path, const void *data, size_t len)
{
	maker_entry(t, path, AE_IFREG, 0600, len, data, len);
	manifest_add(t, path, len, data, len, false);
}

static void
add_text(tar_maker *t, const char *path, const char *text)
{
	add_file(t, path, text, strlen(text));
}

static void
add_dir(tar_maker *t, const char *path)
{
	maker_entry(t, path, AE_IFDIR, 0700, 0, NULL, 0);
}

/* a symbolic link (hard: a hard link) path -> target */
static void
add_link(tar_maker *t, const char *path, const char *target, bool hard)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, path);
	archive_entry_set_perm(e, 0777);
	if (hard)
	{
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_hardlink(e, target);
		archive_entry_set_size(e, 0);
	}
	else
	{
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_symlink(e, target);
	}
	maker_check(t, archive_write_header(t->a, e), path);
	archive_entry_free(e);
}

/* the manifest of t, made, sealed and parsed; NULL (said) on failure */
static backup_manifest *
maker_manifest(tar_maker *t)
{
	sg_buf		text;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	char		hex[65];
	backup_manifest *m = NULL;
	sg_error	err;

	sg_buf_init(&text);
	sg_buf_printf(&text, "{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n"
				  "\"Files\": [\n%s\n],\n\"WAL-Ranges\": [\n"
				  "{ \"Timeline\": 1, \"Start-LSN\": \"0/2000028\", \"End-LSN\": \"0/2000100\" }\n"
				  "],\n", t->files.len ? t->files.data : "");
	EVP_Digest(text.data, text.len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < mdlen; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	sg_buf_printf(&text, "\"Manifest-Checksum\": \"%s\"}\n", hex);
	sg_error_clear(&err);
	if (!manifest_parse(text.data, text.len, &m, &err))
		printf("# the test's manifest does not parse: %s\n", err.msg);
	sg_buf_free(&text);
	return m;
}

/* ---------------------------------------------------------------- */
/* directories and files */

/* a new empty directory under work: "<work>/<what>-N" */
static void
new_dir(const char *what, char *out, size_t size)
{
	snprintf(out, size, "%s/%s-%d", work, what, ++ndirs);
	if (mkdir(out, 0700) != 0)
		printf("# could not create %s: %s\n", out, strerror(errno));
}

/* entries in dir, or -1 if it cannot be read */
static int
dir_entries(const char *dir)
{
	DIR		   *d = opendir(dir);
	struct dirent *de;
	int			n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* does dir/path hold exactly len bytes of data? */
static bool
file_is(const char *dir, const char *path, const void *data, size_t len)
{
	char		full[4096];
	size_t		got_len;
	char	   *got;
	bool		same;

	snprintf(full, sizeof(full), "%s/%s", dir, path);
	got = sg_read_file(full, &got_len);
	same = got != NULL && got_len == len && memcmp(got, data, len) == 0;
	if (!same)
		printf("# %s: %s, %zu bytes, want %zu\n", full, got ? "differs" : strerror(errno),
			   got ? got_len : 0, len);
	free(got);
	return same;
}

/* the size of dir/path, -1 if there is none */
static int64_t
file_size(const char *dir, const char *path)
{
	char		full[4096];
	struct stat st;

	snprintf(full, sizeof(full), "%s/%s", dir, path);
	return lstat(full, &st) == 0 ? (int64_t) st.st_size : -1;
}

/* the mode bits of dir/path, or -1 */
static int
file_mode(const char *dir, const char *path)
{
	char		full[4096];
	struct stat st;

	snprintf(full, sizeof(full), "%s/%s", dir, path);
	return lstat(full, &st) == 0 ? (int) (st.st_mode & 07777) : -1;
}

static bool
is_dir(const char *dir, const char *path)
{
	char		full[4096];
	struct stat st;

	snprintf(full, sizeof(full), "%s/%s", dir, path);
	return lstat(full, &st) == 0 && S_ISDIR(st.st_mode);
}

/* len pseudo-random bytes, the same for the same seed */
static void
fill(char *buf, size_t len, uint64_t seed)
{
	uint64_t	state = seed * 0x9E3779B97F4A7C15ULL + 1;
	size_t		i = 0;

	for (; i + 8 <= len; i += 8)
	{
		uint64_t	v = unit_rng(&state);

		memcpy(buf + i, &v, 8);
	}
	for (; i < len; i++)
		buf[i] = (char) unit_rng(&state);
}

/* ---------------------------------------------------------------- */
/* unpacking */

typedef struct progress_seen
{
	int			calls;
	int64_t		bytes;
	int64_t		files;
} progress_seen;

static void
note_progress(void *arg, int64_t bytes, int64_t files)
{
	progress_seen *p = arg;

	p->calls++;
	p->bytes = bytes;
	p->files = files;
}

/* data (len bytes) stored as an object for archive name; its key into key */
static bool
store_object(const char *name, const char *data, size_t len, char *key,
			 size_t size, sg_error *err)
{
	snprintf(key, size, "objects/%d/%s", ++nobjects, name);
	sg_error_clear(err);
	return sg_store_put(store, key, data, len, NULL, 0, err);
}

static void
drop_object(const char *key)
{
	const char *keys[1] = {key};
	sg_error	err;

	sg_error_clear(&err);
	sg_store_delete(store, keys, 1, &err);
}

/* the object key, read by a reader told it has size bytes, unpacked with o */
static bool
unpack_key(const char *key, const char *name, int64_t size,
		   const unpack_options *o, unpack_stats *stats, sg_error *err)
{
	sg_store_reader_options ro = {2, READ_CHUNK, 4};
	sg_store_reader *r;
	bool		ok;

	sg_error_clear(err);
	memset(stats, 0, sizeof(*stats));
	r = sg_store_reader_open(&storage, NULL, NULL, key, size, &ro, err);
	ok = r != NULL && unpack_archive(r, name, o, stats, err);
	sg_store_reader_free(r);
	return ok;
}

/*
 * data (len bytes) stored as an object named name (suffix as an archive's),
 * read by a reader told it has size bytes, unpacked with o
 */
static bool
unpack_bytes(const char *name, const char *data, size_t len, int64_t size,
			 const unpack_options *o, unpack_stats *stats, sg_error *err)
{
	char		key[256];
	bool		ok;

	memset(stats, 0, sizeof(*stats));
	ok = store_object(name, data, len, key, sizeof(key), err) &&
		unpack_key(key, name, size, o, stats, err);
	drop_object(key);
	return ok;
}

/* t's archive (closed here) unpacked into dest (NULL: checked only) */
static bool
unpack_maker(tar_maker *t, const char *name, const char *dest,
			 backup_manifest *m, unpack_stats *stats, sg_error *err)
{
	unpack_options o = {dest, "", m};

	if (t->a)
		maker_close(t);
	return unpack_bytes(name, t->out.data, t->out.len, t->out.len, &o, stats, err);
}

/*
 * t's archive (closed here) unpacked into a new directory (its path into
 * dest) must fail with kind and a message holding names, leaving the
 * directory outside empty
 */
static void
expect_refused(const char *what, tar_maker *t, const char *name,
			   sg_error_kind kind, const char *names, char *dest, size_t size)
{
	backup_manifest *m;
	unpack_stats stats;
	sg_error	err;
	bool		ok;

	sg_error_clear(&err);
	if (t->a)
		maker_close(t);
	m = maker_manifest(t);
	new_dir("dest", dest, size);
	ok = m != NULL && !t->failed && unpack_maker(t, name, dest, m, &stats, &err);
	UNIT_OK(m != NULL && !t->failed && !ok && err.kind == kind && strstr(err.msg, names) != NULL,
			"%s: refused (kind %d, want %d) naming \"%s\": %s", what, err.kind, kind,
			names, m ? err.msg : "no manifest");
	UNIT_OK(dir_entries(outside) == 0, "%s: nothing written outside the destination", what);
	manifest_free(m);
}

/* the archive of expect_refused with one hostile entry after a good file */
static void
refuse_entry(const char *what, void (*add) (tar_maker *t), const char *names)
{
	tar_maker	t;
	char		dest[512];

	maker_open(&t, "zst", true);
	add_text(&t, "PG_VERSION", "15\n");
	add(&t);
	expect_refused(what, &t, "base.tar.zst", SG_ERR_CORRUPT, names, dest, sizeof(dest));
	maker_free(&t);
}

/* ---------------------------------------------------------------- */
/* the happy path */

/* a small data directory as the server sends it */
static void
add_small_pgdata(tar_maker *t, char *big, size_t big_len, bool pax)
{
	static char long_name[400];

	add_text(t, "backup_label", "START WAL LOCATION: 0/2000028\n");
	add_text(t, "PG_VERSION", "15\n");
	add_dir(t, "base/");
	add_dir(t, "base/1/");
	add_file(t, "base/1/1259", big, big_len);
	add_file(t, "base/1/empty", "", 0);
	add_dir(t, "global/");
	add_text(t, "global/pg_control", "the control file");
	add_text(t, "global/1262", "global table");
	add_dir(t, "./pg_wal/");
	add_dir(t, "./pg_wal/archive_status/");
	add_dir(t, "pg_tblspc/");
	add_dir(t, "base/1/deep/er/still/");
	/* a path longer than ustar's 255 bytes, in pax */
	if (!pax)
		return;
	memset(long_name, 'x', sizeof(long_name) - 1);
	memcpy(long_name, "base/1/", 7);
	for (size_t i = 60; i < sizeof(long_name) - 1; i += 60)
		long_name[i] = '/';
	maker_entry(t, long_name, AE_IFREG, 0644, 5, "long\n", 5);
	manifest_add(t, long_name, 5, "long\n", 5, true);
}

static void
check_small_pgdata(const char *what, const char *dest, const char *big, size_t big_len)
{
	UNIT_OK(file_is(dest, "backup_label", "START WAL LOCATION: 0/2000028\n", 30) &&
			file_is(dest, "PG_VERSION", "15\n", 3) &&
			file_is(dest, "base/1/1259", big, big_len) &&
			file_is(dest, "base/1/empty", "", 0) &&
			file_is(dest, "global/1262", "global table", 12),
			"%s: the files have their bytes", what);
	UNIT_OK(file_is(dest, UNPACK_HELD_BACK UNPACK_HELD_SUFFIX, "the control file", 16) &&
			file_size(dest, UNPACK_HELD_BACK) == -1,
			"%s: global/pg_control is written as global/pg_control.sgbackup-restore only", what);
	UNIT_OK(is_dir(dest, "pg_wal/archive_status") && is_dir(dest, "pg_tblspc") &&
			is_dir(dest, "base/1/deep/er/still") && dir_entries(dest) == 6,
			"%s: the directories are made (\"./pg_wal/archive_status/\" as pg_wal/archive_status)",
			what);
	UNIT_OK(file_mode(dest, "PG_VERSION") == 0600 && file_mode(dest, "base/1") == 0700,
			"%s: files 0600, directories 0700 (got %o and %o)", what,
			file_mode(dest, "PG_VERSION"), file_mode(dest, "base/1"));
}

static void
test_happy(const char *filter, bool pax)
{
	char		name[64];
	char		what[64];
	char		dest[512];
	size_t		big_len = 3 * MB + 12345;
	char	   *big = sg_malloc(big_len);
	tar_maker	t;
	backup_manifest *m;
	unpack_stats stats;
	progress_seen seen = {0};
	unpack_options o = {0};
	sg_error	err;
	bool		ok;
	const char *first = NULL;

	snprintf(name, sizeof(name), "base.tar%s%s", filter[0] ? "." : "", filter);
	snprintf(what, sizeof(what), "%s %s", name, pax ? "pax" : "ustar");
	fill(big, big_len, 1);
	maker_open(&t, filter, pax);
	add_small_pgdata(&t, big, big_len, pax);
	maker_close(&t);
	m = maker_manifest(&t);
	UNIT_OK(m != NULL && !t.failed, "%s: archive of %zu bytes made", what, t.out.len);
	if (m == NULL || t.failed)
		goto done;
	new_dir("dest", dest, sizeof(dest));
	o.dest = dest;
	o.manifest_prefix = "";
	o.manifest = m;
	o.progress_fn = note_progress;
	o.progress_arg = &seen;
	ok = unpack_bytes(name, t.out.data, t.out.len, t.out.len, &o, &stats, &err);
	UNIT_OK(ok, "%s: unpacked%s%s", what, ok ? "" : ": ", ok ? "" : err.msg);
	check_small_pgdata(what, dest, big, big_len);
	UNIT_OK(manifest_unseen(m, &first) == 0, "%s: every file of the manifest is seen%s%s",
			what, first ? ", not " : "", first ? first : "");
	UNIT_OK(stats.bytes == t.bytes && stats.files == t.nfiles && !stats.read_failed,
			"%s: stats say %lld bytes in %lld files (want %lld in %d)", what,
			(long long) stats.bytes, (long long) stats.files, (long long) t.bytes, t.nfiles);
	UNIT_OK(seen.calls >= 1 && seen.bytes == t.bytes && seen.files == t.nfiles,
			"%s: the last progress call says all (%d calls, %lld bytes, %lld files)", what,
			seen.calls, (long long) seen.bytes, (long long) seen.files);
	UNIT_OK(dir_entries(outside) == 0, "%s: nothing outside", what);
done:
	manifest_free(m);
	maker_free(&t);
	free(big);
}

/* dest NULL: every file checked, nothing written (not in the cwd either) */
static void
test_check_only(void)
{
	size_t		big_len = MB + 1;
	char	   *big = sg_malloc(big_len);
	char		cwd[512];
	char		old[4096];
	tar_maker	t;
	backup_manifest *m;
	unpack_stats stats;
	sg_error	err;
	bool		ok;
	bool		moved;

	fill(big, big_len, 2);
	maker_open(&t, "zst", true);
	add_small_pgdata(&t, big, big_len, true);
	maker_close(&t);
	m = maker_manifest(&t);
	new_dir("cwd", cwd, sizeof(cwd));
	moved = getcwd(old, sizeof(old)) != NULL && chdir(cwd) == 0;
	ok = m != NULL && unpack_maker(&t, "base.tar.zst", NULL, m, &stats, &err);
	UNIT_OK(ok && manifest_unseen(m, NULL) == 0 && stats.files == t.nfiles &&
			stats.bytes == t.bytes,
			"check only: passes, every file seen, %lld files %lld bytes%s%s",
			(long long) stats.files, (long long) stats.bytes, ok ? "" : ": ",
			ok ? "" : err.msg);
	UNIT_OK(moved && dir_entries(cwd) == 0 && dir_entries(outside) == 0,
			"check only: nothing written (the working directory stays empty)");
	if (moved && chdir(old) != 0)
		printf("# could not go back to %s\n", old);
	manifest_free(m);
	maker_free(&t);

	/* a damaged file is found without writing */
	maker_open(&t, "zst", true);
	maker_entry(&t, "base/1/1259", AE_IFREG, 0600, 5, "12345", 5);
	manifest_add(&t, "base/1/1259", 5, "12346", 5, false);
	maker_close(&t);
	m = maker_manifest(&t);
	ok = m != NULL && unpack_maker(&t, "base.tar.zst", NULL, m, &stats, &err);
	UNIT_OK(m != NULL && !ok && err.kind == SG_ERR_CORRUPT && strstr(err.msg, "base/1/1259"),
			"check only: a file whose checksum differs is refused: %s", err.msg);
	manifest_free(m);
	maker_free(&t);
	free(big);
}

/* ---------------------------------------------------------------- */
/* hostile archives, one entry each */

static char hostile_abs[400];

static void
add_absolute(tar_maker *t)
{
	maker_entry(t, hostile_abs, AE_IFREG, 0600, 1, "x", 1);
}

static void
add_dotdot(tar_maker *t)
{
	maker_entry(t, "../outside/escape", AE_IFREG, 0600, 1, "x", 1);
}

static void
add_inner_dotdot(tar_maker *t)
{
	maker_entry(t, "a/../../outside/b", AE_IFREG, 0600, 1, "x", 1);
}

static void
add_dotdot_dir(tar_maker *t)
{
	add_dir(t, "base/../../outside/dir/");
}

static void
add_dot(tar_maker *t)
{
	maker_entry(t, "base/./1", AE_IFREG, 0600, 1, "x", 1);
}

static void
add_symlink_out(tar_maker *t)
{
	add_link(t, "base/link", outside, false);
	add_text(t, "base/link/x", "x");
}

static void
add_relative_tablespace(tar_maker *t)
{
	add_dir(t, "pg_tblspc/");
	add_link(t, "pg_tblspc/123", "../outside", false);
	add_text(t, "pg_tblspc/123/x", "x");
}

static void
add_tablespace_subdir_link(tar_maker *t)
{
	add_link(t, "pg_tblspc/123/x", outside, false);
}

/* a file of a tablespace in the base archive, through its link */
static void
add_file_through_link(tar_maker *t)
{
	add_dir(t, "pg_tblspc/");
	add_link(t, "pg_tblspc/123", outside, false);
	add_text(t, "pg_tblspc/123/PG_15/x", "x");
}

static void
add_hardlink(tar_maker *t)
{
	add_link(t, "base/passwd", "/etc/passwd", true);
}

static void
add_device(tar_maker *t)
{
	maker_entry(t, "base/null", AE_IFCHR, 0600, 0, NULL, 0);
}

static void
add_fifo(tar_maker *t)
{
	maker_entry(t, "base/fifo", AE_IFIFO, 0600, 0, NULL, 0);
}

static void
add_unlisted(tar_maker *t)
{
	maker_entry(t, "base/1/smuggled", AE_IFREG, 0600, 3, "abc", 3);
}

static void
add_twice(tar_maker *t)
{
	add_text(t, "base/1/twice", "abc");
	maker_entry(t, "base/1/twice", AE_IFREG, 0600, 3, "abc", 3);
}

static void
add_shorter(tar_maker *t)
{
	maker_entry(t, "base/1/short", AE_IFREG, 0600, 3, "abc", 3);
	manifest_add(t, "base/1/short", 4, "abcd", 4, false);
}

static void
add_wrong_crc(tar_maker *t)
{
	maker_entry(t, "base/1/crc", AE_IFREG, 0600, 4, "abcd", 4);
	manifest_add(t, "base/1/crc", 4, "abce", 4, false);
}

static void
add_wrong_sha(tar_maker *t)
{
	maker_entry(t, "base/1/sha", AE_IFREG, 0600, 4, "abcd", 4);
	manifest_add(t, "base/1/sha", 4, "abce", 4, true);
}

static void
add_longer(tar_maker *t)
{
	char	   *data = calloc(1, 2 * MB);

	maker_entry(t, "base/1/long", AE_IFREG, 0600, 2 * MB, data, 2 * MB);
	manifest_add(t, "base/1/long", MB, data, MB, false);
	free(data);
}

/* a sparse file: its hole would skip bytes the checksum never saw */
static void
add_sparse(tar_maker *t)
{
	struct archive_entry *e = archive_entry_new();
	char	   *data = calloc(1, MB);

	archive_entry_set_pathname(e, "base/1/sparse");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0600);
	archive_entry_set_size(e, MB);
	archive_entry_sparse_add_entry(e, MB / 2, 4096);
	maker_check(t, archive_write_header(t->a, e), "sparse");
	memset(data + MB / 2, 'x', 4096);
	if (archive_write_data(t->a, data + MB / 2, 4096) != 4096)
		maker_check(t, ARCHIVE_FATAL, "sparse data");
	manifest_add(t, "base/1/sparse", MB, data, MB, false);
	archive_entry_free(e);
	free(data);
}

static void
test_hostile(void)
{
	tar_maker	t;
	char		dest[512];
	sg_buf		junk;

	snprintf(hostile_abs, sizeof(hostile_abs), "%s/abs", outside);
	refuse_entry("absolute path", add_absolute, hostile_abs);
	refuse_entry("\"../outside/escape\"", add_dotdot, "../outside/escape");
	refuse_entry("\"a/../../outside/b\"", add_inner_dotdot, "a/../../outside/b");
	refuse_entry("a directory \"base/../../outside/dir/\"", add_dotdot_dir, "base/../../outside/dir");
	refuse_entry("\"base/./1\"", add_dot, "base/./1");
	refuse_entry("a symlink base/link -> outside", add_symlink_out, "base/link");
	refuse_entry("a symlink pg_tblspc/123 -> ../outside", add_relative_tablespace, "pg_tblspc/123");
	refuse_entry("a symlink pg_tblspc/123/x", add_tablespace_subdir_link, "pg_tblspc/123/x");
	refuse_entry("a file written through a tablespace link", add_file_through_link,
				 "pg_tblspc/123/PG_15/x");
	refuse_entry("a hard link to /etc/passwd", add_hardlink, "base/passwd");
	refuse_entry("a character device", add_device, "base/null");
	refuse_entry("a fifo", add_fifo, "base/fifo");
	refuse_entry("a file the manifest does not list", add_unlisted, "base/1/smuggled");
	refuse_entry("a file shorter than its manifest size", add_shorter, "base/1/short");
	refuse_entry("a file whose CRC32C differs", add_wrong_crc, "base/1/crc");
	refuse_entry("a file whose SHA256 differs", add_wrong_sha, "base/1/sha");
	refuse_entry("a sparse file", add_sparse, "base/1/sparse");

	/* longer than the manifest says: stops at the bound */
	maker_open(&t, "zst", true);
	add_longer(&t);
	expect_refused("a file longer than its manifest size", &t, "base.tar.zst",
				   SG_ERR_CORRUPT, "base/1/long", dest, sizeof(dest));
	UNIT_OK(file_size(dest, "base/1/long") <= (int64_t) MB,
			"a file longer than its manifest size: at most the manifest's size is written (%lld)",
			(long long) file_size(dest, "base/1/long"));
	maker_free(&t);

	/* twice: the second is refused whether writing or checking only */
	maker_open(&t, "zst", true);
	add_twice(&t);
	expect_refused("a file twice", &t, "base.tar.zst", SG_ERR_CORRUPT, "base/1/twice",
				   dest, sizeof(dest));
	UNIT_OK(file_size(dest, "base/1/twice") <= 3, "a file twice: the second copy is not appended");
	{
		backup_manifest *m = maker_manifest(&t);
		unpack_stats stats;
		sg_error	err;
		bool		ok = m != NULL && unpack_maker(&t, "base.tar.zst", NULL, m, &stats, &err);

		UNIT_OK(m != NULL && !ok && err.kind == SG_ERR_CORRUPT && strstr(err.msg, "base/1/twice"),
				"a file twice, checked only: refused too (as restore would): %s",
				ok ? "passed" : err.msg);
		manifest_free(m);
	}
	maker_free(&t);

	/* garbage named .tar.zst */
	maker_open(&t, "", false);
	maker_close(&t);
	sg_buf_init(&junk);
	sg_buf_reserve(&junk, 100000);
	fill(junk.data, 100000, 3);
	junk.len = 100000;
	sg_buf_free(&t.out);
	t.out = junk;
	expect_refused("garbage instead of zstd", &t, "base.tar.zst", SG_ERR_CORRUPT,
				   "base.tar.zst", dest, sizeof(dest));
	UNIT_OK(dir_entries(dest) == 0, "garbage: nothing written");
	maker_free(&t);

	/* a zstd archive named .tar, and a compression not known */
	maker_open(&t, "zst", true);
	add_text(&t, "PG_VERSION", "15\n");
	expect_refused("zstd named .tar", &t, "base.tar", SG_ERR_CORRUPT, "base.tar", dest,
				   sizeof(dest));
	expect_refused("a .tar.xz", &t, "base.tar.xz", SG_ERR_CORRUPT, "base.tar.xz", dest,
				   sizeof(dest));
	maker_free(&t);
}

/* an object cut in the middle, for each compression */
static void
test_truncated(const char *filter)
{
	char		name[64];
	char		dest[512];
	size_t		big_len = 2 * MB;
	char	   *big = sg_malloc(big_len);
	tar_maker	t;
	backup_manifest *m;
	unpack_stats stats;
	unpack_options o = {0};
	sg_error	err;
	bool		ok;

	snprintf(name, sizeof(name), "base.tar%s%s", filter[0] ? "." : "", filter);
	fill(big, big_len, 4);
	maker_open(&t, filter, true);
	add_text(&t, "PG_VERSION", "15\n");
	add_file(&t, "base/1/1259", big, big_len);
	add_text(&t, "base/1/after", "after");
	maker_close(&t);
	m = maker_manifest(&t);
	new_dir("dest", dest, sizeof(dest));
	o.dest = dest;
	o.manifest_prefix = "";
	o.manifest = m;
	/* the object itself is short: libarchive finds it out */
	ok = m != NULL && unpack_bytes(name, t.out.data, t.out.len / 2, t.out.len / 2, &o, &stats, &err);
	UNIT_OK(m != NULL && !ok && err.kind == SG_ERR_CORRUPT && strstr(err.msg, name) &&
			!stats.read_failed,
			"%s cut in the middle: refused as corrupt, naming it: %s", name, err.msg);
	UNIT_OK(file_size(dest, "base/1/after") == -1, "%s cut in the middle: the files after are not made",
			name);
	/* the object is shorter than the reader was told: the reader's error */
	new_dir("dest", dest, sizeof(dest));
	ok = m != NULL && unpack_bytes(name, t.out.data, t.out.len / 2, t.out.len, &o, &stats, &err);
	UNIT_OK(m != NULL && !ok && err.kind == SG_ERR_CORRUPT && stats.read_failed,
			"%s shorter than its size: the reader's error, read_failed set: %s", name, err.msg);
	manifest_free(m);
	maker_free(&t);
	free(big);
}

/*
 * A plain tar cut right after its first file, before the next header: a
 * tar reader may take that for the end; then the manifest says what is
 * missing
 */
static void
test_cut_between(void)
{
	tar_maker	t;
	backup_manifest *m;
	unpack_stats stats;
	unpack_options o = {0};
	sg_error	err;
	const char *first = NULL;
	char		dest[512];
	bool		ok;

	maker_open(&t, "", false);
	add_text(&t, "PG_VERSION", "15\n");
	add_text(&t, "base/1/after", "after");
	maker_close(&t);
	m = maker_manifest(&t);
	new_dir("dest", dest, sizeof(dest));
	o.dest = dest;
	o.manifest_prefix = "";
	o.manifest = m;
	/* one header block and one data block */
	ok = m != NULL && unpack_bytes("base.tar", t.out.data, 1024, 1024, &o, &stats, &err);
	UNIT_OK(m != NULL && (ok ? manifest_unseen(m, &first) == 1 && first &&
						  strcmp(first, "base/1/after") == 0 :
						  err.kind == SG_ERR_CORRUPT),
			"a tar cut between two entries: %s%s", ok ? "the manifest misses " : "refused: ",
			ok ? (first ? first : "nothing") : err.msg);
	manifest_free(m);
	maker_free(&t);
}

/* ---------------------------------------------------------------- */
/* a decompression bomb */

#define BOMB_FILE ((size_t) 200 * MB)

typedef struct bomb_call
{
	const sg_buf *archive;
	backup_manifest *m;
	const char *dest;
} bomb_call;

typedef struct bomb_run
{
	bool		ok;
	sg_error	err;
	unpack_stats stats;
	long		growth_kb;
} bomb_run;

static void
unpack_bomb(void *arg, void *result)
{
	bomb_call  *call = arg;
	bomb_run   *run = result;
	long		before = unit_peak_rss_kb();
	unpack_options o = {call->dest, "", call->m};

	run->ok = unpack_bytes("base.tar.zst", call->archive->data, call->archive->len,
						   call->archive->len, &o, &run->stats, &run->err);
	run->growth_kb = unit_peak_rss_kb() - before;
}

/* a 200 MB all-zero file, listed as 1 MB, and then as 200 MB */
static void
test_bomb(void)
{
	char	   *zeros = calloc(1, MB);
	tar_maker	t;
	tar_maker	listed;
	backup_manifest *m;
	char		dest[512];
	bomb_call	call;
	bomb_run	run;
	bool		ran;
	uint32_t	crc = SG_CRC32C_INIT;

	maker_open(&t, "zst", false);
	maker_entry(&t, "base/1/bomb", AE_IFREG, 0600, BOMB_FILE, NULL, 0);
	for (size_t done = 0; done < BOMB_FILE && !t.failed; done += MB)
	{
		if (archive_write_data(t.a, zeros, MB) != (la_ssize_t) MB)
			maker_check(&t, ARCHIVE_FATAL, "bomb");
		crc = sg_crc32c_update(crc, zeros, MB);
	}
	maker_close(&t);
	crc = sg_crc32c_final(crc);
	manifest_add(&t, "base/1/bomb", MB, zeros, MB, false);
	m = maker_manifest(&t);
	new_dir("dest", dest, sizeof(dest));
	call = (bomb_call) {&t.out, m, dest};
	ran = m != NULL && !t.failed && unit_in_child(unpack_bomb, &call, &run, sizeof(run));
	UNIT_OK(ran && !run.ok && run.err.kind == SG_ERR_CORRUPT && strstr(run.err.msg, "base/1/bomb"),
			"bomb (%zu bytes of zstd, a 200 MB file listed as 1 MB): refused: %s",
			t.out.len, ran ? run.err.msg : "did not run");
	UNIT_OK(ran && file_size(dest, "base/1/bomb") <= (int64_t) MB && run.stats.bytes <= (int64_t) MB,
			"bomb: at most the manifest's 1 MB is written (%lld on disk, %lld counted)",
			(long long) file_size(dest, "base/1/bomb"), (long long) run.stats.bytes);
	UNIT_OK(ran && run.growth_kb < MAX_RSS_GROWTH_KB,
			"bomb: peak memory grows by %ld kB (at most %d)", run.growth_kb, MAX_RSS_GROWTH_KB);
	UNIT_OK(dir_entries(outside) == 0, "bomb: nothing outside");
	manifest_free(m);

	/* the same 200 MB listed as such, checked only: memory stays small */
	memset(&listed, 0, sizeof(listed));
	sg_buf_init(&listed.files);
	manifest_add_crc(&listed, "base/1/bomb", BOMB_FILE, crc);
	m = maker_manifest(&listed);
	call = (bomb_call) {&t.out, m, NULL};
	ran = m != NULL && !t.failed && unit_in_child(unpack_bomb, &call, &run, sizeof(run));
	UNIT_OK(ran && run.ok && run.stats.bytes == (int64_t) BOMB_FILE,
			"200 MB of zeros listed as such, checked only: passes (%lld bytes)%s%s",
			(long long) run.stats.bytes, ran && !run.ok ? ": " : "", ran && !run.ok ? run.err.msg : "");
	UNIT_OK(ran && run.growth_kb < MAX_RSS_GROWTH_KB,
			"200 MB checked: peak memory grows by %ld kB (at most %d)", run.growth_kb,
			MAX_RSS_GROWTH_KB);
	manifest_free(m);
	sg_buf_free(&listed.files);
	maker_free(&t);
	free(zeros);
}

/* ---------------------------------------------------------------- */
/* tablespaces */

typedef struct tablespace_seen
{
	int			calls;
	char		oid[32];
	char		target[512];
	const char *answer;			/* NULL: fail */
} tablespace_seen;

static char *
map_tablespace(void *arg, const char *oid, const char *target, sg_error *err)
{
	tablespace_seen *ts = arg;

	ts->calls++;
	snprintf(ts->oid, sizeof(ts->oid), "%s", oid);
	snprintf(ts->target, sizeof(ts->target), "%s", target);
	if (ts->answer == NULL)
	{
		sg_error_set(err, SG_ERR_CONFIG, "tablespace %s is not mapped (test)", oid);
		return NULL;
	}
	return sg_strdup(ts->answer);
}

static void
test_tablespace(void)
{
	tar_maker	t;
	backup_manifest *m;
	char		dest[512];
	char		mapped[512];
	char		link[600];
	char		to[600];
	ssize_t		n;
	tablespace_seen ts = {0};
	unpack_options o = {0};
	unpack_stats stats;
	sg_error	err;
	bool		ok;

	maker_open(&t, "zst", false);
	add_text(&t, "PG_VERSION", "15\n");
	add_dir(&t, "pg_tblspc/");
	add_link(&t, "pg_tblspc/16385", "/some/abs/path", false);
	maker_close(&t);
	m = maker_manifest(&t);
	new_dir("dest", dest, sizeof(dest));
	new_dir("mapped", mapped, sizeof(mapped));
	ts.answer = mapped;
	o.dest = dest;
	o.manifest_prefix = "";
	o.manifest = m;
	o.tablespace_fn = map_tablespace;
	o.tablespace_arg = &ts;
	ok = m != NULL && unpack_bytes("base.tar.zst", t.out.data, t.out.len, t.out.len, &o, &stats, &err);
	UNIT_OK(ok, "tablespace link: unpacked%s%s", ok ? "" : ": ", ok ? "" : err.msg);
	UNIT_OK(ts.calls == 1 && strcmp(ts.oid, "16385") == 0 && strcmp(ts.target, "/some/abs/path") == 0,
			"tablespace link: the callback gets oid \"%s\" and target \"%s\" (%d calls)",
			ts.oid, ts.target, ts.calls);
	snprintf(link, sizeof(link), "%s/pg_tblspc/16385", dest);
	n = readlink(link, to, sizeof(to) - 1);
	to[n > 0 ? n : 0] = '\0';
	UNIT_STREQ(to, mapped, "tablespace link: pg_tblspc/16385 points where the callback said");

	/* the callback refuses: its error stops the unpack */
	ts.answer = NULL;
	new_dir("dest", dest, sizeof(dest));
	ok = unpack_bytes("base.tar.zst", t.out.data, t.out.len, t.out.len, &o, &stats, &err);
	UNIT_OK(!ok && err.kind == SG_ERR_CONFIG && strstr(err.msg, "not mapped"),
			"tablespace link: the callback's error stops the unpack: %s", err.msg);

	/* checking only: no callback, no link */
	ts.calls = 0;
	o.dest = NULL;
	ok = unpack_bytes("base.tar.zst", t.out.data, t.out.len, t.out.len, &o, &stats, &err);
	UNIT_OK(ok && ts.calls == 0, "tablespace link, checked only: passes without the callback");
	manifest_free(m);
	maker_free(&t);

	/* a tablespace archive: its paths are checked under pg_tblspc/<oid>/ */
	maker_open(&t, "lz4", false);
	add_dir(&t, "PG_15_202209061/");
	maker_entry(&t, "PG_15_202209061/5/16386", AE_IFREG, 0600, 5, "table", 5);
	manifest_add(&t, "pg_tblspc/16385/PG_15_202209061/5/16386", 5, "table", 5, false);
	maker_close(&t);
	m = maker_manifest(&t);
	new_dir("ts", mapped, sizeof(mapped));
	o.dest = mapped;
	o.manifest_prefix = "pg_tblspc/16385/";
	o.manifest = m;
	o.tablespace_fn = NULL;
	ok = m != NULL && unpack_bytes("16385.tar.lz4", t.out.data, t.out.len, t.out.len, &o, &stats, &err);
	UNIT_OK(ok && file_is(mapped, "PG_15_202209061/5/16386", "table", 5) &&
			manifest_unseen(m, NULL) == 0,
			"tablespace archive: its file lands under the tablespace directory%s%s",
			ok ? "" : ": ", ok ? "" : err.msg);
	manifest_free(m);
	maker_free(&t);

	/* a link in a tablespace archive is refused */
	maker_open(&t, "zst", false);
	add_link(&t, "pg_tblspc/16386", outside, false);
	maker_close(&t);
	m = maker_manifest(&t);
	new_dir("ts", mapped, sizeof(mapped));
	o.dest = mapped;
	o.manifest = m;
	ok = m != NULL && unpack_bytes("16385.tar.zst", t.out.data, t.out.len, t.out.len, &o, &stats, &err);
	UNIT_OK(!ok && err.kind == SG_ERR_CORRUPT && strstr(err.msg, "pg_tblspc/16386"),
			"a link in a tablespace archive: refused: %s", err.msg);
	manifest_free(m);
	maker_free(&t);
}

/* ---------------------------------------------------------------- */
/* the writer thread */

#define NSMALL 3000
#define LARGE ((size_t) 20 * MB)

static const size_t edge_sizes[] = {
	UNPACK_CHUNK_SIZE - 1, UNPACK_CHUNK_SIZE, UNPACK_CHUNK_SIZE + 1,
	UNPACK_QUEUE_CHUNKS * UNPACK_CHUNK_SIZE - 1, UNPACK_QUEUE_CHUNKS * UNPACK_CHUNK_SIZE,
	UNPACK_QUEUE_CHUNKS * UNPACK_CHUNK_SIZE + 1, 1
};

#define NEDGE (sizeof(edge_sizes) / sizeof(edge_sizes[0]))

/* file i of the many: its path and size */
static size_t
many_file(int i, char *path, size_t size)
{
	uint64_t	state = (uint64_t) i * 7919 + 17;

	if (i < NSMALL)
	{
		snprintf(path, size, "base/%d/%d", 16384 + i / 500, i);
		return (size_t) (unit_rng(&state) % (10 * 1024 + 1));
	}
	if (i < NSMALL + (int) NEDGE)
	{
		snprintf(path, size, "base/edge/%d", i);
		return edge_sizes[i - NSMALL];
	}
	snprintf(path, size, "base/large/%d", i);
	return LARGE;
}

static void
test_many(void)
{
	int			nfiles = NSMALL + NEDGE + 3;
	char	   *buf = sg_malloc(LARGE);
	char		path[128];
	char		dest[512];
	tar_maker	t;
	backup_manifest *m;
	unpack_stats stats;
	sg_error	err;
	bool		ok;
	int			bad = 0;
	double		start;

	maker_open(&t, "zst", false);
	for (int i = 0; i < nfiles; i++)
	{
		size_t		len = many_file(i, path, sizeof(path));

		fill(buf, len, i);
		add_file(&t, path, buf, len);
		/* the large ones between the small */
		if (i == NSMALL / 2)
		{
			fill(buf, LARGE, 100000);
			add_file(&t, "base/large/between", buf, LARGE);
		}
	}
	maker_close(&t);
	m = maker_manifest(&t);
	new_dir("dest", dest, sizeof(dest));
	start = now_s();
	alarm(HANG_SECONDS);
	ok = m != NULL && !t.failed && unpack_maker(&t, "base.tar.zst", dest, m, &stats, &err);
	alarm(0);
	UNIT_OK(ok, "%d files (%lld bytes, %zu of zstd) unpacked in %.1f s%s%s", t.nfiles,
			(long long) t.bytes, t.out.len, now_s() - start, ok ? "" : ": ", ok ? "" : err.msg);
	for (int i = 0; ok && i < nfiles; i++)
	{
		size_t		len = many_file(i, path, sizeof(path));

		fill(buf, len, i);
		bad += !file_is(dest, path, buf, len);
	}
	fill(buf, LARGE, 100000);
	bad += !file_is(dest, "base/large/between", buf, LARGE);
	UNIT_OK(ok && bad == 0, "%d files: every one has its bytes (%d differ)", t.nfiles, bad);
	UNIT_OK(ok && stats.files == t.nfiles && stats.bytes == t.bytes && manifest_unseen(m, NULL) == 0,
			"%d files: stats and the manifest agree", t.nfiles);
	manifest_free(m);
	maker_free(&t);
	free(buf);
}

/*
 * A file "base/a" then "base/a/b": the caller's thread makes the directory
 * base/a before the writer creates the file base/a, or the file comes
 * first and base/a/b cannot be created; either way one of them fails
 */
static void
test_file_under_file(void)
{
	char	   *buf = sg_malloc(LARGE);
	char		dest[512];
	tar_maker	t;
	backup_manifest *m;
	unpack_stats stats;
	sg_error	err;
	bool		ok;
	double		start;

	fill(buf, LARGE, 5);
	maker_open(&t, "zst", false);
	add_text(&t, "base/a", "a file");
	add_file(&t, "base/a/b", buf, LARGE);
	add_file(&t, "base/c", buf, LARGE);
	maker_close(&t);
	m = maker_manifest(&t);
	new_dir("dest", dest, sizeof(dest));
	start = now_s();
	alarm(HANG_SECONDS);
	ok = m != NULL && unpack_maker(&t, "base.tar.zst", dest, m, &stats, &err);
	alarm(0);
	UNIT_OK(m != NULL && !ok && err.kind == SG_ERR_IO && strstr(err.msg, "base/a") &&
			!stats.read_failed,
			"a file under a file: the error is reported: %s", err.msg);
	UNIT_OK(now_s() - start < 10, "a file under a file: unpack returns in %.2f s", now_s() - start);
	UNIT_OK(file_size(dest, "base/c") == -1, "a file under a file: the file after it is not made");
	manifest_free(m);
	maker_free(&t);
	free(buf);
}

/*
 * A symbolic link already in the destination where a file goes, in the
 * middle of a large archive: the writer's create fails (O_EXCL,
 * O_NOFOLLOW), nothing is written through the link, the caller stops at
 * once and no later file is made
 */
static void
test_create_error(void)
{
	char	   *buf = sg_malloc(LARGE);
	char		path[64];
	char		dest[512];
	char		planted[600];
	char		target[600];
	tar_maker	t;
	backup_manifest *m;
	unpack_stats stats;
	sg_error	err;
	bool		ok;
	int			after = 0;
	double		start;

	fill(buf, LARGE, 6);
	maker_open(&t, "zst", false);
	for (int i = 0; i < 100; i++)
	{
		snprintf(path, sizeof(path), "base/before/%d", i);
		add_file(&t, path, buf, 10000);
	}
	add_file(&t, "base/1/planted", buf, 1000);
	add_file(&t, "base/1/large", buf, LARGE);
	for (int i = 0; i < 200; i++)
	{
		snprintf(path, sizeof(path), "base/after/%d", i);
		add_file(&t, path, buf, 10000);
	}
	maker_close(&t);
	m = maker_manifest(&t);
	new_dir("dest", dest, sizeof(dest));
	snprintf(planted, sizeof(planted), "%s/base", dest);
	mkdir(planted, 0700);
	snprintf(planted, sizeof(planted), "%s/base/1", dest);
	mkdir(planted, 0700);
	snprintf(planted, sizeof(planted), "%s/base/1/planted", dest);
	snprintf(target, sizeof(target), "%s/planted", outside);
	if (symlink(target, planted) != 0)
		printf("# could not make %s: %s\n", planted, strerror(errno));
	start = now_s();
	alarm(HANG_SECONDS);
	ok = m != NULL && unpack_maker(&t, "base.tar.zst", dest, m, &stats, &err);
	alarm(0);
	UNIT_OK(m != NULL && !ok && err.kind == SG_ERR_IO && strstr(err.msg, "base/1/planted") &&
			!stats.read_failed,
			"a link planted where a file goes: the create error is reported: %s", err.msg);
	UNIT_OK(now_s() - start < 10, "a link planted: unpack returns in %.2f s", now_s() - start);
	UNIT_OK(dir_entries(outside) == 0, "a link planted: nothing is written through it");
	for (int i = 0; i < 200; i++)
	{
		snprintf(path, sizeof(path), "base/after/%d", i);
		after += file_size(dest, path) >= 0;
	}
	UNIT_OK(after == 0 && file_size(dest, "base/1/large") == -1 &&
			file_is(dest, "base/before/99", buf, 10000),
			"a link planted: the files before it are written, none after it (%d are)", after);
	manifest_free(m);
	maker_free(&t);
	free(buf);
}

typedef struct limited_call
{
	const char *key;
	int64_t		size;
	backup_manifest *m;
	const char *dest;
} limited_call;

typedef struct limited_run
{
	bool		ok;
	sg_error	err;
	double		seconds;
} limited_run;

/* in a child with a 1 MB file size limit */
static void
unpack_limited(void *arg, void *result)
{
	limited_call *call = arg;
	limited_run *run = result;
	struct rlimit rl = {MB, MB};
	unpack_options o = {call->dest, "", call->m};
	unpack_stats stats;
	double		start = now_s();

	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &rl);
	alarm(HANG_SECONDS);
	run->ok = unpack_key(call->key, "base.tar.zst", call->size, &o, &stats, &run->err);
	run->seconds = now_s() - start;
}

/* the disk fills in the middle of a large file */
static void
test_write_limit(void)
{
	char	   *buf = sg_malloc(LARGE);
	char		dest[512];
	tar_maker	t;
	backup_manifest *m;
	limited_call call;
	limited_run run;
	char		key[256];
	sg_error	err;
	bool		ran;

	fill(buf, LARGE, 6);
	maker_open(&t, "zst", false);
	add_file(&t, "base/1/big", buf, LARGE);
	add_file(&t, "base/1/next", buf, LARGE);
	maker_close(&t);
	m = maker_manifest(&t);
	new_dir("dest", dest, sizeof(dest));
	call = (limited_call) {key, t.out.len, m, dest};
	/* stored here: the child may not write more than 1 MB */
	ran = m != NULL && store_object("base.tar.zst", t.out.data, t.out.len, key, sizeof(key), &err) &&
		unit_in_child(unpack_limited, &call, &run, sizeof(run));
	drop_object(key);
	UNIT_OK(ran && !run.ok && run.err.kind == SG_ERR_IO && strstr(run.err.msg, "base/1/big") &&
			strstr(run.err.msg, "write"),
			"a write failing at 1 MB: reported: %s", ran ? run.err.msg : "did not run");
	UNIT_OK(ran && run.seconds < 10, "a write failing at 1 MB: unpack returns in %.2f s",
			run.seconds);
	UNIT_OK(file_size(dest, "base/1/next") == -1, "a write failing at 1 MB: the next file is not made");
	manifest_free(m);
	maker_free(&t);
	free(buf);
}

/* the writer's API directly: pieces across the chunk boundaries */
static void
test_writer_api(void)
{
	static const size_t pieces[] = {1, UNPACK_CHUNK_SIZE - 2, 1, UNPACK_CHUNK_SIZE,
	3 * UNPACK_CHUNK_SIZE + 7, 0, 20 * UNPACK_CHUNK_SIZE, 5};
	size_t		total = 0;
	char	   *data;
	char		dir[512];
	char		path[600];
	tar_maker	t;
	backup_manifest *m;
	const manifest_file *f;
	unpack_writer *w;
	sg_error	err;
	bool		ok = true;
	size_t		off = 0;

	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++)
		total += pieces[i];
	data = sg_malloc(total);
	fill(data, total, 7);
	memset(&t, 0, sizeof(t));
	sg_buf_init(&t.files);
	manifest_add(&t, "f", total, data, total, true);
	m = maker_manifest(&t);
	f = m ? manifest_find(m, "f") : NULL;
	new_dir("writer", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	sg_error_clear(&err);
	w = f ? unpack_writer_start(&err) : NULL;
	ok = w != NULL && unpack_writer_begin(w, path, 0600, f, &err);
	for (size_t i = 0; ok && i < sizeof(pieces) / sizeof(pieces[0]); i++)
	{
		ok = unpack_writer_write(w, data + off, pieces[i], &err);
		off += pieces[i];
	}
	ok = ok && unpack_writer_end(w, &err);
	/* the same again, checked only, in one piece */
	ok = ok && unpack_writer_begin(w, NULL, 0, f, &err) &&
		unpack_writer_write(w, data, total, &err) && unpack_writer_end(w, &err) &&
		unpack_writer_finish(w, &err);
	unpack_writer_free(w);
	UNIT_OK(ok && file_is(dir, "f", data, total),
			"writer: %zu bytes in pieces of 1 byte to 20 chunks, written and checked (SHA256)%s%s",
			total, ok ? "" : ": ", ok ? "" : err.msg);

	/* the file cannot be created: every later call fails, free does not hang */
	snprintf(path, sizeof(path), "%s/missing/f", dir);
	w = unpack_writer_start(&err);
	ok = w != NULL && unpack_writer_begin(w, path, 0600, f, &err);
	alarm(HANG_SECONDS);
	for (int i = 0; ok && i < 1000; i++)
		ok = unpack_writer_write(w, data, UNPACK_CHUNK_SIZE, &err);
	UNIT_OK(!ok && err.kind == SG_ERR_IO && strstr(err.msg, "missing/f"),
			"writer: a file that cannot be created fails the writes that follow: %s", err.msg);
	ok = unpack_writer_end(w, &err) || unpack_writer_finish(w, &err);
	UNIT_OK(!ok && err.kind == SG_ERR_IO, "writer: end and finish fail too");
	unpack_writer_free(w);
	/* abandoned with data queued and unfinished */
	w = unpack_writer_start(&err);
	ok = w != NULL && unpack_writer_begin(w, NULL, 0, f, &err);
	for (int i = 0; ok && i < 2 * UNPACK_QUEUE_CHUNKS; i++)
		ok = unpack_writer_write(w, data, UNPACK_CHUNK_SIZE, &err);
	unpack_writer_free(w);
	alarm(0);
	UNIT_OK(ok, "writer: freed with a file half queued, without finish");
	manifest_free(m);
	sg_buf_free(&t.files);
	free(data);
}

/* ---------------------------------------------------------------- */

static void
hung(int sig)
{
	static const char msg[] = "not ok - the unpack hung (no answer in " XSTR(HANG_SECONDS) " s)\n";

	(void) sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

int
main(void)
{
	sg_error	err;

	signal(SIGALRM, hung);
	store = unit_local_store("unpack-store", &err);
	snprintf(work, sizeof(work), "/tmp/sgb-unpack-work-XXXXXX");
	if (store == NULL || mkdtemp(work) == NULL)
	{
		printf("not ok 1 - a local store and a work directory: %s\n", store ? strerror(errno) : err.msg);
		return 1;
	}
	sg_storage_init(&storage);
	storage.repository_path = sg_strdup(unit_local_root);
	snprintf(outside, sizeof(outside), "%s/outside", work);
	mkdir(outside, 0700);

	test_happy("zst", true);
	test_happy("zst", false);
	test_happy("", true);
	test_happy("lz4", true);
	test_happy("gz", true);
	test_check_only();
	test_hostile();
	test_truncated("zst");
	test_truncated("");
	test_cut_between();
	test_bomb();
	test_tablespace();
	test_writer_api();
	test_many();
	test_file_under_file();
	test_create_error();
	test_write_limit();

	sg_store_free(store);
	sg_storage_free(&storage);
	unit_rm_rf(unit_local_root);
	unit_rm_rf(work);
	return UNIT_DONE();
}
