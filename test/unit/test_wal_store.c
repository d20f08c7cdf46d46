/*
 * test_wal_store.c - tests for wal_store.c.  WAL name checks run anywhere;
 * the rest runs against a real S3 server (the Ceph RADOS Gateway started by
 * scripts/rgw.sh, whose env.sh exports SG_TEST_S3_*): push and fetch of a
 * 16 MB segment with each compression, identical re-push, conflicting
 * re-push, .history/.partial/.backup files, missing files, stored
 * objects that are corrupt or lack their metadata, and decompression
 * bombs: 4 GiB of zeros stored as a 130 kB zstd frame (and as lz4) under a
 * segment's name, refused by wal_fetch, wal_fetch_mem and
 * `sgbackup wal-fetch` with small peak memory (measured) and no file left.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "compress.h"
#include "unit.h"
#include "unit_s3.h"
#include "unit_bomb.h"
#include "wal_store.h"

#define SEG_SIZE (16 * 1024 * 1024)
#define BOMB_MAX_RSS_KB (32 * 1024) /* peak memory allowed while refusing one */

static char tmpdir[256];
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static bool on_gateway;			/* the store is the gateway's bucket, else local */

static uint64_t
rng(void)
{
	return unit_rng(&rng_state);
}

/* a WAL-like segment: 8 kB pages, alternately random and mostly zeros */
static char *
make_segment(void)
{
	char	   *p = calloc(1, SEG_SIZE);

	for (size_t off = 0; off < SEG_SIZE; off += 8192)
	{
		size_t		n = (rng() % 2) ? 8192 : 1000;

		for (size_t i = 0; i < n; i++)
			p[off + i] = (char) rng();
	}
	return p;
}

#define PATH_LEN 600

/* out = <tmpdir>/<name><suffix> */
static char *
path_of(char *out, const char *name, const char *suffix)
{
	snprintf(out, PATH_LEN, "%s/%s%s", tmpdir, name, suffix);
	return out;
}

/* true when the file at path holds exactly data */
static bool
file_is(const char *path, const void *data, size_t len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf;
	size_t		n;
	bool		same;

	if (f == NULL)
		return false;
	buf = malloc(len + 1);
	n = fread(buf, 1, len + 1, f);
	fclose(f);
	same = n == len && memcmp(buf, data, len) == 0;
	free(buf);
	return same;
}

