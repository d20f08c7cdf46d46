/*
 * test_manifest.c - unit tests of the backup_manifest reader and checker
 * (manifest.h).
 *
 * Real manifests that PostgreSQL 15's pg_basebackup wrote (CRC32C, SHA256,
 * NONE, and every path hex-encoded; test/data/manifest/README) must parse,
 * pass their Manifest-Checksum, list every path with its size, and accept
 * two real files they describe; one byte changed anywhere must fail.
 * Manifests made here from text (sealed with a SHA-256 computed by the
 * test) cover version 2, the other SHA sizes, several WAL ranges, and
 * every kind of bad field; files checked from several threads at once are
 * all marked seen.
 */
#include <libgen.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "compress.h"
#include "crc32c.h"
#include "manifest.h"
#include "sg_buf.h"
#include "unit.h"

#define TS_PATH		"pg_tblspc/16384/PG_15_202209061/5/16385"
#define REAL_NFILES	966

static char data_dir[4096];

/* ---------------------------------------------------------------- */
/* helpers */

static bool
append_output(void *arg, const void *data, size_t len, sg_error *err)
{
	sg_buf_append((sg_buf *) arg, data, len);
	return true;
}

/* test/data/manifest/<name>.backup_manifest.zst, decompressed into out */
static bool
load_manifest(const char *name, sg_buf *out)
{
	char		path[4200];
	size_t		len;
	char	   *zst;
	sg_error	err;
	sg_decompressor *d;
	bool		ok;

	snprintf(path, sizeof(path), "%s/%s.backup_manifest.zst", data_dir, name);
	zst = sg_read_file(path, &len);
	if (zst == NULL)
	{
		printf("# cannot read %s\n", path);
		return false;
	}
	sg_buf_init(out);
	d = sg_decompressor_new(SG_COMPRESSION_ZSTD, 16 * 1024 * 1024, &err);
	ok = d != NULL &&
		sg_decompressor_feed(d, zst, len, append_output, out, &err) &&
		sg_decompressor_finish(d, &err);
	if (!ok)
		printf("# %s: %s\n", path, err.msg);
	sg_decompressor_free(d);
	free(zst);
	return ok;
}

/* a data file (PG_VERSION, 16385) */
static char *
load_data(const char *name, size_t *len)
{
	char		path[4200];

	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	return sg_read_file(path, len);
}

/* lower-case hex of the SHA-256 of data */
static void
sha256_hex(const void *data, size_t len, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < mdlen; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
}

/* body (ending in "\n") plus the last line with its Manifest-Checksum */
static void
seal(sg_buf *out, const char *body, size_t len)
{
	char		hex[65];

	sha256_hex(body, len, hex);
	sg_buf_init(out);
	sg_buf_append(out, body, len);
	sg_buf_printf(out, "\"Manifest-Checksum\": \"%s\"}\n", hex);
}

/* a sealed manifest of the given version, files and WAL ranges text */
static void
make_manifest(sg_buf *out, int version, const char *files, const char *ranges)
{
	sg_buf		body;

	sg_buf_init(&body);
	sg_buf_printf(&body, "{ \"PostgreSQL-Backup-Manifest-Version\": %d,\n", version);
	if (version == 2)
		sg_buf_append_str(&body, "\"System-Identifier\": 7434451925335347890,\n");
	sg_buf_printf(&body, "\"Files\": [\n%s\n],\n\"WAL-Ranges\": [\n%s\n],\n",
				  files, ranges);
	seal(out, body.data, body.len);
	sg_buf_free(&body);
}

#define ONE_RANGE "{ \"Timeline\": 1, \"Start-LSN\": \"0/2000028\", \"End-LSN\": \"0/2000100\" }"
#define LM "\"Last-Modified\": \"2026-12-02 03:56:14 GMT\""

/* a manifest of one file entry (its fields as text) */
static void
make_one_file(sg_buf *out, const char *fields)
{
	char		files[2048];

	snprintf(files, sizeof(files), "{ %s }", fields);
	make_manifest(out, 1, files, ONE_RANGE);
}

/* parsing fails as corrupt, and the message has want in it */
static void
parse_fails(const char *text, size_t len, const char *want, const char *name)
{
	backup_manifest *m = NULL;
	sg_error	err;
	bool		ok;

	sg_error_clear(&err);
	ok = manifest_parse(text, len, &m, &err);
	UNIT_OK(!ok && m == NULL && err.kind == SG_ERR_CORRUPT && strstr(err.msg, want),
			"%s: refused, saying \"%s\"", name, want);
	if (ok || strstr(err.msg, want) == NULL)
		printf("# msg: %s\n", err.msg);
	manifest_free(m);
}

