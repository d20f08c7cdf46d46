/*
 * wal_store.c - storing and fetching WAL files as objects "wal/<name>"
 * (see wal_store.h).  A push reads the file once, hashing and compressing
 * it as it goes, refuses to overwrite a different stored copy, and uploads
 * with metadata naming the compression, size and sha256 of the original.
 * A fetch streams: the stored bytes are decompressed, hashed and written to
 * a temporary file as they arrive, and decompression stops the moment the
 * content would pass the size the metadata promises; all three are checked
 * before the result is renamed into place.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "compress.h"
#include "pace.h"
#include "wal_store.h"

#define READ_CHUNK		(1024 * 1024)	/* bytes read from the WAL file at once */
#define SHA256_HEX_LEN	64

#define META_COMPRESSION	"sgbackup-compression"
#define META_SIZE			"sgbackup-size"
#define META_SHA256			"sgbackup-sha256"

/* ---------------------------------------------------------------- */
/* names */

static bool
all_hex(const char *s, size_t n)
{
	/* upper case only, as PostgreSQL writes WAL file names */
	return strspn(s, "0123456789ABCDEF") >= n;
}

bool
wal_name_valid(const char *name)
{
	size_t		len = strlen(name);

	if (len == 24)
		return all_hex(name, 24);
	if (len == 16 && strcmp(name + 8, ".history") == 0)
		return all_hex(name, 8);
	if (len == 32 && strcmp(name + 24, ".partial") == 0)
		return all_hex(name, 24);
	if (len == 40 && strcmp(name + 33, ".backup") == 0)
		return all_hex(name, 24) && name[24] == '.' && all_hex(name + 25, 8);
	return false;
}

static bool
check_name(const char *name, sg_error *err)
{
	if (wal_name_valid(name))
		return true;
	sg_error_set(err, SG_ERR_CONFIG, "invalid WAL file name \"%s\"", name);
	sg_error_hint(err, "A WAL file name is 24 upper case hexadecimal digits, "
				  "optionally followed by \".partial\" or by \".\", 8 hexadecimal digits and \".backup\", "
				  "or 8 hexadecimal digits followed by \".history\".");
	return false;
}

static void
wal_key(char *key, size_t size, const char *name)
{
	snprintf(key, size, "wal/%s", name);
}

/* ---------------------------------------------------------------- */
/* sha256 */

static EVP_MD_CTX *
sha256_new(sg_error *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
	{
		EVP_MD_CTX_free(md);
		sg_error_set(err, SG_ERR_INTERNAL, "could not initialize sha256");
		return NULL;
	}
	return md;
}

/* finish md into 64 lower case hex digits plus NUL */
static bool
sha256_hex(EVP_MD_CTX *md, char *hex, sg_error *err)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(md, digest, &n) != 1 || n != 32)
		return sg_error_set(err, SG_ERR_INTERNAL, "could not compute sha256");
	for (unsigned int i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	return true;
}

/* ---------------------------------------------------------------- */
/* push */

/* the original file's size, hash and compressed bytes */
typedef struct wal_image
{
	int64_t		size;
	char		sha256[SHA256_HEX_LEN + 1];
	sg_buf		stored;
} wal_image;

