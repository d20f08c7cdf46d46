/*
 * walstore.c - storing and fetching WAL files as objects "wal/<name>"
 * (see walstore.h).  A push reads the file once, hashing and compressing
 * it as it goes, refuses to overwrite a different stored copy, and uploads
 * with metadata naming the compression, size and sha256 of the original.
 * A fetch verifies all three before renaming the result into place.
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
#include "walstore.h"

#define READ_CHUNK		(1024 * 1024)	/* bytes read from the WAL file at once */
#define FETCH_CHUNK		(64 * 1024) /* compressed bytes decompressed at once */
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
check_existing(const char *name, const s3_object_info *info,
			   const wal_image *img, wal_push_result *result, sg_error *err)
{
	const char *sha = s3_object_info_meta(info, META_SHA256);
	const char *size = s3_object_info_meta(info, META_SIZE);

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
wal_push(s3_client *c, const char *path, const char *name,
		 sg_compression method, int level,
		 wal_push_result *result, sg_error *err)
{
	wal_push_result dummy;
	wal_image	img;
	s3_object_info info;
	char		key[64];
	char		size_text[32];
	bool		ok = false;

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

	if (!s3_head_object(c, key, &info, err))
		goto done;
	if (info.exists)
	{
		ok = check_existing(name, &info, &img, result, err);
		goto done;
	}

	snprintf(size_text, sizeof(size_text), "%" PRId64, img.size);
	{
		s3_meta		meta[3] = {
			{META_COMPRESSION, sg_compression_name(method)},
			{META_SIZE, size_text},
			{META_SHA256, img.sha256},
		};

		if (!s3_put_object(c, key, img.stored.data, img.stored.len, meta, 3, err))
			goto done;
	}
	result->outcome = WAL_PUSH_STORED;
	result->stored_bytes = (int64_t) img.stored.len;
	ok = true;
done:
	s3_object_info_free(&info);
	sg_buf_free(&img.stored);
	return ok;
}

/* ---------------------------------------------------------------- */
/* fetch */

/* what a stored object's metadata promises */
typedef struct wal_expect
{
	sg_compression method;
	int64_t		size;
	const char *sha256;
} wal_expect;

static bool
read_meta(const char *name, const s3_object_info *info, wal_expect *exp,
		  sg_error *err)
{
	const char *comp = s3_object_info_meta(info, META_COMPRESSION);
	const char *size = s3_object_info_meta(info, META_SIZE);
	char	   *end = NULL;

	exp->sha256 = s3_object_info_meta(info, META_SHA256);
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

static bool
write_all(int fd, const char *data, size_t len, const char *path, sg_error *err)
{
	while (len > 0)
	{
		ssize_t		n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sg_error_set(err, SG_ERR_IO, "could not write file \"%s\": %s",
								path, strerror(errno));
		data += n;
		len -= (size_t) n;
	}
	return true;
}

/* where decompressed content goes: a file, or memory */
typedef struct wal_sink
{
	int			fd;				/* -1: append to mem */
	const char *path;			/* of fd, for messages */
	sg_buf	   *mem;
} wal_sink;

static bool
sink_write(wal_sink *sink, const char *data, size_t len, sg_error *err)
{
	if (sink->fd >= 0)
		return write_all(sink->fd, data, len, sink->path, err);
	sg_buf_append(sink->mem, data, len);
	return true;
}

/* decompress the stored bytes into sink, checking them against exp */
static bool
decompress_to(const char *name, const sg_buf *stored, const wal_expect *exp,
			  wal_sink *sink, sg_error *err)
{
	sg_decompressor *d = sg_decompressor_new(exp->method, err);
	EVP_MD_CTX *md = NULL;
	sg_buf		plain;
	int64_t		total = 0;
	char		sha[SHA256_HEX_LEN + 1];
	bool		ok = false;

	sg_buf_init(&plain);
	if (d == NULL || (md = sha256_new(err)) == NULL)
		goto done;
	for (size_t pos = 0; pos < stored->len; pos += FETCH_CHUNK)
	{
		size_t		n = stored->len - pos < FETCH_CHUNK ? stored->len - pos : FETCH_CHUNK;

		sg_buf_reset(&plain);
		if (!sg_decompressor_feed(d, stored->data + pos, n, &plain, err))
			goto corrupt;
		total += (int64_t) plain.len;
		if (total > exp->size)
			break;
		if (EVP_DigestUpdate(md, plain.data, plain.len) != 1)
		{
			sg_error_set(err, SG_ERR_INTERNAL, "could not compute sha256");
			goto done;
		}
		if (!sink_write(sink, plain.data, plain.len, err))
			goto done;
	}
	if (total <= exp->size && !sg_decompressor_finish(d, err))
		goto corrupt;
	if (total != exp->size)
	{
		sg_error_set(err, SG_ERR_CORRUPT,
					 "stored WAL file \"%s\" has the wrong size", name);
		sg_error_detail(err, "It decompresses to %s%" PRId64 " bytes; its metadata says %" PRId64 ".",
						total > exp->size ? "more than " : "", total, exp->size);
		goto done;
	}
	if (!sha256_hex(md, sha, err))
		goto done;
	if (strcasecmp(sha, exp->sha256) != 0)
	{
		sg_error_set(err, SG_ERR_CORRUPT,
					 "stored WAL file \"%s\" fails its sha256 check", name);
		sg_error_detail(err, "Its content has sha256 %s; its metadata says %s.",
						sha, exp->sha256);
		goto done;
	}
	ok = true;
	goto done;
corrupt:
	{
		char		why[sizeof(err->msg)];

		snprintf(why, sizeof(why), "%s", err->msg);
		sg_error_set(err, SG_ERR_CORRUPT, "stored WAL file \"%s\" is corrupt", name);
		sg_error_detail(err, "Decompressing it failed: %s.", why);
	}
done:
	sg_buf_free(&plain);
	EVP_MD_CTX_free(md);
	sg_decompressor_free(d);
	return ok;
}

/* fsync the directory holding path */
static bool
fsync_parent(const char *path, sg_error *err)
{
	char	   *dir = sg_strdup(path);
	char	   *slash = strrchr(dir, '/');
	bool		ok = true;
	int			fd;

	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		ok = sg_error_set(err, SG_ERR_IO, "could not fsync directory \"%s\": %s",
						  dir, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(dir);
	return ok;
}

/* write the verified content to tmp, then rename it over dest */
static bool
write_dest(const char *name, const sg_buf *stored, const wal_expect *exp,
		   const char *dest, sg_error *err)
{
	char	   *tmp = sg_malloc(strlen(dest) + sizeof(".sgbackup.tmp"));
	wal_sink	sink = {-1, NULL, NULL};
	bool		ok = false;
	int			fd;

	sprintf(tmp, "%s.sgbackup.tmp", dest);
	fd = open(tmp, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
	{
		sg_error_set(err, SG_ERR_IO, "could not create file \"%s\": %s",
					 tmp, strerror(errno));
		free(tmp);
		return false;
	}
	sink.fd = fd;
	sink.path = tmp;
	if (decompress_to(name, stored, exp, &sink, err))
	{
		if (fsync(fd) != 0)
			sg_error_set(err, SG_ERR_IO, "could not fsync file \"%s\": %s",
						 tmp, strerror(errno));
		else
			ok = true;
	}
	if (close(fd) != 0 && ok)
		ok = sg_error_set(err, SG_ERR_IO, "could not close file \"%s\": %s",
						  tmp, strerror(errno));
	if (ok && rename(tmp, dest) != 0)
		ok = sg_error_set(err, SG_ERR_IO, "could not rename file \"%s\" to \"%s\": %s",
						  tmp, dest, strerror(errno));
	if (!ok)
		unlink(tmp);
	else
		ok = fsync_parent(dest, err);
	free(tmp);
	return ok;
}

int
wal_fetch(s3_client *c, const char *name, const char *dest, sg_error *err)
{
	s3_object_info info;
	sg_buf		stored;
	wal_expect	exp;
	char		key[64];
	int			rc = -1;

	if (!check_name(name, err))
		return -1;
	wal_key(key, sizeof(key), name);
	memset(&info, 0, sizeof(info));
	sg_buf_init(&stored);
	if (!s3_get_object(c, key, 0, 0, (size_t) 1 << 30, &stored, &info, err))
	{
		if (err->kind == SG_ERR_NOT_FOUND)
		{
			sg_error_set(err, SG_ERR_NOT_FOUND,
						 "WAL file \"%s\" is not in storage", name);
			rc = 0;
		}
	}
	else if (read_meta(name, &info, &exp, err) &&
			 write_dest(name, &stored, &exp, dest, err))
		rc = 1;
	s3_object_info_free(&info);
	sg_buf_free(&stored);
	return rc;
}

int
wal_fetch_mem(s3_client *c, const char *name, size_t max_bytes, sg_buf *out,
			  sg_error *err)
{
	s3_object_info info;
	sg_buf		stored;
	wal_expect	exp;
	wal_sink	sink = {-1, NULL, out};
	char		key[64];
	int			rc = -1;

	if (!check_name(name, err))
		return -1;
	wal_key(key, sizeof(key), name);
	memset(&info, 0, sizeof(info));
	sg_buf_init(&stored);
	sg_buf_reset(out);
	if (!s3_get_object(c, key, 0, 0, max_bytes, &stored, &info, err))
	{
		if (err->kind == SG_ERR_NOT_FOUND)
		{
			sg_error_set(err, SG_ERR_NOT_FOUND,
						 "WAL file \"%s\" is not in storage", name);
			rc = 0;
		}
	}
	else if (read_meta(name, &info, &exp, err))
	{
		if (exp.size > (int64_t) max_bytes)
		{
			sg_error_set(err, SG_ERR_CORRUPT,
						 "stored WAL file \"%s\" is larger than %zu bytes", name,
						 max_bytes);
			sg_error_detail(err, "Its metadata says %" PRId64 " bytes.", exp.size);
		}
		else if (decompress_to(name, &stored, &exp, &sink, err))
			rc = 1;
	}
	if (rc != 1)
		sg_buf_reset(out);
	s3_object_info_free(&info);
	sg_buf_free(&stored);
	return rc;
}
