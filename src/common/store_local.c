/*
 * store_local.c - the store of store.h in a local directory (a mounted
 * volume, a NFS share), for sgbackup.repository_path and
 * `sgbackup --repository DIR`.
 *
 * Object "wal/000000010000000000000001" is the plain file
 * <root>/wal/000000010000000000000001, so that a backup can be copied or
 * unpacked by hand.  Its user metadata and checksum are extended
 * attributes of the file: "user.sgbackup.meta.<name>" for each name, and
 * "user.sgbackup.md5" with the hex md5 of the bytes (the etag of head and
 * get).  The file system must support user extended attributes (ext4, xfs,
 * btrfs, tmpfs and NFS 4.2 do); without them every write fails, saying so.
 *
 * Writes are atomic: the bytes go to a temporary file in the same
 * directory, named ".sgbackup-tmp-<pid>-<n>-<name>", which gets the
 * attributes, is fsynced and renamed over the object, and the directory is
 * fsynced.  A crash leaves the old object (or none) and at most a
 * temporary file, which listings skip and sg_store_abort_stale removes.
 * Listing walks the tree and sorts the keys by their bytes, as S3 lists.
 * Keys may not leave the root: absolute keys, "." and ".." components,
 * empty components and names of temporary files are refused.  Deleting
 * an object removes the directories it leaves empty (S3 has none).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "store.h"

#define TMP_MARK		".sgbackup-tmp-"
#define XATTR_MD5		"user.sgbackup.md5"
#define XATTR_META		"user.sgbackup.meta."
#define READ_CHUNK		(256 * 1024)

typedef struct local_store
{
	sg_store	base;
	char	   *root;			/* absolute, without a trailing '/' */
} local_store;

typedef struct local_writer
{
	sg_store_writer base;
	char	   *path;			/* the object's file */
	char	   *tmp;			/* the temporary file while it exists */
	int			fd;
	EVP_MD_CTX *md5;
	EVP_MD_CTX *sha256;
	int64_t		bytes;
	char		sha256_hex[65];
	int			nmeta;
	char	   *meta_name[SG_STORE_MAX_META];
	char	   *meta_value[SG_STORE_MAX_META];
} local_writer;

static unsigned long tmp_counter = 0;

/* ---------------------------------------------------------------- */
/* keys and paths */

static bool
is_tmp_name(const char *name)
{
	return strncmp(name, TMP_MARK, strlen(TMP_MARK)) == 0;
}

/*
 * A key names a file under the root: no leading '/', no empty, "." or ".."
 * component, no temporary file's name.  A prefix may end with '/' or with
 * part of a name ("wal/00000001").
 */
static bool
check_key(const char *key, bool is_prefix, sg_error *err)
{
	const char *p = key;

	if (key[0] == '\0' && is_prefix)
		return true;
	if (key[0] == '/' || key[0] == '\0')
		goto bad;
	for (;;)
	{
		const char *slash = strchr(p, '/');
		size_t		len = slash ? (size_t) (slash - p) : strlen(p);

		if ((len == 0 && (slash || !is_prefix)) ||
			(len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.') ||
			is_tmp_name(p))
			goto bad;
		if (slash == NULL)
			return true;
		p = slash + 1;
		if (*p == '\0' && is_prefix)
			return true;
	}
bad:
	sg_error_set(err, SG_ERR_CONFIG, "invalid key \"%s\" for a local repository", key);
	sg_error_detail(err, "A key is a relative path without empty, \".\" or \"..\" components.");
	return false;
}

static char *
path_of(const local_store *ls, const char *key)
{
	sg_buf		b;

	sg_buf_init(&b);
	sg_buf_printf(&b, "%s/%s", ls->root, key);
	return b.data;
}

static bool
io_error(sg_error *err, const char *what, const char *path)
{
	return sg_error_set(err, SG_ERR_IO, "could not %s \"%s\": %s", what, path,
						strerror(errno));
}

/* create the directories leading to the file path, fsyncing new ones' parents */
static bool
make_parents(const local_store *ls, const char *path, sg_error *err)
{
	char	   *dir = sg_strdup(path);
	bool		ok = true;

	for (char *p = dir + strlen(ls->root) + 1; ok && (p = strchr(p, '/')) != NULL; p++)
	{
		*p = '\0';
		if (mkdir(dir, 0700) == 0)
			ok = sg_fsync_parent(dir, err);
		else if (errno != EEXIST)
			ok = io_error(err, "create directory", dir);
		*p = '/';
	}
	free(dir);
	return ok;
}

/* "2026-11-30T06:15:00.123Z", as S3 lists times */
static void
format_mtime(char *out, size_t size, const struct stat *st)
{
	struct tm	tm;

	gmtime_r(&st->st_mtim.tv_sec, &tm);
	snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			 tm.tm_min, tm.tm_sec, (int) (st->st_mtim.tv_nsec / 1000000));
}