static void
one_file_fails(const char *fields, const char *want, const char *name)
{
	sg_buf		b;

	make_one_file(&b, fields);
	parse_fails(b.data, b.len, want, name);
	sg_buf_free(&b);
}

static backup_manifest *
parse_ok(const char *text, size_t len, const char *name)
{
	backup_manifest *m = NULL;
	sg_error	err;

	sg_error_clear(&err);
	UNIT_OK(manifest_parse(text, len, &m, &err), "%s: parses", name);
	if (m == NULL)
		printf("# msg: %s\n# detail: %s\n", err.msg, err.detail);
	return m;
}

/* check data against f, fed in pieces of step bytes; the error in err */
static bool
check_data(manifest_check *c, const manifest_file *f, const void *data,
		   size_t len, size_t step, sg_error *err)
{
	const char *p = data;

	sg_error_clear(err);
	manifest_check_begin(c, f);
	for (size_t off = 0; off < len; off += step)
		manifest_check_update(c, p + off, len - off < step ? len - off : step);
	return manifest_check_end(c, err);
}

/* ---------------------------------------------------------------- */
/* real manifests */

/* every "Path" of the text is found, with its "Size" */
static void
test_all_paths(const backup_manifest *m, const char *text, const char *name)
{
	int			found = 0;
	int			listed = 0;
	const char *p = text;

	while ((p = strstr(p, "{ \"Path\": \"")) != NULL)
	{
		char		path[1024];
		long long	size;
		const manifest_file *f;

		p += strlen("{ \"Path\": \"");
		if (sscanf(p, "%1023[^\"]\", \"Size\": %lld", path, &size) != 2)
			break;
		listed++;
		f = manifest_find(m, path);
		if (f && strcmp(manifest_file_path(f), path) == 0 &&
			manifest_file_size(f) == size)
			found++;
	}
	UNIT_OK(listed == REAL_NFILES && found == listed,
			"%s: all %d listed paths found with their sizes (%d found)",
			name, listed, found);
}