static bool
read_loop(int fd, const char *path, sg_compressor *comp, EVP_MD_CTX *md,
		  wal_image *img, sg_error *err)
{
	char	   *chunk = sg_malloc(READ_CHUNK);
	int64_t		total = 0;
	bool		ok = true;

	for (;;)
	{
		ssize_t		n = read(fd, chunk, READ_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
		{
			ok = sg_error_set(err, SG_ERR_IO, "could not read file \"%s\": %s",
							  path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		total += n;
		if (total > img->size)
			break;
		sg_read_pace((size_t) n);	/* sgbackup.max_disk_bandwidth */
		if (EVP_DigestUpdate(md, chunk, (size_t) n) != 1)
		{
			ok = sg_error_set(err, SG_ERR_INTERNAL, "could not compute sha256");
			break;
		}
		if (!(ok = sg_compressor_feed(comp, chunk, (size_t) n, &img->stored, err)))
			break;
	}
	free(chunk);
	if (ok && total != img->size)
	{
		sg_error_set(err, SG_ERR_IO, "file \"%s\" changed size while being read", path);
		if (total > img->size)
			sg_error_detail(err, "It had %" PRId64 " bytes when opened, but %" PRId64 " bytes or more could be read.",
							img->size, total);
		else
			sg_error_detail(err, "It had %" PRId64 " bytes when opened, but only %" PRId64 " bytes could be read.",
							img->size, total);
		return false;
	}
	return ok;
}

/* read, hash and compress the whole file at path */
static bool
wal_read(const char *path, sg_compression method, int level, wal_image *img,
		 sg_error *err)
{
	struct stat st;
	sg_compressor *comp = NULL;
	EVP_MD_CTX *md = NULL;
	bool		ok = false;
	int			fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sg_error_set(err, SG_ERR_IO, "could not open file \"%s\": %s",
							path, strerror(errno));
	if (fstat(fd, &st) != 0)
	{
		sg_error_set(err, SG_ERR_IO, "could not stat file \"%s\": %s",
					 path, strerror(errno));
		goto done;
	}
	img->size = st.st_size;
	sg_buf_reserve(&img->stored, method == SG_COMPRESSION_NONE ?
				   (size_t) st.st_size : (size_t) st.st_size / 2);
	if ((comp = sg_compressor_new(method, level, err)) == NULL ||
		!sg_compressor_pledge(comp, img->size, err) ||
		(md = sha256_new(err)) == NULL ||
		!read_loop(fd, path, comp, md, img, err) ||
		!sg_compressor_finish(comp, &img->stored, err) ||
		!sha256_hex(md, img->sha256, err))
		goto done;
	ok = true;
done:
	EVP_MD_CTX_free(md);
	sg_compressor_free(comp);
	close(fd);
	return ok;
}

/*
 * An object is already stored under the name: identical content is
 * success, anything else a conflict.
 */
static bool
check_existing(const char *name, const sg_store_info *info,
			   const wal_image *img, wal_push_result *result, sg_error *err)
{
	const char *sha = sg_store_info_meta(info, META_SHA256);
	const char *size = sg_store_info_meta(info, META_SIZE);

	if (sha && size && strcasecmp(sha, img->sha256) == 0 &&
		strtoll(size, NULL, 10) == img->size)
	{
		result->outcome = WAL_PUSH_ALREADY_STORED;
		result->stored_bytes = info->size;
		return true;
	}
	sg_error_set(err, SG_ERR_CONFLICT,
				 "WAL file \"%s\" is already stored with different content", name);
	sg_error_detail(err, "The stored object has sha256 %s and size %s; "
					"the file to archive has sha256 %s and size %" PRId64 ".",
					sha ? sha : "(missing)", size ? size : "(missing)",
					img->sha256, img->size);
	sg_error_hint(err, "Another server may be archiving into the same bucket and prefix; "
				  "give each cluster its own prefix.");
	return false;
}

bool
wal_push(sg_store *st, const char *path, const char *name,
		 sg_compression method, int level,
		 wal_push_result *result, sg_error *err)
{
	wal_push_result dummy;
	wal_image	img;
	sg_store_info info;
	char		key[64];
	char		size_text[32];
	bool		ok = false;
	int			rc;

	if (result == NULL)
		result = &dummy;
	memset(result, 0, sizeof(*result));
	memset(&info, 0, sizeof(info));
	if (!check_name(name, err))
		return false;
	wal_key(key, sizeof(key), name);

	memset(&img, 0, sizeof(img));
	sg_buf_init(&img.stored);
	if (!wal_read(path, method, level, &img, err))
		goto done;
	result->original_bytes = img.size;

	if ((rc = sg_store_head(st, key, &info, err)) < 0)
		goto done;
	if (rc == 1)
	{
		ok = check_existing(name, &info, &img, result, err);
		goto done;
	}

	snprintf(size_text, sizeof(size_text), "%" PRId64, img.size);
	{
		sg_store_meta meta[3] = {
			{META_COMPRESSION, sg_compression_name(method)},
			{META_SIZE, size_text},
			{META_SHA256, img.sha256},
		};

		if (!sg_store_put(st, key, img.stored.data, img.stored.len, meta, 3, err))
			goto done;
	}
	result->outcome = WAL_PUSH_STORED;
	result->stored_bytes = (int64_t) img.stored.len;
	ok = true;
done:
	sg_store_info_free(&info);
	sg_buf_free(&img.stored);
	return ok;
}

/* ---------------------------------------------------------------- */
/* fetch */

/*
 * The largest content a stored WAL file may claim: PostgreSQL's largest
 * segment for segments and .partial files, and far more than any .history
 * or .backup file holds for those.
 */
#define SEGMENT_MAX		((int64_t) 1 << 30)
#define SMALL_FILE_MAX	((int64_t) 16 << 20)

static const char *const hint_replaced =
"The object was damaged or replaced, or was not stored by sgbackup.";

/* what a stored object's metadata promises */
typedef struct wal_expect
{
	sg_compression method;
	int64_t		size;
	const char *sha256;
} wal_expect;

static bool
read_meta(const char *name, const sg_store_info *info, wal_expect *exp,
		  sg_error *err)
{
	const char *comp = sg_store_info_meta(info, META_COMPRESSION);
	const char *size = sg_store_info_meta(info, META_SIZE);
	char	   *end = NULL;

	exp->sha256 = sg_store_info_meta(info, META_SHA256);
	if (comp && size && exp->sha256 && sg_compression_parse(comp, &exp->method))
	{
		errno = 0;
		exp->size = strtoll(size, &end, 10);
		if (errno == 0 && end != size && *end == '\0' && exp->size >= 0 &&
			strlen(exp->sha256) == SHA256_HEX_LEN)
			return true;
	}
	sg_error_set(err, SG_ERR_CORRUPT,
				 "stored WAL file \"%s\" lacks valid sgbackup metadata", name);
	sg_error_detail(err, "Metadata: %s=%s, %s=%s, %s=%s.",
					META_COMPRESSION, comp ? comp : "(missing)",
					META_SIZE, size ? size : "(missing)",
					META_SHA256, exp->sha256 ? exp->sha256 : "(missing)");
	sg_error_hint(err, "The object was not stored by sgbackup, or its metadata was lost in a copy.");
	return false;
}

/* the largest content a WAL file of this name may have */
static int64_t
size_cap(const char *name)
{
	size_t		len = strlen(name);

	if (len > 8 && (strcmp(name + len - 8, ".history") == 0 ||
					strcmp(name + len - 7, ".backup") == 0))
		return SMALL_FILE_MAX;
	return SEGMENT_MAX;
}

/* refuse, before reading any content, a size larger than max_size */
static bool
check_size(const char *name, const wal_expect *exp, int64_t max_size,
		   sg_error *err)
{
	if (exp->size <= max_size)
		return true;
	sg_error_set(err, SG_ERR_CORRUPT,
				 "stored WAL file \"%s\" is larger than %" PRId64 " bytes", name, max_size);
	sg_error_detail(err, "Its metadata says %" PRId64 " bytes.", exp->size);
	sg_error_hint(err, "%s", hint_replaced);
	return false;
}

/*
 * Where fetched content goes: memory, or a temporary file next to dest
 * that becomes dest only once the content is verified.
 */
typedef struct wal_sink
{
	sg_buf	   *mem;			/* when non-NULL, content goes here */
	const char *dest;
	char	   *tmp;			/* dest.sgbackup.tmp while it exists */
	int			fd;				/* of tmp */
} wal_sink;

static bool
sink_open(wal_sink *sink, sg_error *err)
{
	if (sink->mem)
	{
		sg_buf_reset(sink->mem);
		return true;
	}
	sink->tmp = sg_malloc(strlen(sink->dest) + sizeof(".sgbackup.tmp"));
	sprintf(sink->tmp, "%s.sgbackup.tmp", sink->dest);
	sink->fd = open(sink->tmp, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
	if (sink->fd >= 0)
		return true;
	sg_error_set(err, SG_ERR_IO, "could not create file \"%s\": %s",
				 sink->tmp, strerror(errno));
	free(sink->tmp);
	sink->tmp = NULL;
	return false;
}

static bool
sink_write(wal_sink *sink, const char *data, size_t len, sg_error *err)
{
	if (sink->mem)
	{
		sg_buf_append(sink->mem, data, len);
		return true;
	}
	return sg_write_all(sink->fd, data, len, sink->tmp, err);
}

/* the content is verified: fsync the temporary file, rename it over dest */
static bool
sink_commit(wal_sink *sink, sg_error *err)
{
	int			fd = sink->fd;

	if (sink->mem)
		return true;
	sink->fd = -1;
	if (fsync(fd) != 0)
	{
		sg_error_set(err, SG_ERR_IO, "could not fsync file \"%s\": %s",
					 sink->tmp, strerror(errno));
		close(fd);
		return false;
	}
	if (close(fd) != 0)
		return sg_error_set(err, SG_ERR_IO, "could not close file \"%s\": %s",
							sink->tmp, strerror(errno));
	if (rename(sink->tmp, sink->dest) != 0)
		return sg_error_set(err, SG_ERR_IO, "could not rename file \"%s\" to \"%s\": %s",
							sink->tmp, sink->dest, strerror(errno));
	free(sink->tmp);
	sink->tmp = NULL;
	return sg_fsync_parent(sink->dest, err);
}

/* after a failure: no temporary file and no partial content remain */
static void
sink_discard(wal_sink *sink)
{
	if (sink->mem)
		sg_buf_reset(sink->mem);
	if (sink->fd >= 0)
		close(sink->fd);
	sink->fd = -1;
	if (sink->tmp)
		unlink(sink->tmp);
	free(sink->tmp);
	sink->tmp = NULL;
}

/* a fetch under way: stored bytes in, content out to the sink */
typedef struct wal_download
{
	const char *name;
	int64_t		max_size;		/* the largest content accepted */
	wal_sink   *sink;
	const sg_store_info *info; /* filled before the first byte arrives */
	bool		started;		/* download_start ran */
	wal_expect	exp;
	sg_decompressor *d;
	EVP_MD_CTX *md;
	int64_t		total;			/* content bytes so far */
	bool		stopped;		/* receive refused the data, for the reason in err */
	sg_error	err;
} wal_download;

/* the first bytes came: read the metadata, get ready for the content */
static bool
download_start(wal_download *dl, sg_error *err)
{
	dl->started = true;
	return read_meta(dl->name, dl->info, &dl->exp, err) &&
		check_size(dl->name, &dl->exp, dl->max_size, err) &&
		(dl->d = sg_decompressor_new(dl->exp.method, dl->exp.size, err)) != NULL &&
		(dl->md = sha256_new(err)) != NULL &&
		sink_open(dl->sink, err);
}

/* a piece of content: hash it and write it */
static bool
put_content(void *arg, const void *data, size_t len, sg_error *err)
{
	wal_download *dl = arg;

	if (EVP_DigestUpdate(dl->md, data, len) != 1)
		return sg_error_set(err, SG_ERR_INTERNAL, "could not compute sha256");
	dl->total += (int64_t) len;
	return sink_write(dl->sink, data, len, err);
}

/* say which file failed to decompress, and why */
static void
decompress_failed(const wal_download *dl, sg_error *err)
{
	char		why[sizeof(err->msg)];

	if (err->kind != SG_ERR_CORRUPT)
		return;					/* writing or hashing failed: err says so */
	if (sg_decompressor_over_limit(dl->d))
	{
		sg_error_set(err, SG_ERR_CORRUPT,
					 "stored WAL file \"%s\" is larger than its metadata says", dl->name);
		sg_error_detail(err, "It decompresses to more than %" PRId64 " bytes, the size in its metadata; "
						"decompression stopped there.", dl->exp.size);
		sg_error_hint(err, "%s", hint_replaced);
		return;
	}
	snprintf(why, sizeof(why), "%s", err->msg);
	sg_error_set(err, SG_ERR_CORRUPT, "stored WAL file \"%s\" is corrupt", dl->name);
	sg_error_detail(err, "Decompressing it failed: %s.", why);
}

/* sg_store_write_fn: decompress, hash and write the stored bytes as they arrive */
static bool
receive(void *arg, const void *data, size_t len)
{
	wal_download *dl = arg;

	if (!dl->started && !download_start(dl, &dl->err))
		dl->stopped = true;
	else if (!sg_decompressor_feed(dl->d, data, len, put_content, dl, &dl->err))
	{
		decompress_failed(dl, &dl->err);
		dl->stopped = true;
	}
	return !dl->stopped;
}

/* all stored bytes came: the frame must end with the promised size and hash */
static bool
download_finish(wal_download *dl, sg_error *err)
{
	char		sha[SHA256_HEX_LEN + 1];

	if (!dl->started && !download_start(dl, err))
		return false;			/* an empty object */
	if (!sg_decompressor_finish(dl->d, err))
	{
		decompress_failed(dl, err);
		return false;
	}
	if (dl->total != dl->exp.size)
	{
		sg_error_set(err, SG_ERR_CORRUPT,
					 "stored WAL file \"%s\" has the wrong size", dl->name);
		sg_error_detail(err, "It decompresses to %" PRId64 " bytes; its metadata says %" PRId64 ".",
						dl->total, dl->exp.size);
		return false;
	}
	if (!sha256_hex(dl->md, sha, err))
		return false;
	if (strcasecmp(sha, dl->exp.sha256) != 0)
	{
		sg_error_set(err, SG_ERR_CORRUPT,
					 "stored WAL file \"%s\" fails its sha256 check", dl->name);
		sg_error_detail(err, "Its content has sha256 %s; its metadata says %s.",
						sha, dl->exp.sha256);
		return false;
	}
	return true;
}

/*
 * GET wal/<name> into sink, verified, holding no more than a piece of it
 * in memory.  Returns 1, 0 when not stored, -1 on any other error; on
 * anything but 1 the sink is left as it was.
 */
static int
fetch_into(sg_store *st, const char *name, int64_t max_size, wal_sink *sink,
		   sg_error *err)
{
	wal_download dl;
	sg_store_info info;
	char		key[64];
	int			rc = -1;

	memset(&dl, 0, sizeof(dl));
	memset(&info, 0, sizeof(info));
	dl.name = name;
	dl.max_size = max_size;
	dl.sink = sink;
	dl.info = &info;
	wal_key(key, sizeof(key), name);
	if (sg_store_get_stream(st, key, receive, &dl, &info, err))
	{
		if (download_finish(&dl, err) && sink_commit(sink, err))
			rc = 1;
	}
	else if (dl.stopped)
		*err = dl.err;			/* the transfer's own message says less */
	else if (err->kind == SG_ERR_NOT_FOUND)
	{
		sg_error_set(err, SG_ERR_NOT_FOUND, "WAL file \"%s\" is not in storage", name);
		rc = 0;
	}
	if (rc != 1)
		sink_discard(sink);
	EVP_MD_CTX_free(dl.md);
	sg_decompressor_free(dl.d);
	sg_store_info_free(&info);
	return rc;
}

int
wal_fetch(sg_store *st, const char *name, const char *dest, sg_error *err)
{
	wal_sink	sink = {NULL, dest, NULL, -1};

	if (!check_name(name, err))
		return -1;
	return fetch_into(st, name, size_cap(name), &sink, err);
}

int
wal_fetch_mem(sg_store *st, const char *name, size_t max_bytes, sg_buf *out,
			  sg_error *err)
{
	wal_sink	sink = {out, NULL, NULL, -1};
	int64_t		max_size = size_cap(name);

	if (!check_name(name, err))
		return -1;
	sg_buf_reset(out);
	if ((uint64_t) max_bytes < (uint64_t) max_size)
		max_size = (int64_t) max_bytes;
	return fetch_into(st, name, max_size, &sink, err);
}

static bool
add_listed(void *arg, const sg_store_entry *e)
{
	wal_listing *l = arg;
	const char *name = strncmp(e->key, "wal/", 4) == 0 ? e->key + 4 : e->key;

	l->names = sg_array_grow(l->names, sizeof(char *), l->n, &l->cap, 256);
	l->names[l->n++] = sg_strdup(name);
	if (e->last_modified && strcmp(e->last_modified, l->newest_time) > 0)
		snprintf(l->newest_time, sizeof(l->newest_time), "%s", e->last_modified);
	return true;
}

bool
wal_list(sg_store *st, wal_listing *out, sg_error *err)
{
	memset(out, 0, sizeof(*out));
	return sg_store_list(st, "wal/", NULL, add_listed, out, err);
}

void
wal_listing_free(wal_listing *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	memset(l, 0, sizeof(*l));
}

int
wal_fetch_history(sg_store *st, uint32_t tli, timeline_history *out, sg_error *err)
{
	char		name[32];
	sg_buf		text;
	int			rc;

	snprintf(name, sizeof(name), "%08X.history", tli);
	sg_buf_init(&text);
	rc = wal_fetch_mem(st, name, WAL_HISTORY_MAX_BYTES, &text, err);
	if (rc == 1 && !timeline_history_parse(text.data, text.len, tli, out, err))
		rc = -1;
	sg_buf_free(&text);
	return rc;
}