/* ---------------------------------------------------------------- */
/* digests */

static EVP_MD_CTX *
digest_new(const EVP_MD *type)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (md && EVP_DigestInit_ex(md, type, NULL) != 1)
	{
		EVP_MD_CTX_free(md);
		md = NULL;
	}
	return md;
}

static bool
digest_hex(EVP_MD_CTX *md, char *hex, size_t size)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(md, d, &n) != 1 || 2 * n + 1 > size)
		return false;
	for (unsigned int i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	return true;
}

/* ---------------------------------------------------------------- */
/* reading an object's attributes */

static char *
get_xattr(int fd, const char *name)
{
	ssize_t		n = fgetxattr(fd, name, NULL, 0);
	char	   *v;

	if (n < 0)
		return NULL;
	v = sg_malloc((size_t) n + 1);
	n = fgetxattr(fd, name, v, (size_t) n);
	if (n < 0)
	{
		free(v);
		return NULL;
	}
	v[n] = '\0';
	return v;
}

/* size, md5 and metadata of the open object fd into info */
static bool
read_info(int fd, const char *path, sg_store_info *info, sg_error *err)
{
	struct stat st;
	ssize_t		n;
	char	   *names;
	char	   *md5;

	memset(info, 0, sizeof(*info));
	if (fstat(fd, &st) != 0)
		return io_error(err, "stat file", path);
	info->exists = true;
	info->size = st.st_size;
	if ((md5 = get_xattr(fd, XATTR_MD5)) != NULL)
		snprintf(info->etag, sizeof(info->etag), "%s", md5);
	free(md5);
	n = flistxattr(fd, NULL, 0);
	if (n <= 0)
		return true;
	names = sg_malloc((size_t) n);
	n = flistxattr(fd, names, (size_t) n);
	for (ssize_t off = 0; n > 0 && off < n; off += strlen(names + off) + 1)
	{
		const char *name = names + off;
		char	   *value;

		if (strncmp(name, XATTR_META, strlen(XATTR_META)) != 0 ||
			info->nmeta == SG_STORE_MAX_META ||
			(value = get_xattr(fd, name)) == NULL)
			continue;
		info->meta_name[info->nmeta] = sg_strdup(name + strlen(XATTR_META));
		info->meta_value[info->nmeta++] = value;
	}
	free(names);
	return true;
}

/*
 * Open the object key for reading: 1 opened, 0 no such object (err
 * SG_ERR_NOT_FOUND), -1 error
 */
static int
open_object(sg_store *st, const char *key, int *fd, char **path, sg_error *err)
{
	local_store *ls = (local_store *) st;
	struct stat sb;

	*path = NULL;
	if (!check_key(key, false, err))
		return -1;
	*path = path_of(ls, key);
	*fd = open(*path, O_RDONLY | O_CLOEXEC);
	if (*fd >= 0 && fstat(*fd, &sb) == 0 && S_ISREG(sb.st_mode))
		return 1;
	if (*fd >= 0)
	{
		close(*fd);
		errno = ENOENT;			/* a directory: no object of that key */
	}
	if (errno == ENOENT || errno == ENOTDIR)
	{
		sg_error_set(err, SG_ERR_NOT_FOUND, "object \"%s\" is not in the repository", key);
		return 0;
	}
	io_error(err, "open file", *path);
	return -1;
}

static int
local_head(sg_store *st, const char *key, sg_store_info *info, sg_error *err)
{
	sg_store_info dummy;
	char	   *path;
	int			fd;
	int			rc = open_object(st, key, &fd, &path, err);

	if (info == NULL)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	if (rc == 1)
	{
		if (!read_info(fd, path, info, err))
			rc = -1;
		close(fd);
	}
	else if (rc == 0)
		sg_error_clear(err);
	if (info == &dummy)
		sg_store_info_free(&dummy);
	free(path);
	return rc;
}

