/*
 * manifest.c - reading PostgreSQL's backup_manifest and checking files
 * against it (see manifest.h).
 *
 * The format is what PostgreSQL's src/backend/backup/backup_manifest.c
 * writes and src/common/parse_manifest.c (pg_verifybackup) reads: one JSON
 * object whose first field is "PostgreSQL-Backup-Manifest-Version" and
 * whose last, on a line of its own, is "Manifest-Checksum", the SHA-256 of
 * every byte before that line.  File checksums are the raw digest bytes in
 * hex; for CRC32C the bytes of the final uint32 as they lie in memory
 * (little-endian on the machines PostgreSQL runs on), as pg_checksum_final
 * copies them.
 *
 * json-c builds a tree of the whole text, and the tree takes several times
 * the text's size; a text with far more objects or values than a manifest
 * of its size could have is refused before json-c sees it, so hostile
 * input costs no more memory than a real manifest of the same size.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* memrchr */
#endif

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "backup_meta.h"
#include "crc32c.h"
#include "manifest.h"
#include "sg_buf.h"

#define VERSION_KEY		"PostgreSQL-Backup-Manifest-Version"
#define CHECKSUM_KEY	"Manifest-Checksum"

/* the manifest is three levels deep: top object, "Files" array, file */
#define JSON_MAX_DEPTH	8

/*
 * The shortest entries PostgreSQL writes take about 70 bytes an object and
 * 25 a value; text much denser than this is not a manifest.
 */
#define MIN_BYTES_PER_OBJECT	40
#define MIN_BYTES_PER_VALUE		10
#define DENSITY_SLACK			16

#define MAX_DIGEST_LEN	64		/* SHA-512 */

typedef enum manifest_algorithm
{
	ALG_NONE,
	ALG_CRC32C,
	ALG_SHA224,
	ALG_SHA256,
	ALG_SHA384,
	ALG_SHA512
} manifest_algorithm;

/* by manifest_algorithm: the name PostgreSQL writes, the digest length */
static const struct
{
	const char *name;
	int			len;
}			algorithms[] =
{
	{"NONE", 0},
	{"CRC32C", 4},
	{"SHA224", 28},
	{"SHA256", 32},
	{"SHA384", 48},
	{"SHA512", 64}
};

struct manifest_file
{
	char	   *path;
	int64_t		size;
	uint64_t	hash;			/* of path, for the table */
	uint8_t		algorithm;		/* manifest_algorithm */
	bool		seen;			/* set (atomically) by manifest_check_end */
	uint8_t		checksum[MAX_DIGEST_LEN];
};

typedef struct wal_range
{
	uint32_t	tli;
	uint64_t	start;
	uint64_t	end;
} wal_range;

struct backup_manifest
{
	int			version;
	uint64_t	system_identifier;
	manifest_file *files;
	int			nfiles;
	wal_range  *ranges;
	int			nranges;
	/* open addressing: indexes into files, -1 where free */
	int32_t    *slots;
	size_t		mask;			/* slots - 1, a power of two less one */
	uint64_t	seed;			/* random, so paths cannot be chosen to collide */
};

/* ---------------------------------------------------------------- */
/* errors and small helpers */

static bool
corrupt(sg_error *err, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

/* always false: "invalid backup manifest: ..." */
static bool
corrupt(sg_error *err, const char *fmt,...)
{
	va_list		ap;
	char		what[400];

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	sg_error_set(err, SG_ERR_CORRUPT, "invalid backup manifest: %s", what);
	sg_error_hint(err, "The backup_manifest of this backup is damaged or was not written by PostgreSQL; use another backup.");
	return false;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* hex (2 * n digits, either case) into n bytes */
static bool
hex_decode(const char *hex, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++)
	{
		int			hi = hex_digit(hex[2 * i]);
		int			lo = hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t) (hi << 4 | lo);
	}
	return true;
}

/* lower-case hex of n bytes; out has room for 2 * n + 1 */
static void
hex_encode(const uint8_t *data, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++)
	{
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 0xF];
	}
	out[2 * n] = '\0';
}