/* name.backup_manifest.zst: its file checksums, its backup's start LSN */
static void
test_real(const char *name, const char *algorithm, const char *ts_hex,
		  uint64_t start_lsn)
{
	sg_buf		text;
	backup_manifest *m;
	const manifest_file *f;
	uint32_t	tli = 0;
	uint64_t	start = 0,
				end = 0;
	char	   *pgv,
			   *rel;
	size_t		pgv_len,
				rel_len;
	manifest_check c;
	sg_error	err;
	const char *first = NULL;

	if (!load_manifest(name, &text))
	{
		UNIT_OK(false, "%s: the test manifest loads", name);
		return;
	}
	m = parse_ok(text.data, text.len, name);
	if (m == NULL)
	{
		sg_buf_free(&text);
		return;
	}
	UNIT_OK(manifest_nfiles(m) == REAL_NFILES, "%s: %d files (want %d)", name,
			manifest_nfiles(m), REAL_NFILES);
	UNIT_OK(manifest_version(m) == 1 && manifest_system_identifier(m) == 0,
			"%s: version 1, no system identifier", name);
	if (manifest_nwal_ranges(m) == 1)
		manifest_wal_range(m, 0, &tli, &start, &end);
	UNIT_OK(manifest_nwal_ranges(m) == 1 && tli == 1 && start == start_lsn &&
			end == start_lsn + 0xD8,
			"%s: one WAL range, timeline 1, 0/%X to 0/%X", name,
			(unsigned) start_lsn, (unsigned) start_lsn + 0xD8);
	if (strcmp(name, "encoded") != 0)
		test_all_paths(m, text.data, name);

	f = manifest_find(m, "PG_VERSION");
	UNIT_OK(f && manifest_file_size(f) == 3 &&
			strcmp(manifest_file_algorithm(f), algorithm) == 0,
			"%s: PG_VERSION is 3 bytes, %s", name, algorithm);
	UNIT_OK(manifest_find(m, "base/1/1259") && manifest_find(m, "global/pg_control") &&
			manifest_find(m, TS_PATH) && manifest_find(m, "backup_label"),
			"%s: base/1/1259, global/pg_control, the tablespace file, backup_label are listed",
			name);
	UNIT_OK(!manifest_find(m, "PG_VERSIO") && !manifest_find(m, "PG_VERSION/") &&
			!manifest_find(m, "") && !manifest_find(m, "base/1/12590") &&
			!manifest_find(m, "backup_manifest"),
			"%s: names not listed are not found", name);

	UNIT_OK(manifest_unseen(m, &first) == REAL_NFILES && first &&
			strcmp(first, TS_PATH) == 0,
			"%s: before any check all are unseen, the first is the tablespace file",
			name);

	pgv = load_data("PG_VERSION", &pgv_len);
	rel = load_data("16385", &rel_len);
	if (pgv == NULL || rel == NULL || rel_len != 8192)
	{
		UNIT_OK(false, "%s: the test data files load", name);
		goto out;
	}
	manifest_check_init(&c);
	UNIT_OK(check_data(&c, manifest_find(m, "PG_VERSION"), pgv, pgv_len, 1, &err),
			"%s: real PG_VERSION, byte by byte, matches", name);
	if (err.msg[0])
		printf("# %s\n", err.msg);

	/* too short, a wrong byte, then the real content, through one checker */
	UNIT_OK(!check_data(&c, manifest_find(m, TS_PATH), rel, rel_len - 1, 4096, &err) &&
			err.kind == SG_ERR_CORRUPT && strstr(err.msg, TS_PATH) &&
			strstr(err.msg, "8191") && strstr(err.msg, "8192"),
			"%s: one byte short fails, naming the file and both sizes", name);
	printf("# %s\n", err.msg);
	UNIT_OK(manifest_unseen(m, NULL) == REAL_NFILES - 1,
			"%s: a failed check leaves the file unseen", name);
	rel[4000] ^= 1;
	if (strcmp(algorithm, "NONE") == 0)
		UNIT_OK(check_data(&c, manifest_find(m, TS_PATH), rel, rel_len, 1000, &err),
				"%s: one byte changed passes (no checksum to tell)", name);
	else
	{
		UNIT_OK(!check_data(&c, manifest_find(m, TS_PATH), rel, rel_len, 1000, &err) &&
				err.kind == SG_ERR_CORRUPT && strstr(err.msg, TS_PATH) &&
				strstr(err.msg, algorithm) && strstr(err.msg, ts_hex),
				"%s: one byte changed fails, naming the file, %s and the expected %.16s...",
				name, algorithm, ts_hex);
		printf("# %s\n", err.msg);
	}
	rel[4000] ^= 1;
	UNIT_OK(check_data(&c, manifest_find(m, TS_PATH), rel, rel_len, 8192, &err),
			"%s: the real tablespace file matches", name);
	if (err.msg[0])
		printf("# %s\n", err.msg);
	UNIT_OK(manifest_unseen(m, &first) == REAL_NFILES - 2 && first &&
			strcmp(first, "backup_label") == 0,
			"%s: %d unseen after two files, the first backup_label", name,
			REAL_NFILES - 2);
	manifest_check_free(&c);
out:
	free(pgv);
	free(rel);
	manifest_free(m);
	sg_buf_free(&text);
}

/* the real text with one change: a byte, the checksum, the last newline */
static void
test_real_damaged(void)
{
	sg_buf		text;
	char	   *copy;
	char	   *p;
	size_t		len;

	if (!load_manifest("crc32c", &text))
	{
		UNIT_OK(false, "crc32c: the test manifest loads");
		return;
	}
	len = text.len;
	copy = sg_malloc(len + 16);

	/* a digit of the first Last-Modified: still good JSON */
	memcpy(copy, text.data, len);
	p = strstr(copy, "03:56:15 GMT");
	p[7] = p[7] == '9' ? '8' : p[7] + 1;
	parse_fails(copy, len, "checksum mismatch", "one digit of a time changed");

	memcpy(copy, text.data, len);
	p = strstr(copy, "\"Size\": 8192");
	p[8] = '9';
	parse_fails(copy, len, "checksum mismatch", "one digit of a size changed");

	memcpy(copy, text.data, len);
	p = strstr(copy, "\"Manifest-Checksum\": \"") + strlen("\"Manifest-Checksum\": \"");
	p[10] = p[10] == 'a' ? 'b' : 'a';
	parse_fails(copy, len, "checksum mismatch", "one digit of Manifest-Checksum changed");

	parse_fails(text.data, len - 1, "newline", "no newline at the end");
	parse_fails(text.data, len / 2, "ends early", "cut in half");

	memcpy(copy, text.data, len);
	memcpy(copy + len, "{}\n", 3);
	parse_fails(copy, len + 3, "bad JSON at byte", "text after the object");

	memcpy(copy, text.data, len);
	copy[100] = '\0';
	parse_fails(copy, len, "NUL", "a NUL byte");

	/* the real files, but the object all on one line */
	memcpy(copy, text.data, len);
	for (size_t i = 0; i + 1 < len; i++)
		if (copy[i] == '\n')
			copy[i] = ' ';
	parse_fails(copy, len, "2 lines", "one line only");

	free(copy);
	sg_buf_free(&text);
}