/* stream the open object fd to fn */
static bool
read_all(int fd, const char *path, sg_store_write_fn fn, void *arg, sg_error *err)
{
	char	   *chunk = sg_malloc(READ_CHUNK);
	bool		ok = true;

	for (;;)
	{
		ssize_t		n = read(fd, chunk, READ_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ok = io_error(err, "read file", path);
		else if (n > 0 && !fn(arg, chunk, (size_t) n))
			ok = sg_error_set(err, SG_ERR_INTERNAL, "reading \"%s\" was stopped", path);
		if (n <= 0 || !ok)
			break;
	}
	free(chunk);
	return ok;
}

static bool
local_get_stream(sg_store *st, const char *key, sg_store_write_fn fn,
				 void *arg, sg_store_info *info, sg_error *err)
{
	sg_store_info dummy;
	char	   *path;
	int			fd;
	bool		ok;

	if (open_object(st, key, &fd, &path, err) != 1)
	{
		free(path);
		return false;
	}
	if (info == NULL)
		info = &dummy;
	ok = read_info(fd, path, info, err) && read_all(fd, path, fn, arg, err);
	if (info == &dummy)
		sg_store_info_free(&dummy);
	close(fd);
	free(path);
	return ok;
}

static bool
local_get_range(sg_store *st, const char *key, int64_t offset, size_t len,
				sg_buf *out, sg_error *err)
{
	char	   *path;
	int			fd;
	bool		ok = true;

	if (open_object(st, key, &fd, &path, err) != 1)
	{
		free(path);
		return false;
	}
	sg_buf_reserve(out, len);
	while (ok && out->len < len)
	{
		ssize_t		n = pread(fd, out->data + out->len, len - out->len,
							  (off_t) (offset + (int64_t) out->len));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ok = io_error(err, "read file", path);
		else if (n == 0)
			break;				/* the end of the file */
		else
			out->len += (size_t) n;
	}
	out->data[out->len] = '\0';
	if (!ok)
		sg_buf_reset(out);
	close(fd);
	free(path);
	return ok;
}

/* where get puts the bytes: no more than max of them */
typedef struct bounded_buf
{
	sg_buf	   *out;
	size_t		max;
	bool		over;
} bounded_buf;

static bool
append_bounded(void *arg, const void *data, size_t len)
{
	bounded_buf *b = arg;

	if (len > b->max - b->out->len)
	{
		b->over = true;
		return false;
	}
	sg_buf_append(b->out, data, len);
	return true;
}

static bool
local_get(sg_store *st, const char *key, size_t max_bytes, sg_buf *out,
		  sg_store_info *info, sg_error *err)
{
	sg_store_info got;
	bounded_buf b = {out, max_bytes, false};
	bool		ok;

	sg_buf_reset(out);
	memset(&got, 0, sizeof(got));
	ok = local_get_stream(st, key, append_bounded, &b, &got, err);
	/* a file larger than the limit, or one that grew past it while read */
	if (b.over)
	{
		sg_error_set(err, SG_ERR_CORRUPT, "object \"%s\" is larger than %zu bytes",
					 key, max_bytes);
		sg_error_detail(err, "It holds %" PRId64 " bytes or more.", got.size);
	}
	if (!ok)
		sg_buf_reset(out);
	if (ok && info)
		*info = got;
	else
		sg_store_info_free(&got);
	return ok;
}

/* ---------------------------------------------------------------- */
/* writing */

static bool
lw_write(sg_store_writer *base, const void *data, size_t len, sg_error *err)
{
	local_writer *w = (local_writer *) base;
	if (EVP_DigestUpdate(w->md5, data, len) != 1 ||
		EVP_DigestUpdate(w->sha256, data, len) != 1)
		return sg_error_set(err, SG_ERR_INTERNAL, "could not compute a digest");
	w->bytes += (int64_t) len;
	return sg_write_all(w->fd, data, len, w->tmp, err);
}

static bool
set_xattr(local_writer *w, const char *name, const char *value, sg_error *err)
{
	if (fsetxattr(w->fd, name, value, strlen(value), 0) == 0)
		return true;
	io_error(err, "set an extended attribute on file", w->tmp);
	if (errno == ENOTSUP)
		sg_error_hint(err, "A local repository keeps each object's metadata in user extended attributes; "
					  "put it on a file system that supports them (ext4, xfs, btrfs, tmpfs, NFS 4.2).");
	return false;
}

/* the bytes are all written: attributes, fsync, rename, fsync the directory */
static bool
lw_finish(sg_store_writer *base, sg_error *err)
{
	local_writer *w = (local_writer *) base;
	char		md5[33];
	bool		ok = true;

	if (!digest_hex(w->md5, md5, sizeof(md5)) ||
		!digest_hex(w->sha256, w->sha256_hex, sizeof(w->sha256_hex)))
		return sg_error_set(err, SG_ERR_INTERNAL, "could not compute a digest");
	ok = set_xattr(w, XATTR_MD5, md5, err);
	for (int i = 0; ok && i < w->nmeta; i++)
	{
		char		name[256];

		snprintf(name, sizeof(name), XATTR_META "%s", w->meta_name[i]);
		ok = set_xattr(w, name, w->meta_value[i], err);
	}
	if (ok && fsync(w->fd) != 0)
		ok = io_error(err, "fsync file", w->tmp);
	if (close(w->fd) != 0 && ok)
		ok = io_error(err, "close file", w->tmp);
	w->fd = -1;
	if (ok && rename(w->tmp, w->path) != 0)
		ok = sg_error_set(err, SG_ERR_IO, "could not rename file \"%s\" to \"%s\": %s",
						  w->tmp, w->path, strerror(errno));
	if (!ok)
		return false;
	free(w->tmp);
	w->tmp = NULL;
	return sg_fsync_parent(w->path, err);
}

static void
lw_free(sg_store_writer *base)
{
	local_writer *w = (local_writer *) base;

	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp)
		unlink(w->tmp);
	free(w->tmp);
	free(w->path);
	EVP_MD_CTX_free(w->md5);
	EVP_MD_CTX_free(w->sha256);
	for (int i = 0; i < w->nmeta; i++)
	{
		free(w->meta_name[i]);
		free(w->meta_value[i]);
	}
	free(w);
}