static const EVP_MD *
algorithm_md(manifest_algorithm a)
{
	switch (a)
	{
		case ALG_SHA224:
			return EVP_sha224();
		case ALG_SHA256:
			return EVP_sha256();
		case ALG_SHA384:
			return EVP_sha384();
		case ALG_SHA512:
			return EVP_sha512();
		case ALG_NONE:
		case ALG_CRC32C:
			break;
	}
	return NULL;
}

/* ---------------------------------------------------------------- */
/* the path table */

static uint64_t
path_hash(const backup_manifest *m, const char *path)
{
	uint64_t	h = 0xcbf29ce484222325ULL ^ m->seed;	/* FNV-1a */

	for (const unsigned char *p = (const unsigned char *) path; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	/* a final mix, so the low bits used for the slot depend on all */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static void
table_build(backup_manifest *m)
{
	size_t		nslots = 16;

	while (nslots < (size_t) m->nfiles * 2)
		nslots *= 2;
	m->slots = sg_malloc(nslots * sizeof(*m->slots));
	memset(m->slots, 0xFF, nslots * sizeof(*m->slots));	/* all -1 */
	m->mask = nslots - 1;
	if (RAND_bytes((unsigned char *) &m->seed, sizeof(m->seed)) != 1)
		m->seed = (uint64_t) (uintptr_t) m;
}

/* the slot holding path, or the free slot where it would go */
static size_t
table_slot(const backup_manifest *m, const char *path, uint64_t h)
{
	size_t		i = h & m->mask;

	while (m->slots[i] >= 0)
	{
		const manifest_file *f = &m->files[m->slots[i]];

		if (f->hash == h && strcmp(f->path, path) == 0)
			break;
		i = (i + 1) & m->mask;
	}
	return i;
}

/* ---------------------------------------------------------------- */
/* the text as a whole */

/*
 * Refuse text with many more objects or values than a manifest of its size
 * has, before json-c builds a tree of it (counting outside strings).
 */
static bool
check_density(const char *text, size_t len, sg_error *err)
{
	size_t		objects = 0;
	size_t		values = 0;
	bool		in_string = false;

	for (size_t i = 0; i < len; i++)
	{
		char		c = text[i];

		if (in_string)
		{
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
		}
		else if (c == '"')
			in_string = true;
		else if (c == '{')
			objects++;
		else if (c == ',' || c == '[')
			values++;
	}
	if (objects > len / MIN_BYTES_PER_OBJECT + DENSITY_SLACK ||
		values > len / MIN_BYTES_PER_VALUE + DENSITY_SLACK)
		return corrupt(err, "%zu objects and %zu values in %zu bytes are far more than a manifest has",
					   objects, values, len);
	return true;
}

static bool
all_space(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
	{
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	}
	return true;
}

static json_object *
parse_json(const char *text, size_t len, sg_error *err)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	json_object *root;
	enum json_tokener_error jerr;
	size_t		end;

	if (tok == NULL)
	{
		sg_error_set(err, SG_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, text, (int) len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (root == NULL && jerr == json_tokener_continue)
		corrupt(err, "the JSON text ends early (at byte %zu)", len);
	else if (root == NULL)
		corrupt(err, "bad JSON at byte %zu: %s", end,
				json_tokener_error_desc(jerr));
	else if (!all_space(text + end, len - end))
	{
		corrupt(err, "text follows the JSON object at byte %zu", end);
		json_object_put(root);
		root = NULL;
	}
	else if (!json_object_is_type(root, json_type_object))
	{
		corrupt(err, "the JSON text is not an object");
		json_object_put(root);
		root = NULL;
	}
	return root;
}

/*
 * The Manifest-Checksum: SHA-256 of the text up to and including the
 * newline before the last line (the one that holds the checksum), which
 * must end in a newline, as pg_verifybackup checks it.
 */
static bool
check_manifest_checksum(json_object *root, const char *text, size_t len,
						sg_error *err)
{
	struct json_object_iter it;
	json_object *v;
	const char *last_key = NULL;
	const char *hex;
	const char *newline;
	uint8_t		want[32];
	uint8_t		got[EVP_MAX_MD_SIZE];
	unsigned int got_len = 0;
	char		got_hex[65];

	json_object_object_foreachC(root, it)
	{
		last_key = it.key;
	}
	if (!json_object_object_get_ex(root, CHECKSUM_KEY, &v))
		return corrupt(err, "no \"%s\"", CHECKSUM_KEY);
	if (strcmp(last_key, CHECKSUM_KEY) != 0)
		return corrupt(err, "\"%s\" is not the last field", CHECKSUM_KEY);
	if (!json_object_is_type(v, json_type_string) ||
		json_object_get_string_len(v) != 64 ||
		!hex_decode(json_object_get_string(v), 32, want))
		return corrupt(err, "\"%s\" is not 64 hex digits", CHECKSUM_KEY);
	hex = json_object_get_string(v);

	if (text[len - 1] != '\n')
		return corrupt(err, "the last line does not end in a newline");
	newline = len > 1 ? memrchr(text, '\n', len - 1) : NULL;
	if (newline == NULL)
		return corrupt(err, "expected at least 2 lines");
	if (!EVP_Digest(text, newline + 1 - text, got, &got_len, EVP_sha256(), NULL))
		return sg_error_set(err, SG_ERR_INTERNAL,
							"could not compute the SHA-256 of the backup manifest");
	if (memcmp(got, want, sizeof(want)) != 0)
	{
		hex_encode(got, sizeof(want), got_hex);
		sg_error_set(err, SG_ERR_CORRUPT, "backup manifest checksum mismatch");
		sg_error_detail(err, "Its Manifest-Checksum is %s, but its text has SHA-256 %s.",
						hex, got_hex);
		sg_error_hint(err, "The backup_manifest of this backup is damaged; use another backup.");
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------- */
/* typed fields; "what" names the field for the error */

static bool
get_uint(json_object *v, const char *what, uint64_t max, uint64_t *out,
		 sg_error *err)
{
	uint64_t	u;

	if (!json_object_is_type(v, json_type_int))
		return corrupt(err, "%s is not an integer", what);
	if (json_object_get_int64(v) < 0)
		return corrupt(err, "%s is negative", what);
	/* json-c stops at UINT64_MAX for anything larger */
	u = json_object_get_uint64(v);
	if (u > max)
		return corrupt(err, "%s is out of range (at most %" PRIu64 ")", what, max);
	*out = u;
	return true;
}

static bool
get_string(json_object *v, const char *what, const char **out, sg_error *err)
{
	if (!json_object_is_type(v, json_type_string))
		return corrupt(err, "%s is not a string", what);
	*out = json_object_get_string(v);
	/* json-c allows \u0000 in strings; no field here may have one */
	if (strlen(*out) != (size_t) json_object_get_string_len(v))
		return corrupt(err, "%s contains a NUL character", what);
	return true;
}

static bool
get_lsn(json_object *v, const char *what, uint64_t *out, sg_error *err)
{
	const char *s;

	if (!get_string(v, what, &s, err))
		return false;
	if (!sg_parse_lsn(s, strlen(s), out))
		return corrupt(err, "%s \"%s\" is not an LSN like 0/2000028", what, s);
	return true;
}

/* ---------------------------------------------------------------- */
/* "Files" */

/* a relative path inside the data directory: no "/..." and no ".." */
static bool
is_relative_path(const char *p)
{
	if (*p == '\0' || *p == '/')
		return false;
	for (;;)
	{
		const char *slash = strchr(p, '/');
		size_t		n = slash ? (size_t) (slash - p) : strlen(p);

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return false;
		if (slash == NULL)
			return true;
		p = slash + 1;
	}
}

/* malloc'ed path of entry i, from "Path" or hex "Encoded-Path" */
static char *
file_path(json_object *entry, int i, sg_error *err)
{
	json_object *plain = NULL;
	json_object *encoded = NULL;
	const char *s;
	char		what[64];
	char	   *path;

	json_object_object_get_ex(entry, "Path", &plain);
	json_object_object_get_ex(entry, "Encoded-Path", &encoded);
	if (plain == NULL && encoded == NULL)
		return corrupt(err, "file entry %d has no \"Path\"", i + 1), NULL;
	if (plain != NULL && encoded != NULL)
		return corrupt(err, "file entry %d has both \"Path\" and \"Encoded-Path\"", i + 1), NULL;
	snprintf(what, sizeof(what), "\"%s\" of file entry %d",
			 plain ? "Path" : "Encoded-Path", i + 1);
	if (!get_string(plain ? plain : encoded, what, &s, err))
		return NULL;
	if (plain != NULL)
		path = sg_strdup(s);
	else
	{
		size_t		n = strlen(s) / 2;

		path = sg_malloc(n + 1);
		if (strlen(s) % 2 != 0 || !hex_decode(s, n, (uint8_t *) path) ||
			memchr(path, '\0', n) != NULL)
		{
			free(path);
			return corrupt(err, "%s is not a hex-encoded file name", what), NULL;
		}
		path[n] = '\0';
	}
	if (!is_relative_path(path))
	{
		corrupt(err, "file entry %d has path \"%s\", not one inside the data directory",
				i + 1, path);
		free(path);
		return NULL;
	}
	return path;
}

static bool
file_checksum(manifest_file *f, json_object *algorithm, json_object *checksum,
			  sg_error *err)
{
	const char *name = NULL;
	const char *hex = NULL;
	char		what[64 + 1024];
	int			a;

	snprintf(what, sizeof(what), "\"Checksum-Algorithm\" of file \"%s\"", f->path);
	if (algorithm != NULL && !get_string(algorithm, what, &name, err))
		return false;
	snprintf(what, sizeof(what), "\"Checksum\" of file \"%s\"", f->path);
	if (checksum != NULL && !get_string(checksum, what, &hex, err))
		return false;
	if (name == NULL)
		name = "NONE";
	for (a = 0; a < (int) (sizeof(algorithms) / sizeof(algorithms[0])); a++)
	{
		if (strcasecmp(name, algorithms[a].name) == 0)
			break;
	}
	if (a == (int) (sizeof(algorithms) / sizeof(algorithms[0])))
		return corrupt(err, "file \"%s\" has unknown checksum algorithm \"%s\"",
					   f->path, name);
	f->algorithm = (uint8_t) a;
	if (hex == NULL && a != ALG_NONE)
		return corrupt(err, "file \"%s\" has a checksum algorithm but no checksum",
					   f->path);
	if (hex != NULL && a == ALG_NONE)
		return corrupt(err, "file \"%s\" has a checksum but no algorithm", f->path);
	if (hex != NULL &&
		(strlen(hex) != 2 * (size_t) algorithms[a].len ||
		 !hex_decode(hex, algorithms[a].len, f->checksum)))
		return corrupt(err, "file \"%s\" has %s checksum \"%.140s\", not %d hex digits",
					   f->path, algorithms[a].name, hex, 2 * algorithms[a].len);
	return true;
}

/* entry i of "Files" into f (its path is set first, for the messages) */
static bool
read_file_entry(manifest_file *f, json_object *entry, int i, sg_error *err)
{
	struct json_object_iter it;
	json_object *algorithm = NULL;
	json_object *checksum = NULL;
	json_object *size = NULL;
	char		what[64 + 1024];
	uint64_t	u;

	if (!json_object_is_type(entry, json_type_object))
		return corrupt(err, "file entry %d is not an object", i + 1);
	f->path = file_path(entry, i, err);
	if (f->path == NULL)
		return false;
	json_object_object_foreachC(entry, it)
	{
		if (strcmp(it.key, "Size") == 0)
			size = it.val;
		else if (strcmp(it.key, "Checksum-Algorithm") == 0)
			algorithm = it.val;
		else if (strcmp(it.key, "Checksum") == 0)
			checksum = it.val;
		else if (strcmp(it.key, "Last-Modified") == 0)
		{
			const char *unused;

			snprintf(what, sizeof(what), "\"Last-Modified\" of file \"%s\"", f->path);
			if (!get_string(it.val, what, &unused, err))
				return false;
		}
		else if (strcmp(it.key, "Path") != 0 && strcmp(it.key, "Encoded-Path") != 0)
			return corrupt(err, "file \"%s\" has unknown field \"%.100s\"",
						   f->path, it.key);
	}
	if (size == NULL)
		return corrupt(err, "file \"%s\" has no \"Size\"", f->path);
	snprintf(what, sizeof(what), "\"Size\" of file \"%s\"", f->path);
	if (!get_uint(size, what, INT64_MAX, &u, err))
		return false;
	f->size = (int64_t) u;
	return file_checksum(f, algorithm, checksum, err);
}

static bool
read_files(backup_manifest *m, json_object *files, sg_error *err)
{
	size_t		n;

	if (!json_object_is_type(files, json_type_array))
		return corrupt(err, "\"Files\" is not an array");
	n = json_object_array_length(files);
	if (n > INT_MAX / 2)
		return corrupt(err, "\"Files\" has %zu entries, too many", n);
	m->files = sg_malloc((n ? n : 1) * sizeof(*m->files));
	memset(m->files, 0, (n ? n : 1) * sizeof(*m->files));
	m->nfiles = (int) n;
	table_build(m);
	for (int i = 0; i < m->nfiles; i++)
	{
		manifest_file *f = &m->files[i];
		size_t		slot;

		if (!read_file_entry(f, json_object_array_get_idx(files, i), i, err))
			return false;
		f->hash = path_hash(m, f->path);
		slot = table_slot(m, f->path, f->hash);
		if (m->slots[slot] >= 0)
			return corrupt(err, "file \"%s\" is listed twice", f->path);
		m->slots[slot] = i;
	}
	return true;
}

/* ---------------------------------------------------------------- */
/* "WAL-Ranges" */

static bool
read_wal_range(wal_range *r, json_object *entry, int i, sg_error *err)
{
	struct json_object_iter it;
	json_object *tli = NULL;
	json_object *start = NULL;
	json_object *end = NULL;
	char		what[64];
	uint64_t	u;

	if (!json_object_is_type(entry, json_type_object))
		return corrupt(err, "WAL range %d is not an object", i + 1);
	json_object_object_foreachC(entry, it)
	{
		if (strcmp(it.key, "Timeline") == 0)
			tli = it.val;
		else if (strcmp(it.key, "Start-LSN") == 0)
			start = it.val;
		else if (strcmp(it.key, "End-LSN") == 0)
			end = it.val;
		else
			return corrupt(err, "WAL range %d has unknown field \"%.100s\"", i + 1, it.key);
	}
	if (tli == NULL || start == NULL || end == NULL)
		return corrupt(err, "WAL range %d lacks \"%s\"", i + 1,
					   tli == NULL ? "Timeline" : start == NULL ? "Start-LSN" : "End-LSN");
	snprintf(what, sizeof(what), "\"Timeline\" of WAL range %d", i + 1);
	if (!get_uint(tli, what, UINT32_MAX, &u, err))
		return false;
	if (u == 0)
		return corrupt(err, "%s is 0", what);
	r->tli = (uint32_t) u;
	snprintf(what, sizeof(what), "\"Start-LSN\" of WAL range %d", i + 1);
	if (!get_lsn(start, what, &r->start, err))
		return false;
	snprintf(what, sizeof(what), "\"End-LSN\" of WAL range %d", i + 1);
	if (!get_lsn(end, what, &r->end, err))
		return false;
	if (r->end < r->start)
		return corrupt(err, "WAL range %d ends before it starts", i + 1);
	return true;
}

static bool
read_wal_ranges(backup_manifest *m, json_object *ranges, sg_error *err)
{
	size_t		n;

	if (!json_object_is_type(ranges, json_type_array))
		return corrupt(err, "\"WAL-Ranges\" is not an array");
	n = json_object_array_length(ranges);
	if (n > INT_MAX / 2)
		return corrupt(err, "\"WAL-Ranges\" has %zu entries, too many", n);
	m->ranges = sg_malloc((n ? n : 1) * sizeof(*m->ranges));
	m->nranges = (int) n;
	for (int i = 0; i < m->nranges; i++)
	{
		if (!read_wal_range(&m->ranges[i], json_object_array_get_idx(ranges, i),
							i, err))
			return false;
	}
	return true;
}

/* ---------------------------------------------------------------- */
/* the top object */

/* the first field, the version: 1 or 2 */
static bool
read_version(backup_manifest *m, json_object *root, sg_error *err)
{
	struct json_object_iter it;
	uint64_t	u;

	json_object_object_foreachC(root, it)
	{
		if (strcmp(it.key, VERSION_KEY) != 0)
			return corrupt(err, "the first field is not \"%s\"", VERSION_KEY);
		if (!get_uint(it.val, "\"" VERSION_KEY "\"", INT_MAX, &u, err))
			return false;
		if (u != 1 && u != 2)
		{
			sg_error_set(err, SG_ERR_CORRUPT,
						 "unsupported backup manifest version %" PRIu64, u);
			sg_error_hint(err, "sgbackup reads versions 1 and 2 (PostgreSQL 13 to 18).");
			return false;
		}
		m->version = (int) u;
		return true;
	}
	return corrupt(err, "the JSON object is empty");
}

static bool
read_fields(backup_manifest *m, json_object *root, sg_error *err)
{
	struct json_object_iter it;
	json_object *files = NULL;
	json_object *ranges = NULL;
	json_object *sysid = NULL;

	json_object_object_foreachC(root, it)
	{
		if (strcmp(it.key, "Files") == 0)
			files = it.val;
		else if (strcmp(it.key, "WAL-Ranges") == 0)
			ranges = it.val;
		else if (strcmp(it.key, "System-Identifier") == 0)
			sysid = it.val;
		else if (strcmp(it.key, VERSION_KEY) != 0 && strcmp(it.key, CHECKSUM_KEY) != 0)
			return corrupt(err, "unknown field \"%.100s\"", it.key);
	}
	if (m->version >= 2 && sysid == NULL)
		return corrupt(err, "version %d has no \"System-Identifier\"", m->version);
	if (m->version == 1 && sysid != NULL)
		return corrupt(err, "version 1 has a \"System-Identifier\"");
	if (sysid != NULL &&
		!get_uint(sysid, "\"System-Identifier\"", UINT64_MAX - 1,
				  &m->system_identifier, err))
		return false;
	if (files == NULL)
		return corrupt(err, "no \"Files\"");
	if (ranges == NULL)
		return corrupt(err, "no \"WAL-Ranges\"");
	return read_files(m, files, err) && read_wal_ranges(m, ranges, err);
}

bool
manifest_parse(const char *text, size_t len, backup_manifest **out,
			   sg_error *err)
{
	backup_manifest *m;
	json_object *root;
	bool		ok;

	*out = NULL;
	if (len == 0)
		return corrupt(err, "it is empty");
	if (len > INT_MAX)
		return corrupt(err, "%zu bytes is larger than this reader takes", len);
	if (memchr(text, '\0', len) != NULL)
		return corrupt(err, "it contains a NUL byte");
	if (!check_density(text, len, err))
		return false;
	root = parse_json(text, len, err);
	if (root == NULL)
		return false;
	m = sg_malloc(sizeof(*m));
	memset(m, 0, sizeof(*m));
	/* the version first: a later version might sum itself another way */
	ok = read_version(m, root, err) &&
		check_manifest_checksum(root, text, len, err) &&
		read_fields(m, root, err);
	json_object_put(root);
	if (!ok)
	{
		manifest_free(m);
		return false;
	}
	*out = m;
	return true;
}

void
manifest_free(backup_manifest *m)
{
	if (m == NULL)
		return;
	for (int i = 0; i < m->nfiles; i++)
		free(m->files[i].path);
	free(m->files);
	free(m->slots);
	free(m->ranges);
	free(m);
}

/* ---------------------------------------------------------------- */
/* accessors */

int
manifest_version(const backup_manifest *m)
{
	return m->version;
}

uint64_t
manifest_system_identifier(const backup_manifest *m)
{
	return m->system_identifier;
}

int
manifest_nfiles(const backup_manifest *m)
{
	return m->nfiles;
}

const manifest_file *
manifest_find(const backup_manifest *m, const char *path)
{
	uint64_t	h = path_hash(m, path);
	size_t		slot = table_slot(m, path, h);

	return m->slots[slot] >= 0 ? &m->files[m->slots[slot]] : NULL;
}

const char *
manifest_file_path(const manifest_file *f)
{
	return f->path;
}

int64_t
manifest_file_size(const manifest_file *f)
{
	return f->size;
}

const char *
manifest_file_algorithm(const manifest_file *f)
{
	return algorithms[f->algorithm].name;
}

int
manifest_nwal_ranges(const backup_manifest *m)
{
	return m->nranges;
}

void
manifest_wal_range(const backup_manifest *m, int i, uint32_t *tli,
				   uint64_t *start, uint64_t *end)
{
	*tli = m->ranges[i].tli;
	*start = m->ranges[i].start;
	*end = m->ranges[i].end;
}

int
manifest_unseen(const backup_manifest *m, const char **first)
{
	int			n = 0;

	if (first != NULL)
		*first = NULL;
	for (int i = 0; i < m->nfiles; i++)
	{
		if (__atomic_load_n(&m->files[i].seen, __ATOMIC_RELAXED))
			continue;
		if (n++ == 0 && first != NULL)
			*first = m->files[i].path;
	}
	return n;
}

/* ---------------------------------------------------------------- */
/* checking a file's content */

void
manifest_check_init(manifest_check *c)
{
	memset(c, 0, sizeof(*c));
}

void
manifest_check_begin(manifest_check *c, const manifest_file *f)
{
	const EVP_MD *md = algorithm_md(f->algorithm);

	c->file = f;
	c->bytes = 0;
	c->crc = SG_CRC32C_INIT;
	c->failed = false;
	if (md == NULL)
		return;
	if (c->md == NULL)
		c->md = EVP_MD_CTX_new();
	if (c->md == NULL || EVP_DigestInit_ex(c->md, md, NULL) != 1)
		c->failed = true;
}

void
manifest_check_update(manifest_check *c, const void *data, size_t len)
{
	c->bytes += len;
	switch ((manifest_algorithm) c->file->algorithm)
	{
		case ALG_NONE:
			break;
		case ALG_CRC32C:
			c->crc = sg_crc32c_update(c->crc, data, len);
			break;
		default:
			if (!c->failed && EVP_DigestUpdate(c->md, data, len) != 1)
				c->failed = true;
			break;
	}
}

/* the digest of what was fed, as the manifest writes it; its length */
static int
check_digest(manifest_check *c, const manifest_file *f, uint8_t *out)
{
	unsigned int len = 0;

	switch ((manifest_algorithm) f->algorithm)
	{
		case ALG_NONE:
			return 0;
		case ALG_CRC32C:
			{
				uint32_t	crc = sg_crc32c_final(c->crc);

				/* memory order, as pg_checksum_final copies it */
				memcpy(out, &crc, sizeof(crc));
				return (int) sizeof(crc);
			}
		default:
			if (c->failed || EVP_DigestFinal_ex(c->md, out, &len) != 1)
				return -1;
			return (int) len;
	}
}

bool
manifest_check_end(manifest_check *c, sg_error *err)
{
	const manifest_file *f = c->file;
	const char *alg;
	uint8_t		got[EVP_MAX_MD_SIZE];
	int			len;
	char		want_hex[2 * MAX_DIGEST_LEN + 1];
	char		got_hex[2 * EVP_MAX_MD_SIZE + 1];

	if (f == NULL)
		return sg_error_set(err, SG_ERR_INTERNAL,
							"manifest_check_end without manifest_check_begin");
	c->file = NULL;
	alg = algorithms[f->algorithm].name;
	if (c->bytes != (uint64_t) f->size)
	{
		sg_error_set(err, SG_ERR_CORRUPT,
					 "file \"%s\" has %" PRIu64 " bytes, but the backup manifest says %" PRId64,
					 f->path, c->bytes, f->size);
		sg_error_hint(err, "This backup is damaged; use another backup.");
		return false;
	}
	len = check_digest(c, f, got);
	if (len < 0)
		return sg_error_set(err, SG_ERR_INTERNAL,
							"could not compute the %s checksum of file \"%s\"",
							alg, f->path);
	if (len != algorithms[f->algorithm].len || memcmp(got, f->checksum, len) != 0)
	{
		hex_encode(f->checksum, algorithms[f->algorithm].len, want_hex);
		hex_encode(got, len, got_hex);
		sg_error_set(err, SG_ERR_CORRUPT,
					 "file \"%s\" has %s checksum %s, but the backup manifest says %s",
					 f->path, alg, got_hex, want_hex);
		sg_error_hint(err, "This backup is damaged; use another backup.");
		return false;
	}
	__atomic_store_n(&((manifest_file *) f)->seen, true, __ATOMIC_RELAXED);
	return true;
}

void
manifest_check_free(manifest_check *c)
{
	EVP_MD_CTX_free(c->md);
	memset(c, 0, sizeof(*c));
}