/* the real manifest as version 2: a System-Identifier line after the first */
static void
test_version2(void)
{
	sg_buf		text;
	sg_buf		body;
	sg_buf		v2;
	const char *first_line_end;
	const char *last_line;
	backup_manifest *m;

	if (!load_manifest("crc32c", &text))
	{
		UNIT_OK(false, "crc32c: the test manifest loads");
		return;
	}
	first_line_end = strchr(text.data, '\n') + 1;
	last_line = strstr(text.data, "\"Manifest-Checksum\"");
	sg_buf_init(&body);
	sg_buf_append_str(&body, "{ \"PostgreSQL-Backup-Manifest-Version\": 2,\n"
					  "\"System-Identifier\": 7434451925335347890,\n");
	sg_buf_append(&body, first_line_end, last_line - first_line_end);
	seal(&v2, body.data, body.len);
	m = parse_ok(v2.data, v2.len, "version 2 (PostgreSQL 17)");
	UNIT_OK(m && manifest_version(m) == 2 &&
			manifest_system_identifier(m) == 7434451925335347890ULL &&
			manifest_nfiles(m) == REAL_NFILES,
			"version 2: the system identifier and all files");
	manifest_free(m);
	sg_buf_free(&v2);
	sg_buf_free(&body);
	sg_buf_free(&text);

	make_manifest(&v2, 2, "", ONE_RANGE);
	m = parse_ok(v2.data, v2.len, "version 2 with no files");
	UNIT_OK(m && manifest_nfiles(m) == 0 && manifest_unseen(m, NULL) == 0,
			"no files: none unseen");
	manifest_free(m);
	sg_buf_free(&v2);
}

/* ---------------------------------------------------------------- */
/* made-up manifests */

/* SHA-224, -384, -512 (lower-case name, upper-case hex accepted) */
static void
test_other_shas(void)
{
	static const char *names[] = {"sha224", "SHA384", "Sha512"};
	const EVP_MD *mds[] = {EVP_sha224(), EVP_sha384(), EVP_sha512()};
	const char *content = "hello, manifest\n";

	for (int a = 0; a < 3; a++)
	{
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen;
		char		hex[2 * EVP_MAX_MD_SIZE + 1];
		char		fields[512];
		sg_buf		b;
		backup_manifest *m;
		manifest_check c;
		sg_error	err;

		EVP_Digest(content, strlen(content), md, &mdlen, mds[a], NULL);
		for (unsigned i = 0; i < mdlen; i++)
			sprintf(hex + 2 * i, "%02X", md[i]);
		snprintf(fields, sizeof(fields),
				 "\"Path\": \"base/5/1\", \"Size\": %zu, " LM ", \"Checksum-Algorithm\": \"%s\", \"Checksum\": \"%s\"",
				 strlen(content), names[a], hex);
		make_one_file(&b, fields);
		m = parse_ok(b.data, b.len, names[a]);
		if (m)
		{
			manifest_check_init(&c);
			UNIT_OK(check_data(&c, manifest_find(m, "base/5/1"), content,
							   strlen(content), 5, &err),
					"%s: the right content matches", names[a]);
			UNIT_OK(!check_data(&c, manifest_find(m, "base/5/1"), "hello, manifesT\n",
								strlen(content), 5, &err) &&
					strstr(err.msg, "base/5/1"),
					"%s: other content of the same size fails", names[a]);
			manifest_check_free(&c);
		}
		manifest_free(m);
		sg_buf_free(&b);
	}
}