static int64_t
lw_bytes(const sg_store_writer *base)
{
	return ((const local_writer *) base)->bytes;
}

static const char *
lw_sha256(const sg_store_writer *base)
{
	return ((const local_writer *) base)->sha256_hex;
}

static const sg_store_writer_ops local_writer_ops = {
	lw_write, lw_finish, lw_free, lw_bytes, lw_sha256
};

/* the temporary file next to path: <dir>/.sgbackup-tmp-<pid>-<n>-<name> */
static char *
tmp_path_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	sg_buf		b;

	sg_buf_init(&b);
	sg_buf_printf(&b, "%.*s/" TMP_MARK "%d-%lu-%s", (int) (slash - path), path,
				  (int) getpid(), __atomic_add_fetch(&tmp_counter, 1, __ATOMIC_RELAXED),
				  slash + 1);
	return b.data;
}

static sg_store_writer *
local_writer_open(sg_store *st, const char *key, const sg_store_meta *meta,
				  int nmeta, const sg_store_writer_options *options, sg_error *err)
{
	local_store *ls = (local_store *) st;
	local_writer *w;

	if (!check_key(key, false, err))
		return NULL;
	if (nmeta > SG_STORE_MAX_META)
	{
		sg_error_set(err, SG_ERR_INTERNAL, "too many metadata fields (%d)", nmeta);
		return NULL;
	}
	w = sg_malloc(sizeof(*w));
	memset(w, 0, sizeof(*w));
	w->base.ops = &local_writer_ops;
	w->fd = -1;
	w->path = path_of(ls, key);
	w->tmp = tmp_path_of(w->path);
	for (int i = 0; i < nmeta; i++)
	{
		w->meta_name[i] = sg_strdup(meta[i].name);
		w->meta_value[i] = sg_strdup(meta[i].value);
	}
	w->nmeta = nmeta;
	w->md5 = digest_new(EVP_md5());
	w->sha256 = digest_new(EVP_sha256());
	if (w->md5 == NULL || w->sha256 == NULL)
		sg_error_set(err, SG_ERR_INTERNAL, "could not initialize a digest");
	/* twice: a delete may remove an emptied directory in between */
	for (int attempt = 0; w->md5 && w->sha256 && w->fd < 0 && attempt < 2; attempt++)
	{
		if (!make_parents(ls, w->path, err))
			break;
		w->fd = open(w->tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
		if (w->fd < 0 && (errno != ENOENT || attempt == 1))
			io_error(err, "create file", w->tmp);
	}
	if (w->fd >= 0)
		return &w->base;
	free(w->tmp);
	w->tmp = NULL;
	lw_free(&w->base);
	return NULL;
}

static bool
local_put(sg_store *st, const char *key, const void *data, size_t len,
		  const sg_store_meta *meta, int nmeta, sg_error *err)
{
	sg_store_writer *w = local_writer_open(st, key, meta, nmeta, NULL, err);
	bool		ok;

	if (w == NULL)
		return false;
	ok = lw_write(w, data, len, err) && lw_finish(w, err);
	lw_free(w);
	return ok;
}

/* ---------------------------------------------------------------- */
/* listing */

typedef struct found
{
	char	   *key;
	int64_t		size;
	char		modified[32];
} found;

typedef struct walk
{
	found	   *items;
	size_t		n;
	size_t		cap;
	bool		temporary;		/* collect temporary files instead of objects */
} walk;

/*
 * Add the files under directory dir (key prefix rel, "" or ending in '/')
 * whose names start with part (at this level only)
 */
static bool
walk_dir(walk *wk, const char *dir, const char *rel, const char *part, sg_error *err)
{
	DIR		   *d = opendir(dir);
	struct dirent *de;
	bool		ok = true;

	if (d == NULL)
		return errno == ENOENT || errno == ENOTDIR ? true : io_error(err, "open directory", dir);
	while (ok && (errno = 0, de = readdir(d)) != NULL)
	{
		const char *name = de->d_name;
		struct stat st;
		sg_buf		path,
					key;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
			strncmp(name, part, strlen(part)) != 0)
			continue;
		sg_buf_init(&path);
		sg_buf_init(&key);
		sg_buf_printf(&path, "%s/%s", dir, name);
		sg_buf_printf(&key, "%s%s", rel, name);
		if (lstat(path.data, &st) != 0)
			ok = errno == ENOENT ? true : io_error(err, "stat file", path.data);
		else if (S_ISDIR(st.st_mode))
		{
			sg_buf_append_str(&key, "/");
			ok = walk_dir(wk, path.data, key.data, "", err);
		}
		else if (S_ISREG(st.st_mode) && is_tmp_name(name) == wk->temporary)
		{
			wk->items = sg_array_grow(wk->items, sizeof(found), wk->n, &wk->cap, 64);
			wk->items[wk->n].key = wk->temporary ? sg_strdup(path.data) : key.data;
			wk->items[wk->n].size = st.st_size;
			format_mtime(wk->items[wk->n].modified, sizeof(wk->items[wk->n].modified), &st);
			wk->n++;
			if (!wk->temporary)
				key.data = NULL;	/* kept */
		}
		sg_buf_free(&path);
		sg_buf_free(&key);
	}
	if (ok && errno != 0)
		ok = io_error(err, "read directory", dir);
	closedir(d);
	return ok;
}