static bool
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void
test_names(void)
{
	const char *good[] = {
		"000000010000000000000001", "00000002.history",
		"0000000100000000000000FF.partial",
		"000000010000000000000002.00000028.backup",
	};
	const char *bad[] = {
		"", "00000001000000000000001", "0000000100000000000000011",
		"000000010000000000000001.history", "00000002.HISTORY",
		"0000000100000000000000ff", "../00000001000000000000001",
		"000000010000000000000002.0000028.backup",
		"000000010000000000000002.00000028.backupx",
		"000000010000000000000002X00000028.backup",
		"00000002.history.partial", "RECOVERYXLOG",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		UNIT_OK(wal_name_valid(good[i]), "valid WAL name \"%s\"", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		UNIT_OK(!wal_name_valid(bad[i]), "invalid WAL name \"%s\"", bad[i]);
}

/* a store of the kind under test (a new connection to the same objects) */
static sg_store *
open_current(sg_error *err)
{
	if (on_gateway)
		return unit_gateway_store(NULL, NULL, err);
	return sg_store_local_new(unit_local_root, err);
}

/* push, check the object's metadata, fetch back, compare */
static void
push_fetch(sg_store *st, const char *name, const char *data, size_t len,
		   sg_compression method)
{
	const char *mname = sg_compression_name(method);
	char		src[PATH_LEN],
				dest[PATH_LEN],
				key[128];
	wal_push_result res;
	sg_store_info info;
	sg_error	err;
	double		t0,
				t1,
				t2;
	bool		ok;
	int			rc;
	struct stat sb;

	path_of(src, name, "");
	path_of(dest, name, ".fetched");
	unit_write_file(src, data, len);
	sg_error_clear(&err);
	t0 = now_s();
	ok = wal_push(st, src, name, method, 0, &res, &err);
	t1 = now_s();
	UNIT_OK(ok && res.outcome == WAL_PUSH_STORED && res.original_bytes == (int64_t) len,
			"%s: push %s%s%s", mname, name, ok ? "" : ": ", ok ? "" : err.msg);
	if (method == SG_COMPRESSION_NONE)
		UNIT_OK(res.stored_bytes == (int64_t) len, "%s: stored as is", mname);
	else if (len == SEG_SIZE)
		UNIT_OK(res.stored_bytes < (int64_t) len, "%s: stored compressed (%lld -> %lld bytes)",
				mname, (long long) res.original_bytes, (long long) res.stored_bytes);

	memset(&info, 0, sizeof(info));
	snprintf(key, sizeof(key), "wal/%s", name);
	ok = sg_store_head(st, key, &info, &err) == 1;
	UNIT_OK(ok && info.size == res.stored_bytes, "%s: object %s exists with the stored size", mname, key);
	UNIT_STREQ(sg_store_info_meta(&info, "sgbackup-compression"), mname,
			   "%s: compression metadata", mname);
	{
		char		size_text[32];

		snprintf(size_text, sizeof(size_text), "%zu", len);
		UNIT_STREQ(sg_store_info_meta(&info, "sgbackup-size"), size_text,
				   "%s: size metadata", mname);
	}
	sg_store_info_free(&info);

	rc = wal_fetch(st, name, dest, &err);
	t2 = now_s();
	UNIT_OK(rc == 1, "%s: fetch %s%s%s", mname, name, rc == 1 ? "" : ": ", rc == 1 ? "" : err.msg);
	UNIT_OK(file_is(dest, data, len), "%s: fetched %s is identical", mname, name);
	UNIT_OK(stat(dest, &sb) == 0 && (sb.st_mode & 0777) == 0600,
			"%s: fetched file has mode 0600", mname);
	{
		char		tmp[PATH_LEN + 16];

		snprintf(tmp, sizeof(tmp), "%s.sgbackup.tmp", dest);
		UNIT_OK(!exists(tmp), "%s: no temporary file left", mname);
	}
	if (len == SEG_SIZE)
		printf("# %s: push %.0f MB/s, fetch %.0f MB/s\n", mname,
			   len / 1048576.0 / (t1 - t0), len / 1048576.0 / (t2 - t1));
}

/* re-push: identical content is fine whatever the method, different is not */
static void
test_repush(sg_store *st, const char *name, const char *data, size_t len)
{
	char	   *other = malloc(len);
	char		src[PATH_LEN],
				dest[PATH_LEN];
	wal_push_result res;
	sg_error	err;
	bool		ok;

	path_of(src, name, "");
	unit_write_file(src, data, len);
	sg_error_clear(&err);
	ok = wal_push(st, src, name, SG_COMPRESSION_LZ4, 0, &res, &err);
	UNIT_OK(ok && res.outcome == WAL_PUSH_ALREADY_STORED,
			"identical re-push of %s is already stored%s%s", name, ok ? "" : ": ", ok ? "" : err.msg);

	memcpy(other, data, len);
	other[len / 3] ^= 1;
	unit_write_file(src, other, len);
	ok = wal_push(st, src, name, SG_COMPRESSION_ZSTD, 0, &res, &err);
	UNIT_OK(!ok && err.kind == SG_ERR_CONFLICT, "different re-push of %s is a conflict", name);
	printf("# msg: %s\n# detail: %s\n# hint: %s\n", err.msg, err.detail, err.hint);
	UNIT_OK(strstr(err.msg, "already stored with different content") != NULL,
			"conflict message says what happened");
	UNIT_OK(err.hint[0] != '\0', "conflict has a hint");

	path_of(dest, name, ".again");
	UNIT_OK(wal_fetch(st, name, dest, &err) == 1 && file_is(dest, data, len),
			"stored %s is unchanged after the conflict", name);
	free(other);
}

static void
test_missing(sg_store *st)
{
	sg_error	err;
	char		dest[PATH_LEN];
	int			rc;

	path_of(dest, "missing", "");
	sg_error_clear(&err);
	rc = wal_fetch(st, "0000000100000000000000FE", dest, &err);
	UNIT_OK(rc == 0 && err.kind == SG_ERR_NOT_FOUND, "fetch of a missing file returns 0 (%s)", err.msg);
	UNIT_OK(!exists(dest), "fetch of a missing file creates nothing");

	rc = wal_fetch(st, "not-a-wal-name", dest, &err);
	UNIT_OK(rc == -1, "fetch of an invalid name fails (%s)", err.msg);

	UNIT_OK(!wal_push(st, path_of(dest, "no-such-file", ""), "0000000100000000000000FD",
					  SG_COMPRESSION_ZSTD, 0, NULL, &err) &&
			err.kind == SG_ERR_IO && strstr(err.msg, "no-such-file") != NULL,
			"push of a missing file is an I/O error naming it (%s)", err.msg);

	/* /dev/zero says it is empty but reads without end: like a file that grows */
	UNIT_OK(!wal_push(st, "/dev/zero", "0000000100000000000000FD",
					  SG_COMPRESSION_ZSTD, 0, NULL, &err) &&
			err.kind == SG_ERR_IO && strstr(err.msg, "changed size") != NULL,
			"push of a file that changes size while read fails (%s; %s)", err.msg, err.detail);
}

/* a stored object replaced behind our back: the fetch refuses it */
static void
test_corrupt(sg_store *st, const char *name, const char *data, size_t len)
{
	char		key[128],
				src[PATH_LEN],
				dest[PATH_LEN];
	sg_store_info info;
	sg_buf		stored,
				bad;
	sg_error	err;
	sg_store_meta meta[3];
	const char *untouched = "the previous content of dest\n";
	sg_compressor *comp;
	int			rc;

	snprintf(key, sizeof(key), "wal/%s", name);
	path_of(dest, name, ".corrupt-dest");
	memset(&info, 0, sizeof(info));
	sg_buf_init(&stored);
	sg_buf_init(&bad);
	sg_error_clear(&err);
	if (!sg_store_get(st, key, UNIT_MAX_BODY, &stored, &info, &err))
	{
		UNIT_OK(0, "get %s: %s", key, err.msg);
		return;
	}
	meta[0].name = "sgbackup-compression";
	meta[0].value = sg_store_info_meta(&info, "sgbackup-compression");
	meta[1].name = "sgbackup-size";
	meta[1].value = sg_store_info_meta(&info, "sgbackup-size");
	meta[2].name = "sgbackup-sha256";
	meta[2].value = sg_store_info_meta(&info, "sgbackup-sha256");

	/* 1: garbage bytes */
	sg_buf_append(&bad, stored.data, stored.len);
	bad.data[bad.len / 2] ^= 0x20;
	unit_write_file(dest, untouched, strlen(untouched));
	UNIT_OK(sg_store_put(st, key, bad.data, bad.len, meta, 3, &err), "overwrite %s with a flipped byte", key);
	rc = wal_fetch(st, name, dest, &err);
	UNIT_OK(rc == -1 && err.kind == SG_ERR_CORRUPT, "fetch of a damaged object fails as corrupt (%s; %s)",
			err.msg, err.detail);
	UNIT_OK(file_is(dest, untouched, strlen(untouched)), "dest is untouched");

	/* 2: a valid frame of other content */
	sg_buf_reset(&bad);
	comp = sg_compressor_new(SG_COMPRESSION_ZSTD, 0, &err);
	sg_compressor_feed(comp, data, len - 1, &bad, &err);
	sg_compressor_feed(comp, "x", 1, &bad, &err);
	sg_compressor_finish(comp, &bad, &err);
	sg_compressor_free(comp);
	meta[0].value = "zstd";
	UNIT_OK(sg_store_put(st, key, bad.data, bad.len, meta, 3, &err), "overwrite %s with other content", key);
	rc = wal_fetch(st, name, dest, &err);
	UNIT_OK(rc == -1 && err.kind == SG_ERR_CORRUPT, "fetch of other content fails its checksum (%s; %s)",
			err.msg, err.detail);
	UNIT_OK(file_is(dest, untouched, strlen(untouched)), "dest is untouched");

	/* 3: a shorter valid frame */
	sg_buf_reset(&bad);
	comp = sg_compressor_new(SG_COMPRESSION_ZSTD, 0, &err);
	sg_compressor_feed(comp, data, len / 2, &bad, &err);
	sg_compressor_finish(comp, &bad, &err);
	sg_compressor_free(comp);
	UNIT_OK(sg_store_put(st, key, bad.data, bad.len, meta, 3, &err), "overwrite %s with half the content", key);
	rc = wal_fetch(st, name, dest, &err);
	UNIT_OK(rc == -1 && err.kind == SG_ERR_CORRUPT, "fetch of a short object fails as corrupt (%s; %s)",
			err.msg, err.detail);
	UNIT_OK(file_is(dest, untouched, strlen(untouched)), "dest is untouched");

	/* 4: no metadata */
	UNIT_OK(sg_store_put(st, key, stored.data, stored.len, NULL, 0, &err), "overwrite %s without metadata", key);
	rc = wal_fetch(st, name, dest, &err);
	UNIT_OK(rc == -1 && err.kind == SG_ERR_CORRUPT, "fetch of an object without metadata fails (%s)", err.msg);
	UNIT_OK(file_is(dest, untouched, strlen(untouched)), "dest is untouched");
	path_of(src, name, "");
	unit_write_file(src, data, len);
	UNIT_OK(!wal_push(st, src, name, SG_COMPRESSION_ZSTD, 0, NULL, &err) &&
			err.kind == SG_ERR_CONFLICT, "push over an object without metadata is a conflict");

	sg_store_info_free(&info);
	sg_buf_free(&stored);
	sg_buf_free(&bad);
}

/* ---------------------------------------------------------------- */
/* decompression bombs */

/* hex sha256 of len zero bytes: what the start of a bomb hashes to */
static void
zeros_sha256(size_t len, char *hex)
{
	char	   *zeros = calloc(1, len + 1);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(zeros, len, md, &n, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	free(zeros);
}

/* store bomb under wal/<name> with metadata claiming size bytes of zeros */
static bool
put_bomb(sg_store *st, const char *name, const sg_buf *bomb,
		 sg_compression method, int64_t size)
{
	char		key[128],
				size_text[32],
				sha[65];
	sg_store_meta meta[3];
	sg_error	err;
	bool		ok;

	snprintf(key, sizeof(key), "wal/%s", name);
	snprintf(size_text, sizeof(size_text), "%lld", (long long) size);
	zeros_sha256(size < SEG_SIZE ? (size_t) size : SEG_SIZE, sha);
	meta[0] = (sg_store_meta) {"sgbackup-compression", sg_compression_name(method)};
	meta[1] = (sg_store_meta) {"sgbackup-size", size_text};
	meta[2] = (sg_store_meta) {"sgbackup-sha256", sha};
	sg_error_clear(&err);
	ok = sg_store_put(st, key, bomb->data, bomb->len, meta, 3, &err);
	UNIT_OK(ok, "store a %s bomb of %zu bytes as %s, claiming %lld bytes%s%s",
			sg_compression_name(method), bomb->len, key, (long long) size,
			ok ? "" : ": ", ok ? "" : err.msg);
	return ok;
}

/* a fetch to make in a child process, and what it returned */
typedef struct fetch_call
{
	const char *prefix;
	const char *name;
	const char *dest;			/* NULL: wal_fetch_mem */
} fetch_call;

typedef struct fetch_run
{
	int			rc;
	sg_error	err;
	size_t		out_len;		/* wal_fetch_mem: bytes returned */
	long		growth_kb;		/* peak resident memory above the start */
} fetch_run;

/* for unit_in_child: the fetch, with a client of the child's own */
static void
fetch_here(void *arg, void *result)
{
	fetch_call *call = arg;
	fetch_run  *run = result;
	sg_store   *st = open_current(&run->err);
	long		before = unit_peak_rss_kb();
	sg_buf		out;

	sg_buf_init(&out);
	if (st == NULL)
		run->rc = -2;
	else if (call->dest != NULL)
		run->rc = wal_fetch(st, call->name, call->dest, &run->err);
	else
		run->rc = wal_fetch_mem(st, call->name, 1 << 20, &out, &run->err);
	run->growth_kb = unit_peak_rss_kb() - before;
	run->out_len = out.len;
	sg_buf_free(&out);
	sg_store_free(st);
}

/* wal_fetch of a bomb: refused, dest untouched, small peak */
static void
fetch_bomb(const char *prefix, const char *name, const char *what)
{
	const char *untouched = "the previous content of dest\n";
	char		dest[PATH_LEN],
				tmp[PATH_LEN + 16];
	fetch_call	call = {prefix, name, dest};
	fetch_run	res;
	bool		ran;

	path_of(dest, name, ".bomb-dest");
	snprintf(tmp, sizeof(tmp), "%s.sgbackup.tmp", dest);
	unit_write_file(dest, untouched, strlen(untouched));
	ran = unit_in_child(fetch_here, &call, &res, sizeof(res));
	UNIT_OK(ran && res.rc == -1 && res.err.kind == SG_ERR_CORRUPT,
			"wal_fetch refuses %s as corrupt (%s; %s)", what, res.err.msg, res.err.detail);
	UNIT_OK(file_is(dest, untouched, strlen(untouched)) && !exists(tmp),
			"wal_fetch of %s leaves dest untouched and no temporary file", what);
	UNIT_OK(ran && res.growth_kb < BOMB_MAX_RSS_KB,
			"wal_fetch of %s takes %ld kB of memory at its peak (limit %d kB)",
			what, res.growth_kb, BOMB_MAX_RSS_KB);
}

/* the sgbackup program of this tree (test/unit/X -> src/bin/sgbackup) */
static bool
program_path(char *out, size_t size)
{
	const char *given = getenv("SG_TEST_SGBACKUP");
	char		self[PATH_LEN];
	ssize_t		n;
	char	   *cut;

	snprintf(out, size, "src/bin/sgbackup of this tree");
	if (given && given[0])
		snprintf(out, size, "%s", given);
	else
	{
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n < 0)
			return false;
		self[n] = '\0';
		if ((cut = strstr(self, "/test/unit/")) == NULL)
			return false;
		*cut = '\0';
		snprintf(out, size, "%s/src/bin/sgbackup", self);
	}
	return access(out, X_OK) == 0;
}

/*
 * Run as `test_wal_store --peak-rss REPORT PROGRAM ARGS...`: run PROGRAM and
 * write its wait status and peak memory to REPORT.  A process's peak
 * memory counts the process it was forked from, so the program is forked
 * from this small fresh image, not from the test with its buffers.
 */
static int
report_peak_rss(char **argv)
{
	const char *report = argv[0];
	struct rusage ru;
	FILE	   *f;
	int			status;
	pid_t		pid = fork();

	if (pid == 0)
	{
		execv(argv[1], argv + 1);
		_exit(125);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || (f = fopen(report, "w")) == NULL)
		return 1;
	fprintf(f, "%d %ld\n", status, ru.ru_maxrss);
	return fclose(f) == 0 ? 0 : 1;
}

/* how a run of the program ended */
typedef struct program_run
{
	int			status;			/* from wait4 */
	int			code;			/* exit status, or 128 + signal */
	long		peak_rss_kb;	/* of the program alone */
	char		stderr_text[2048];
} program_run;

#define MAX_ARGS 8

/*
 * In a child: `program wal-fetch args...` through report_peak_rss, with
 * the test bucket in SGBACKUP_* variables and stderr to a file
 */
static void
exec_wal_fetch(const char *program, const char *prefix, const char *const *args,
			   const char *errpath, const char *report)
{
	const char *region = getenv("SG_TEST_S3_REGION");
	const char *argv[MAX_ARGS + 6] = {"test_wal_store", "--peak-rss", report, program, "wal-fetch"};
	char		bucket[300];
	int			fd = open(errpath, O_CREAT | O_TRUNC | O_WRONLY, 0600);

	if (fd < 0 || dup2(fd, 2) < 0)
		_exit(125);
	for (int i = 0; i < MAX_ARGS && args[i]; i++)
		argv[5 + i] = args[i];
	if (on_gateway)
	{
		snprintf(bucket, sizeof(bucket), "%s/%s", getenv("SG_TEST_S3_BUCKET"), prefix);
		setenv("SGBACKUP_S3_BUCKET", bucket, 1);
		setenv("SGBACKUP_S3_ENDPOINT", getenv("SG_TEST_S3_HTTP"), 1);
		setenv("SGBACKUP_S3_REGION", region ? region : "us-east-1", 1);
		setenv("SGBACKUP_S3_FORCE_PATH_STYLE", "true", 1);
	}
	else
		setenv("SGBACKUP_REPOSITORY_PATH", unit_local_root, 1);
	/* a corrupt object is retried for a minute by default: not here */
	setenv("SGBACKUP_WAL_FETCH_RETRY_SECONDS", "0", 1);
	execv("/proc/self/exe", (char *const *) argv);
	_exit(125);
}

/*
 * Run `sgbackup wal-fetch args...` (NULL-terminated), measuring its peak
 * memory; tag names the files kept for it
 */
static bool
run_wal_fetch(const char *program, const char *prefix, const char *tag,
			  const char *const *args, program_run *run)
{
	char		errpath[PATH_LEN],
				report[PATH_LEN];
	FILE	   *f;
	size_t		n = 0;
	int			status;
	bool		ok;
	pid_t		pid;

	path_of(errpath, tag, ".stderr");
	path_of(report, tag, ".peak-rss");
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		exec_wal_fetch(program, prefix, args, errpath, report);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0 ||
		(f = fopen(report, "r")) == NULL)
	{
		UNIT_OK(0, "run %s through test_wal_store --peak-rss", program);
		return false;
	}
	ok = fscanf(f, "%d %ld", &run->status, &run->peak_rss_kb) == 2;
	fclose(f);
	if ((f = fopen(errpath, "r")) != NULL)
	{
		n = fread(run->stderr_text, 1, sizeof(run->stderr_text) - 1, f);
		fclose(f);
	}
	run->stderr_text[n] = '\0';
	run->code = WIFEXITED(run->status) ? WEXITSTATUS(run->status) : 128 + WTERMSIG(run->status);
	printf("# sgbackup wal-fetch %s: exit %d, peak RSS %ld kB\n", tag, run->code, run->peak_rss_kb);
	/* its first lines of stderr */
	for (const char *p = run->stderr_text; *p && p < run->stderr_text + 400;)
	{
		size_t		k = strcspn(p, "\n");

		printf("#   %.*s\n", (int) k, p);
		p += k + (p[k] != '\0');
	}
	UNIT_OK(ok, "sgbackup wal-fetch %s ran", tag);
	return ok;
}

/* `sgbackup wal-fetch` of a bomb: the figure issue 6 asks for */
static void
program_bomb(const char *program, const char *prefix, const char *name,
			 const char *what)
{
	char		dest[PATH_LEN],
				tmp[PATH_LEN + 16];
	const char *args[] = {name, dest, NULL};
	program_run run;

	path_of(dest, name, ".program-dest");
	snprintf(tmp, sizeof(tmp), "%s.sgbackup.tmp", dest);
	if (!run_wal_fetch(program, prefix, what, args, &run))
		return;
	UNIT_OK(WIFEXITED(run.status) && run.code > 125,
			"sgbackup wal-fetch of %s exits above 125, so recovery stops (exit %d)", what, run.code);
	UNIT_OK(strstr(run.stderr_text, "larger") != NULL || strstr(run.stderr_text, "corrupt") != NULL,
			"sgbackup wal-fetch of %s says the file is larger than stored or corrupt", what);
	UNIT_OK(!exists(dest) && !exists(tmp),
			"sgbackup wal-fetch of %s leaves no file at dest and no temporary file", what);
	UNIT_OK(run.peak_rss_kb < BOMB_MAX_RSS_KB,
			"sgbackup wal-fetch of %s peaks at %ld kB of memory (limit %d kB)",
			what, run.peak_rss_kb, BOMB_MAX_RSS_KB);
}

/* a good segment, a missing file, a bad name, a wrong argument count */
static void
program_exits(sg_store *st, const char *program, const char *prefix,
			  const char *good, const char *seg)
{
	char		src[PATH_LEN],
				dest[PATH_LEN];
	const char *args_good[] = {good, dest, NULL};
	const char *args_missing[] = {"0000000100000000000000FE", dest, NULL};
	const char *args_bad[] = {"not-a-wal-name", dest, NULL};
	const char *args_few[] = {good, NULL};
	program_run run;
	sg_error	err;
	bool		ok;

	sg_error_clear(&err);
	ok = unit_write_file(path_of(src, good, ""), seg, SEG_SIZE) &&
		wal_push(st, src, good, SG_COMPRESSION_ZSTD, 0, NULL, &err);
	UNIT_OK(ok, "push %s%s%s", good, ok ? "" : ": ", ok ? "" : err.msg);
	path_of(dest, good, ".program-good");
	if (run_wal_fetch(program, prefix, "of a good segment", args_good, &run))
	{
		UNIT_OK(run.code == 0 && file_is(dest, seg, SEG_SIZE),
				"sgbackup wal-fetch of a good segment exits 0 with the file (exit %d)", run.code);
		UNIT_OK(run.peak_rss_kb < BOMB_MAX_RSS_KB,
				"sgbackup wal-fetch of a good segment peaks at %ld kB of memory", run.peak_rss_kb);
	}
	path_of(dest, "missing", ".program");
	if (run_wal_fetch(program, prefix, "of a missing file", args_missing, &run))
		UNIT_OK(run.code == 1 && run.stderr_text[0] == '\0' && !exists(dest),
				"sgbackup wal-fetch of a missing file exits 1 quietly (exit %d)", run.code);
	if (run_wal_fetch(program, prefix, "of an invalid name", args_bad, &run))
		UNIT_OK(run.code > 125 && strstr(run.stderr_text, "not-a-wal-name") != NULL,
				"sgbackup wal-fetch of an invalid name exits above 125 (exit %d)", run.code);
	if (run_wal_fetch(program, prefix, "with one argument", args_few, &run))
		UNIT_OK(run.code > 125, "sgbackup wal-fetch with one argument exits above 125 (exit %d)",
				run.code);
}

/* wal_fetch_mem of a bomb stored as a .history file claiming 1000 bytes */
static void
fetch_mem_bomb(const char *prefix, const char *name)
{
	fetch_call	call = {prefix, name, NULL};
	fetch_run	res;
	bool		ran = unit_in_child(fetch_here, &call, &res, sizeof(res));

	UNIT_OK(ran && res.rc == -1 && res.err.kind == SG_ERR_CORRUPT && res.out_len == 0,
			"wal_fetch_mem refuses a bomb claiming 1000 bytes (%s; %s)", res.err.msg, res.err.detail);
	UNIT_OK(ran && res.growth_kb < BOMB_MAX_RSS_KB,
			"wal_fetch_mem of a bomb takes %ld kB of memory at its peak (limit %d kB)",
			res.growth_kb, BOMB_MAX_RSS_KB);
}

/*
 * 4 GiB of zeros under segment names claiming 16 MiB (and the sha256 of
 * 16 MiB of zeros, so only the size gives them away), under a segment name
 * claiming all of it, and under a .history name claiming 1000 bytes.
 */
static void
test_bombs(sg_store *st, const char *prefix, const char *seg)
{
	sg_buf		zbomb,
				lbomb;
	char		program[PATH_LEN];

	sg_buf_init(&zbomb);
	sg_buf_init(&lbomb);
	UNIT_OK(unit_make_bomb(SG_COMPRESSION_ZSTD, 0, &zbomb) &&
			unit_make_bomb(SG_COMPRESSION_LZ4, 0, &lbomb),
			"4 GiB of zeros compress to %zu bytes (zstd) and %zu bytes (lz4)",
			zbomb.len, lbomb.len);
	if (put_bomb(st, "000000010000000000000020", &zbomb, SG_COMPRESSION_ZSTD, SEG_SIZE))
		fetch_bomb(prefix, "000000010000000000000020", "a zstd bomb claiming 16 MiB");
	if (put_bomb(st, "000000010000000000000021", &lbomb, SG_COMPRESSION_LZ4, SEG_SIZE))
		fetch_bomb(prefix, "000000010000000000000021", "an lz4 bomb claiming 16 MiB");
	if (put_bomb(st, "000000010000000000000022", &zbomb, SG_COMPRESSION_ZSTD, UNIT_BOMB_SIZE))
		fetch_bomb(prefix, "000000010000000000000022", "a zstd bomb claiming its 4 GiB");
	if (put_bomb(st, "00000009.history", &zbomb, SG_COMPRESSION_ZSTD, 1000))
		fetch_mem_bomb(prefix, "00000009.history");

	if (!program_path(program, sizeof(program)))
		UNIT_OK(0, "no sgbackup program at %s (build it with make, or set SG_TEST_SGBACKUP)", program);
	else
	{
		program_bomb(program, prefix, "000000010000000000000020", "a zstd bomb claiming 16 MiB");
		program_bomb(program, prefix, "000000010000000000000021", "an lz4 bomb claiming 16 MiB");
		program_exits(st, program, prefix, "000000010000000000000023", seg);
	}
	sg_buf_free(&zbomb);
	sg_buf_free(&lbomb);
}

/* every check that uses a store, over st */
static void
test_store(sg_store *st, char *seg)
{
	const char *history = "1\t0/3000000\tno recovery target specified\n";
	const char *backup = "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n";
	int			n;

	printf("# over the %s\n", sg_store_description(st));
	push_fetch(st, "000000010000000000000001", seg, SEG_SIZE, SG_COMPRESSION_ZSTD);
	seg[0] ^= 1;
	push_fetch(st, "000000010000000000000002", seg, SEG_SIZE, SG_COMPRESSION_LZ4);
	seg[0] ^= 2;
	push_fetch(st, "000000010000000000000003", seg, SEG_SIZE, SG_COMPRESSION_NONE);
	seg[0] ^= 3;
	test_repush(st, "000000010000000000000001", seg, SEG_SIZE);

	push_fetch(st, "00000002.history", history, strlen(history), SG_COMPRESSION_ZSTD);
	test_repush(st, "00000002.history", history, strlen(history));
	push_fetch(st, "000000010000000000000002.00000028.backup", backup, strlen(backup),
			   SG_COMPRESSION_LZ4);
	push_fetch(st, "000000010000000000000004.partial", seg, SEG_SIZE / 2, SG_COMPRESSION_ZSTD);
	push_fetch(st, "000000010000000000000005", "", 0, SG_COMPRESSION_ZSTD);
	push_fetch(st, "000000010000000000000007", "", 0, SG_COMPRESSION_NONE);

	test_missing(st);
	test_corrupt(st, "000000010000000000000001", seg, SEG_SIZE);
	test_bombs(st, prefix, seg);
	n = unit_store_clear(st);
	UNIT_OK(n >= 0, "deleted the %d test objects", n);
}

/* the same over the gateway, and once over its https endpoint */
static void
test_gateway(char *seg)
{
	const char *https = getenv("SG_TEST_S3_HTTPS");
	sg_error	err;
	sg_store   *st;

	if (!unit_gateway_setup("unit-walstore"))
	{
		UNIT_SKIP("wal_store over S3", UNIT_NO_GATEWAY);
		return;
	}
	on_gateway = true;
	st = unit_gateway_store(NULL, NULL, &err);
	UNIT_OK(st != NULL, "store for %s%s%s", http_endpoint, st ? "" : ": ", st ? "" : err.msg);
	if (st == NULL)
		return;
	test_store(st, seg);
	if (https && https[0] && getenv("SG_TEST_S3_CA_FILE"))
	{
		sg_store   *tls = unit_gateway_store(https, getenv("SG_TEST_S3_CA_FILE"), &err);

		UNIT_OK(tls != NULL, "store for %s%s%s", https, tls ? "" : ": ", tls ? "" : err.msg);
		if (tls)
		{
			seg[100] ^= 1;
			push_fetch(tls, "000000010000000000000006", seg, SEG_SIZE, SG_COMPRESSION_ZSTD);
			sg_store_free(tls);
		}
	}
	UNIT_OK(unit_store_clear(st) >= 0, "deleted the test objects");
	sg_store_free(st);
}

int
main(int argc, char **argv)
{
	char	   *seg;
	sg_error	err;
	sg_store   *st;

	if (argc > 3 && strcmp(argv[1], "--peak-rss") == 0)
		return report_peak_rss(argv + 2);
	test_names();
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sgb-unit-walstore-%d-%ld", (int) getpid(),
			 (long) time(NULL));
	if (mkdir(tmpdir, 0700) != 0)
	{
		printf("Bail out! could not create %s: %s\n", tmpdir, strerror(errno));
		return 1;
	}
	seg = make_segment();
	st = unit_local_store("unit-walstore", &err);
	UNIT_OK(st != NULL, "local store%s%s", st ? "" : ": ", st ? "" : err.msg);
	if (st)
	{
		test_store(st, seg);
		sg_store_free(st);
		unit_rm_rf(unit_local_root);
	}
	test_gateway(seg);
	free(seg);
	unit_rm_rf(tmpdir);
	return UNIT_DONE();
}