static void
test_wal_ranges(void)
{
	sg_buf		b;
	backup_manifest *m;
	uint32_t	tli;
	uint64_t	start,
				end;
	bool		ok;

	make_manifest(&b, 1, "{ \"Path\": \"PG_VERSION\", \"Size\": 3, " LM " }",
				  "{ \"Timeline\": 3, \"Start-LSN\": \"1/5000000\", \"End-LSN\": \"1/5000100\" },\n"
				  "{ \"Timeline\": 2, \"Start-LSN\": \"0/7000000\", \"End-LSN\": \"1/5000000\" },\n"
				  "{ \"Timeline\": 1, \"Start-LSN\": \"0/2000028\", \"End-LSN\": \"0/7000000\" }");
	m = parse_ok(b.data, b.len, "three WAL ranges");
	ok = m && manifest_nwal_ranges(m) == 3;
	if (ok)
	{
		manifest_wal_range(m, 0, &tli, &start, &end);
		ok = tli == 3 && start == 0x105000000ULL && end == 0x105000100ULL;
		manifest_wal_range(m, 2, &tli, &start, &end);
		ok = ok && tli == 1 && start == 0x2000028 && end == 0x7000000;
	}
	UNIT_OK(ok, "three WAL ranges, in the manifest's order, with 64-bit LSNs");
	manifest_free(m);
	sg_buf_free(&b);
}

static void
test_garbage(void)
{
	sg_buf		b;

	parse_fails("", 0, "empty", "no text");
	parse_fails("not json\n", 9, "bad JSON", "not JSON");
	parse_fails("{", 1, "ends early", "an open brace");
	parse_fails("[1, 2]\n", 7, "not an object", "an array");
	parse_fails("{}\n", 3, "empty", "an empty object");
	parse_fails("x", (size_t) INT32_MAX + 1, "larger", "2 GiB");
	parse_fails("{ \"Files\": [] }\n", 16, "first field", "no version first");
	b.data = "{\"a\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}\n";
	parse_fails(b.data, strlen(b.data), "too deep", "deep nesting");

	/* as many objects as text allows: refused before json-c builds them */
	sg_buf_init(&b);
	sg_buf_append_str(&b, "{ \"PostgreSQL-Backup-Manifest-Version\": 1, \"Files\": [{}");
	for (int i = 0; i < 100000; i++)
		sg_buf_append_str(&b, ",{}");
	sg_buf_append_str(&b, "] }\n");
	parse_fails(b.data, b.len, "far more than a manifest has", "300 KB of {},{},...");
	sg_buf_free(&b);

	b.data = "{ \"PostgreSQL-Backup-Manifest-Version\": 3,\n\"Files\": []}\n";
	parse_fails(b.data, strlen(b.data), "version 3", "version 3");
	b.data = "{ \"PostgreSQL-Backup-Manifest-Version\": \"1\",\n\"Files\": []}\n";
	parse_fails(b.data, strlen(b.data), "not an integer", "version as a string");
	b.data = "{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": []}\n";
	parse_fails(b.data, strlen(b.data), "no \"Manifest-Checksum\"", "no Manifest-Checksum");
	b.data = "{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Manifest-Checksum\": \"00\"}\n";
	parse_fails(b.data, strlen(b.data), "64 hex digits", "a short Manifest-Checksum");
}