static int
found_cmp(const void *a, const void *b)
{
	return strcmp(((const found *) a)->key, ((const found *) b)->key);
}

static void
walk_free(walk *wk)
{
	for (size_t i = 0; i < wk->n; i++)
		free(wk->items[i].key);
	free(wk->items);
}

/* every file under prefix (objects, or temporary files), sorted */
static bool
walk_prefix(local_store *ls, const char *prefix, walk *wk, sg_error *err)
{
	const char *slash = strrchr(prefix, '/');
	size_t		dirlen = slash ? (size_t) (slash - prefix + 1) : 0;
	char	   *rel = sg_malloc(dirlen + 1);
	char	   *dir;
	bool		ok;

	memcpy(rel, prefix, dirlen);
	rel[dirlen] = '\0';
	dir = path_of(ls, rel);
	if (dirlen > 0)
		dir[strlen(dir) - 1] = '\0';	/* the trailing '/' */
	else
		dir[strlen(ls->root)] = '\0';
	ok = walk_dir(wk, dir, rel, prefix + dirlen, err);
	free(dir);
	free(rel);
	if (ok)
		qsort(wk->items, wk->n, sizeof(found), found_cmp);
	return ok;
}

static bool
local_list(sg_store *st, const char *prefix, const char *start_after,
		   sg_store_list_fn fn, void *arg, sg_error *err)
{
	walk		wk = {0};
	bool		ok;

	if (!check_key(prefix, true, err))
		return false;
	ok = walk_prefix((local_store *) st, prefix, &wk, err);
	for (size_t i = 0; ok && i < wk.n; i++)
	{
		sg_store_entry e = {wk.items[i].key, wk.items[i].size, wk.items[i].modified};

		if (start_after && strcmp(e.key, start_after) <= 0)
			continue;
		if (!fn(arg, &e))
			break;
	}
	walk_free(&wk);
	return ok;
}

/* ---------------------------------------------------------------- */
/* deleting */

/* remove the directories above path that are now empty, up to the root */
static void
remove_empty_parents(const local_store *ls, char *path)
{
	char	   *slash;

	while ((slash = strrchr(path, '/')) != NULL &&
		   (size_t) (slash - path) > strlen(ls->root))
	{
		*slash = '\0';
		if (rmdir(path) != 0)
			break;
	}
}

static bool
local_delete(sg_store *st, const char *const *keys, int nkeys, sg_error *err)
{
	local_store *ls = (local_store *) st;
	bool		ok = true;

	for (int i = 0; ok && i < nkeys; i++)
	{
		char	   *path;

		if (!check_key(keys[i], false, err))
			return false;
		path = path_of(ls, keys[i]);
		if (unlink(path) == 0)
		{
			ok = sg_fsync_parent(path, err);
			remove_empty_parents(ls, path);
		}
		else if (errno != ENOENT && errno != ENOTDIR)
			ok = io_error(err, "remove file", path);
		free(path);
	}
	return ok;
}

static bool
local_abort_stale(sg_store *st, const char *prefix, int *aborted, sg_error *err)
{
	walk		wk = {.temporary = true};
	bool		ok;

	if (!check_key(prefix, true, err))
		return false;
	ok = walk_prefix((local_store *) st, prefix, &wk, err);
	for (size_t i = 0; ok && i < wk.n; i++)
	{
		if (unlink(wk.items[i].key) == 0)
			(*aborted)++;
		else if (errno != ENOENT)
			ok = io_error(err, "remove file", wk.items[i].key);
	}
	walk_free(&wk);
	return ok;
}

static void
local_free(sg_store *st)
{
	free(((local_store *) st)->root);
	free(st);
}

static const sg_store_ops local_store_ops = {
	local_put, local_get, local_get_stream, local_get_range, local_head,
	local_list, local_delete, local_writer_open, local_abort_stale, local_free
};

sg_store *
sg_store_local_new(const char *root, sg_error *err)
{
	local_store *ls;
	struct stat st;
	size_t		len = strlen(root);
	sg_buf		text;

	if (root[0] != '/')
	{
		sg_error_set(err, SG_ERR_CONFIG, "repository path \"%s\" is not absolute", root);
		sg_error_hint(err, "Give the repository directory as an absolute path.");
		return NULL;
	}
	if (mkdir(root, 0700) != 0 && errno != EEXIST)
	{
		io_error(err, "create directory", root);
		return NULL;
	}
	if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode))
	{
		sg_error_set(err, SG_ERR_CONFIG, "repository path \"%s\" is not a directory", root);
		return NULL;
	}
	ls = sg_malloc(sizeof(*ls));
	memset(ls, 0, sizeof(*ls));
	ls->base.ops = &local_store_ops;
	while (len > 1 && root[len - 1] == '/')
		len--;
	ls->root = sg_malloc(len + 1);
	memcpy(ls->root, root, len);
	ls->root[len] = '\0';
	sg_buf_init(&text);
	sg_buf_printf(&text, "directory \"%s\"", ls->root);
	sg_store_set_description(&ls->base, text.data);
	return &ls->base;
}