/* top-level fields and WAL ranges that are wrong */
static void
test_bad_top(void)
{
	static const struct
	{
		const char *range;
		const char *want;
		const char *name;
	}			ranges[] =
	{
		{"\"Timeline\": \"1\", \"Start-LSN\": \"0/1\", \"End-LSN\": \"0/2\"",
		"\"Timeline\" of WAL range 1 is not an integer", "Timeline as a string"},
		{"\"Timeline\": 4294967296, \"Start-LSN\": \"0/1\", \"End-LSN\": \"0/2\"",
		"out of range", "Timeline past 32 bits"},
		{"\"Timeline\": 0, \"Start-LSN\": \"0/1\", \"End-LSN\": \"0/2\"",
		"is 0", "Timeline 0"},
		{"\"Timeline\": 1, \"Start-LSN\": \"0/1\"", "lacks \"End-LSN\"", "no End-LSN"},
		{"\"Timeline\": 1, \"Start-LSN\": 5, \"End-LSN\": \"0/2\"",
		"not a string", "Start-LSN as a number"},
		{"\"Timeline\": 1, \"Start-LSN\": \"0-1\", \"End-LSN\": \"0/2\"",
		"not an LSN", "Start-LSN not an LSN"},
		{"\"Timeline\": 1, \"Start-LSN\": \"0/3\", \"End-LSN\": \"0/2\"",
		"ends before it starts", "End-LSN before Start-LSN"},
		{"\"Timeline\": 1, \"Start-LSN\": \"0/1\", \"End-LSN\": \"0/2\", \"X\": 1",
		"WAL range 1 has unknown field \"X\"", "an unknown WAL range field"},
	};
	/* the text before the Manifest-Checksum line */
	static const struct
	{
		const char *body;
		const char *want;
		const char *name;
	}			tops[] =
	{
		{"{ \"PostgreSQL-Backup-Manifest-Version\": 2,\n\"Files\": [],\n\"WAL-Ranges\": [],\n",
		"no \"System-Identifier\"", "version 2 without System-Identifier"},
		{"{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"System-Identifier\": 1,\n\"Files\": [],\n\"WAL-Ranges\": [],\n",
		"version 1 has a", "version 1 with System-Identifier"},
		{"{ \"PostgreSQL-Backup-Manifest-Version\": 2,\n\"System-Identifier\": \"1\",\n\"Files\": [],\n\"WAL-Ranges\": [],\n",
		"\"System-Identifier\" is not an integer", "System-Identifier as a string"},
		{"{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": {},\n\"WAL-Ranges\": [],\n",
		"\"Files\" is not an array", "Files an object"},
		{"{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [],\n\"WAL-Ranges\": 1,\n",
		"\"WAL-Ranges\" is not an array", "WAL-Ranges a number"},
		{"{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"WAL-Ranges\": [],\n",
		"no \"Files\"", "no Files"},
		{"{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [],\n",
		"no \"WAL-Ranges\"", "no WAL-Ranges"},
		{"{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [], \"WAL-Ranges\": [], \"Extra\": 1,\n",
		"unknown field \"Extra\"", "an unknown top-level field"},
	};
	sg_buf		b;
	char		range[512];
	const char *text;

	for (int i = 0; i < (int) (sizeof(ranges) / sizeof(ranges[0])); i++)
	{
		snprintf(range, sizeof(range), "{ %s }", ranges[i].range);
		make_manifest(&b, 1, "", range);
		parse_fails(b.data, b.len, ranges[i].want, ranges[i].name);
		sg_buf_free(&b);
	}
	for (int i = 0; i < (int) (sizeof(tops) / sizeof(tops[0])); i++)
	{
		seal(&b, tops[i].body, strlen(tops[i].body));
		parse_fails(b.data, b.len, tops[i].want, tops[i].name);
		sg_buf_free(&b);
	}
	text = "{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Manifest-Checksum\": \"0000000000000000000000000000000000000000000000000000000000000000\", \"Files\": []}\n";
	parse_fails(text, strlen(text), "not the last field", "Manifest-Checksum not last");
}

/* file entries that are wrong */
static void
test_bad_files(void)
{
	sg_buf		b;

	one_file_fails("\"Path\": \"base/1/1\", \"Size\": \"8192\", " LM,
				   "\"Size\" of file \"base/1/1\" is not an integer", "Size as a string");
	one_file_fails("\"Path\": \"base/1/1\", \"Size\": 8192.0, " LM,
				   "is not an integer", "Size 8192.0");
	one_file_fails("\"Path\": \"base/1/1\", \"Size\": -1, " LM,
				   "is negative", "Size -1");
	one_file_fails("\"Path\": \"base/1/1\", \"Size\": 9223372036854775808, " LM,
				   "out of range", "Size 2^63");
	one_file_fails("\"Path\": \"base/1/1\", \"Size\": 99999999999999999999999, " LM,
				   "out of range", "Size past 64 bits");
	one_file_fails("\"Path\": \"base/1/1\", " LM,
				   "file \"base/1/1\" has no \"Size\"", "no Size");
	one_file_fails("\"Size\": 1, " LM, "file entry 1 has no \"Path\"", "no Path");
	one_file_fails("\"Path\": 5, \"Size\": 1, " LM, "\"Path\" of file entry 1 is not a string",
				   "Path as a number");
	one_file_fails("\"Path\": \"a\", \"Encoded-Path\": \"61\", \"Size\": 1",
				   "both", "Path and Encoded-Path");
	one_file_fails("\"Encoded-Path\": \"6\", \"Size\": 1, " LM, "not a hex-encoded", "odd hex");
	one_file_fails("\"Encoded-Path\": \"6x\", \"Size\": 1, " LM, "not a hex-encoded", "not hex");
	one_file_fails("\"Encoded-Path\": \"610062\", \"Size\": 1, " LM, "not a hex-encoded",
				   "hex with a NUL");
	one_file_fails("\"Path\": \"a\\u0000b\", \"Size\": 1, " LM, "NUL", "Path with \\u0000");
	one_file_fails("\"Path\": \"../etc/passwd\", \"Size\": 1, " LM, "not one inside", "Path ../");
	one_file_fails("\"Path\": \"base/../../x\", \"Size\": 1, " LM, "not one inside", "Path with ..");
	one_file_fails("\"Path\": \"/etc/passwd\", \"Size\": 1, " LM, "not one inside", "absolute Path");
	one_file_fails("\"Path\": \"\", \"Size\": 1, " LM, "not one inside", "empty Path");
	one_file_fails("\"Path\": \"a\", \"Size\": 1, " LM ", \"Mode\": 420",
				   "file \"a\" has unknown field \"Mode\"", "an unknown file field");
	one_file_fails("\"Path\": \"a\", \"Size\": 1, \"Last-Modified\": 5",
				   "\"Last-Modified\" of file \"a\" is not a string", "Last-Modified a number");
	one_file_fails("\"Path\": \"a\", \"Size\": 1, " LM ", \"Checksum-Algorithm\": \"MD5\", \"Checksum\": \"00\"",
				   "unknown checksum algorithm \"MD5\"", "algorithm MD5");
	one_file_fails("\"Path\": \"a\", \"Size\": 1, " LM ", \"Checksum-Algorithm\": \"CRC32C\"",
				   "algorithm but no checksum", "algorithm without checksum");
	one_file_fails("\"Path\": \"a\", \"Size\": 1, " LM ", \"Checksum\": \"12345678\"",
				   "checksum but no algorithm", "checksum without algorithm");
	one_file_fails("\"Path\": \"a\", \"Size\": 1, " LM ", \"Checksum-Algorithm\": \"SHA256\", \"Checksum\": \"12345678\"",
				   "not 64 hex digits", "SHA256 checksum of 4 bytes");
	one_file_fails("\"Path\": \"a\", \"Size\": 1, " LM ", \"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"1234567g\"",
				   "not 8 hex digits", "CRC32C checksum not hex");
	one_file_fails("\"Path\": \"a\", \"Size\": 1, " LM ", \"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": 12345678",
				   "\"Checksum\" of file \"a\" is not a string", "Checksum a number");

	make_manifest(&b, 1, "{ \"Path\": \"a\", \"Size\": 1, " LM " },\n{ \"Encoded-Path\": \"61\", \"Size\": 2, " LM " }",
				  ONE_RANGE);
	parse_fails(b.data, b.len, "file \"a\" is listed twice", "the same path twice (once encoded)");
	sg_buf_free(&b);
	make_manifest(&b, 1, "5", ONE_RANGE);
	parse_fails(b.data, b.len, "file entry 1 is not an object", "a file entry that is a number");
	sg_buf_free(&b);

	/* the largest size there is, and a size of zero */
	make_one_file(&b, "\"Path\": \"a\", \"Size\": 9223372036854775807, " LM);
	{
		backup_manifest *m = parse_ok(b.data, b.len, "Size 2^63 - 1");

		UNIT_OK(m && manifest_file_size(manifest_find(m, "a")) == INT64_MAX,
				"Size 2^63 - 1 is kept exactly");
		manifest_free(m);
	}
	sg_buf_free(&b);
}

/* the checker: empty files, NONE, misuse */
static void
test_checker_edges(void)
{
	sg_buf		b;
	backup_manifest *m;
	manifest_check c;
	sg_error	err;
	char		files[1024];

	/* CRC32C of no bytes is 00000000 */
	snprintf(files, sizeof(files),
			 "{ \"Path\": \"empty\", \"Size\": 0, " LM ", \"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"00000000\" },\n"
			 "{ \"Path\": \"plain\", \"Size\": 4, " LM " }");
	make_manifest(&b, 1, files, ONE_RANGE);
	m = parse_ok(b.data, b.len, "an empty file and one without checksum");
	if (m == NULL)
	{
		sg_buf_free(&b);
		return;
	}
	manifest_check_init(&c);
	UNIT_OK(check_data(&c, manifest_find(m, "empty"), "", 0, 1, &err),
			"an empty file matches CRC32C 00000000");
	UNIT_OK(!check_data(&c, manifest_find(m, "empty"), "x", 1, 1, &err) &&
			strstr(err.msg, "\"empty\" has 1 bytes") && strstr(err.msg, "says 0"),
			"one byte where none are listed fails");
	UNIT_OK(check_data(&c, manifest_find(m, "plain"), "abcd", 4, 3, &err),
			"without checksum, the size alone is checked: 4 bytes pass");
	UNIT_OK(!check_data(&c, manifest_find(m, "plain"), "abcde", 5, 3, &err),
			"without checksum, 5 bytes fail");
	sg_error_clear(&err);
	UNIT_OK(!manifest_check_end(&c, &err) && err.kind == SG_ERR_INTERNAL,
			"manifest_check_end without begin is an internal error");
	UNIT_OK(manifest_unseen(m, NULL) == 0, "both files seen");
	manifest_check_free(&c);
	manifest_free(m);
	sg_buf_free(&b);
}

/* ---------------------------------------------------------------- */
/* several threads checking different files of one manifest */

#define THREAD_FILES	2000
#define NTHREADS		4

typedef struct worker
{
	const backup_manifest *m;
	int			first;
	int			failures;
} worker;

/* file i: i % 3000 bytes derived from i */
static size_t
file_content(int i, unsigned char *buf)
{
	size_t		len = (size_t) (i * 37) % 3000;
	uint64_t	rng = (uint64_t) i + 1;

	for (size_t k = 0; k < len; k++)
		buf[k] = (unsigned char) unit_rng(&rng);
	return len;
}

static void *
worker_run(void *arg)
{
	worker	   *w = arg;
	unsigned char buf[3000];
	manifest_check c;
	sg_error	err;

	manifest_check_init(&c);
	for (int i = w->first; i < THREAD_FILES; i += NTHREADS)
	{
		char		path[64];
		size_t		len = file_content(i, buf);

		snprintf(path, sizeof(path), "base/5/%d", 10000 + i);
		if (!check_data(&c, manifest_find(w->m, path), buf, len, 100, &err))
			w->failures++;
	}
	manifest_check_free(&c);
	return NULL;
}

static void
test_threads(void)
{
	sg_buf		files;
	sg_buf		b;
	unsigned char buf[3000];
	backup_manifest *m;
	pthread_t	th[NTHREADS];
	worker		w[NTHREADS];
	int			failures = 0;

	sg_buf_init(&files);
	for (int i = 0; i < THREAD_FILES; i++)
	{
		size_t		len = file_content(i, buf);
		char		hex[65];

		if (i % 2 == 0)
		{
			uint32_t	crc = sg_crc32c_final(sg_crc32c_update_table(SG_CRC32C_INIT, buf, len));
			unsigned char *p = (unsigned char *) &crc;

			snprintf(hex, sizeof(hex), "%02x%02x%02x%02x", p[0], p[1], p[2], p[3]);
		}
		else
			sha256_hex(buf, len, hex);
		sg_buf_printf(&files, "%s{ \"Path\": \"base/5/%d\", \"Size\": %zu, " LM
					  ", \"Checksum-Algorithm\": \"%s\", \"Checksum\": \"%s\" }",
					  i ? ",\n" : "", 10000 + i, len, i % 2 ? "SHA256" : "CRC32C", hex);
	}
	make_manifest(&b, 1, files.data, ONE_RANGE);
	m = parse_ok(b.data, b.len, "2000 files, CRC32C and SHA256 by turns");
	if (m == NULL)
		goto out;
	for (int t = 0; t < NTHREADS; t++)
	{
		w[t].m = m;
		w[t].first = t;
		w[t].failures = 0;
		pthread_create(&th[t], NULL, worker_run, &w[t]);
	}
	for (int t = 0; t < NTHREADS; t++)
	{
		pthread_join(th[t], NULL);
		failures += w[t].failures;
	}
	UNIT_OK(failures == 0 && manifest_unseen(m, NULL) == 0,
			"%d threads check %d files at once, each checker reused: %d failures, %d unseen",
			NTHREADS, THREAD_FILES, failures, manifest_unseen(m, NULL));
	manifest_free(m);
out:
	sg_buf_free(&files);
	sg_buf_free(&b);
}

int
main(int argc, char **argv)
{
	const char *dir = getenv("SG_MANIFEST_DIR");
	char		self[4096];

	if (dir == NULL)
	{
		snprintf(self, sizeof(self), "%s", argv[0]);
		snprintf(data_dir, sizeof(data_dir), "%s/../data/manifest", dirname(self));
	}
	else
		snprintf(data_dir, sizeof(data_dir), "%s", dir);

	test_real("crc32c", "CRC32C", "1e177497", 0x2000028);
	test_real("sha256", "SHA256",
			  "24467e3a0841a4f14990fb152a576de8de7734ab90045ddf8765b50168c3e572",
			  0x3000028);
	test_real("none", "NONE", "", 0x4000028);
	test_real("encoded", "CRC32C", "1e177497", 0x5000028);
	test_real_damaged();
	test_version2();
	test_other_shas();
	test_wal_ranges();
	test_garbage();
	test_bad_top();
	test_bad_files();
	test_checker_edges();
	test_threads();
	return UNIT_DONE();
}
