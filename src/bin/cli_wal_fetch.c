/*
 * cli_wal_fetch.c - `sgbackup wal-fetch FILE DEST`, made for PostgreSQL's
 * restore_command = 'sgbackup wal-fetch %f %p'.
 *
 * PostgreSQL reads the exit status (xlogarchive.c, RestoreArchivedFile): 0
 * is a restored file; up to 125 is "not there", which ends recovery and
 * promotes the server, so it must mean exactly that; above 125 or a signal
 * is FATAL, which stops recovery until the server is started again.  So:
 * 0 fetched, 1 not in storage (quietly), and any other failure is retried
 * with back-off for SGBACKUP_WAL_FETCH_RETRY_SECONDS (default 60) before
 * exiting 255.  SIGTERM and SIGINT (the postmaster signals the startup
 * process's whole process group on shutdown) end the back-off and the
 * transfers at once, with exit status 128 + the signal number.
 *
 * Prefetch: asked for segment X, wal-fetch also fetches the next segments
 * of its timeline, X+1..X+N (N = download_concurrency), in parallel
 * threads into the cache directory <dirname(DEST)>/.sgbackup-prefetch/,
 * each verified by wal_fetch and renamed into the cache only once
 * complete.  A later call for a cached segment renames it to DEST (the same
 * file system) without asking the storage.  The cache holds at most the N
 * segments after the one asked for; a segment or timeline history file
 * that is not in storage (the end of the archived WAL) removes it.  The
 * cache is refilled, N segments in one round trip, when it runs dry: a
 * refill on every call would cost a round trip per segment, as no prefetch
 * does.  Nothing outlives the process: it waits for its threads.
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_config.h"
#include "cli_wal_fetch.h"
#include "sg_buf.h"
#include "store.h"
#include "wal_store.h"

#define BACKOFF_FIRST_S	0.5		/* the first pause between attempts */
#define BACKOFF_MAX_S	8.0		/* pauses double up to this */
#define PREFETCH_RETRY_S 10		/* a prefetch retries no longer than this */
#define SEGMENT_NAME_LEN 24
#define SEGMENT_MIN		((int64_t) 1 << 20) /* wal_segment_size limits */
#define SEGMENT_MAX		((int64_t) 1 << 30)

/* ---------------------------------------------------------------- */
/* signals */

static volatile sig_atomic_t stop_signal;

static void
on_signal(int signo)
{
	stop_signal = signo;
}

/* SIGTERM and SIGINT set stop_signal, and interrupt sleeps (no SA_RESTART) */
static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* s3_limits.cancel_fn: a signal stops every transfer */
static bool
signalled(void *arg)
{
	return stop_signal != 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

/* sleep this long, or less when a signal comes */
static void
pause_for(double seconds)
{
	double		until = now_s() + seconds;
	double		left;

	while (!stop_signal && (left = until - now_s()) > 0)
	{
		struct timespec ts = {0, 50 * 1000 * 1000};

		if (left < 0.05)
			ts.tv_nsec = (long) (left * 1e9);
		nanosleep(&ts, NULL);
	}
}

/* limits of a store that retries for about this long */
static void
set_limits(s3_limits *limits, double seconds, int64_t bandwidth)
{
	int			total = seconds < 1 ? 1 : (int) seconds + (seconds > (int) seconds);

	memset(limits, 0, sizeof(*limits));
	limits->total_timeout_s = total;
	limits->connect_timeout_s = total < 3 ? 3 : total > 10 ? 10 : total;
	limits->max_bandwidth = bandwidth;
	limits->cancel_fn = signalled;
}

/* ---------------------------------------------------------------- */
/* fetching the file asked for */

/* one run of wal-fetch */
typedef struct fetch_call
{
	const char *config_path;
	const char *name;
	const char *dest;
	int			budget;			/* seconds to retry failures */
	sg_config	config;
	bool		loaded;			/* config is the configuration in force */
	int			attempts;
	double		started;
	sg_error	err;
} fetch_call;

/* SGBACKUP_WAL_FETCH_RETRY_SECONDS, a whole number of seconds (0: no retry) */
static bool
read_budget(fetch_call *fc, sg_error *err)
{
	const char *v = getenv(WAL_FETCH_RETRY_VARIABLE);
	char	   *end;
	long		n;

	fc->budget = WAL_FETCH_RETRY_DEFAULT;
	if (v == NULL || v[0] == '\0')
		return true;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno == 0 && *end == '\0' && n >= 0 && n <= 7 * 24 * 3600)
	{
		fc->budget = (int) n;
		return true;
	}
	sg_error_set(err, SG_ERR_CONFIG, "invalid value for %s: \"%s\"",
				 WAL_FETCH_RETRY_VARIABLE, v);
	sg_error_hint(err, "Give a whole number of seconds from 0 (no retry) to 604800.");
	return false;
}

static bool
load_config(fetch_call *fc, sg_error *err)
{
	if (fc->loaded)
		return true;
	sg_config_init(&fc->config);
	fc->loaded = cli_load_config(fc->config_path, &fc->config, err);
	if (!fc->loaded)
		sg_config_free(&fc->config);
	return fc->loaded;
}

static bool
stop_listing(void *arg, const sg_store_entry *entry)
{
	return false;
}

/*
 * The object is missing: check that the bucket is there, since S3 answers
 * 404 for a bucket that does not exist as well, and wal_fetch reports both
 * as not in storage.  One listing request; a local repository needs none.
 */
static bool
storage_answers(sg_store *st, const char *name, sg_error *err)
{
	char		key[64];

	if (sg_store_s3_client(st) == NULL)
		return true;
	snprintf(key, sizeof(key), "wal/%s", name);
	return sg_store_list(st, "wal/", key, stop_listing, NULL, err);
}

/* one attempt: 1 fetched, 0 not in storage, -1 failed (err says why) */
static int
attempt(fetch_call *fc, double seconds, sg_error *err)
{
	s3_limits	limits;
	sg_store   *st;
	int			rc;

	if (!load_config(fc, err))
		return -1;
	set_limits(&limits, seconds, fc->config.max_network_bandwidth);
	st = sg_store_open(&fc->config.storage, fc->config.secrets_directory, &limits, err);
	if (st == NULL)
		return -1;
	rc = wal_fetch(st, fc->name, fc->dest, err);
	if (rc == 0 && !storage_answers(st, fc->name, err))
		rc = -1;
	sg_store_free(st);
	return rc;
}

/*
 * Attempts until one fetches the file or finds it missing, pausing 0.5 s
 * doubling to 8 s between them, for fc->budget seconds; -1 after that or
 * when a signal came, with the last failure in fc->err.  A configuration
 * error (SG_ERR_CONFIG: a bad setting or file, a wrong region, a
 * certificate that does not verify) is not retried: it stays until someone
 * fixes it, and exits 255 all the same.
 */
static int
fetch_with_retry(fetch_call *fc)
{
	double		deadline = fc->started + fc->budget;
	double		backoff = BACKOFF_FIRST_S;

	for (;;)
	{
		double		left;
		double		pause;
		int			rc;

		fc->attempts++;
		sg_error_clear(&fc->err);
		rc = attempt(fc, deadline - now_s(), &fc->err);
		left = deadline - now_s();
		if (rc >= 0 || stop_signal || left <= 0 || fc->err.kind == SG_ERR_CONFIG)
			return rc;
		pause = backoff < left ? backoff : left;
		fprintf(stderr, "sgbackup: warning: could not fetch WAL file \"%s\" (attempt %d): %s; retrying in %.1f s\n",
				fc->name, fc->attempts, fc->err.msg, pause);
		pause_for(pause);
		if (stop_signal)
			return -1;
		backoff = backoff * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : backoff * 2;
	}
}

/* ---------------------------------------------------------------- */
/* segment names */

static bool
is_segment(const char *name)
{
	return strlen(name) == SEGMENT_NAME_LEN && wal_name_valid(name);
}

static bool
is_history(const char *name)
{
	return strlen(name) == 16 && wal_name_valid(name);
}

static uint32_t
hex8(const char *s)
{
	char		part[9];

	memcpy(part, s, 8);
	part[8] = '\0';
	return (uint32_t) strtoul(part, NULL, 16);
}

/* a WAL segment size PostgreSQL allows: a power of 2 from 1 MiB to 1 GiB */
static bool
segment_size_valid(int64_t size)
{
	return size >= SEGMENT_MIN && size <= SEGMENT_MAX && (size & (size - 1)) == 0;
}

/*
 * The name of the segment k after segment name on its timeline, for
 * segments of segment_size bytes (PostgreSQL's XLogFileName); false when
 * there is none.
 */
static bool
segment_after(const char *name, int k, int64_t segment_size, char *out)
{
	uint64_t	per_id = ((uint64_t) 1 << 32) / (uint64_t) segment_size;
	uint64_t	seg = hex8(name + 16);
	uint64_t	segno;

	if (seg >= per_id)
		return false;
	segno = (uint64_t) hex8(name + 8) * per_id + seg + (uint64_t) k;
	if (segno / per_id > UINT32_MAX)
		return false;
	snprintf(out, SEGMENT_NAME_LEN + 1, "%08X%08X%08X", hex8(name),
			 (unsigned int) (segno / per_id), (unsigned int) (segno % per_id));
	return true;
}

/* ---------------------------------------------------------------- */
/* the prefetch cache */

/* <dirname(dest)>/.sgbackup-prefetch */
static char *
cache_dir(const char *dest)
{
	char	   *copy = sg_strdup(dest);
	sg_buf		b;

	sg_buf_init(&b);
	sg_buf_printf(&b, "%s/%s", dirname(copy), WAL_FETCH_CACHE);
	free(copy);
	return b.data;
}

static char *
cache_entry(const char *cache, const char *name)
{
	sg_buf		b;

	sg_buf_init(&b);
	sg_buf_printf(&b, "%s/%s", cache, name);
	return b.data;
}

/*
 * A cache file to keep: a segment of the timeline of from, not older than
 * from, and not newer than upto unless upto is NULL.  Never when from is
 * NULL.
 */
static bool
cache_keeps(const char *file, const char *from, const char *upto)
{
	return from && is_segment(file) && strncmp(file, from, 8) == 0 &&
		strcmp(file + 8, from + 8) >= 0 &&
		(upto == NULL || strcmp(file + 8, upto + 8) <= 0);
}

/*
 * Remove every cache file but those cache_keeps: older segments, other
 * timelines, segments past the window, what a killed run left (temporary
 * files).
 */
static void
cache_trim(const char *cache, const char *from, const char *upto)
{
	DIR		   *dir = opendir(cache);
	struct dirent *e;

	if (dir == NULL)
		return;
	while ((e = readdir(dir)) != NULL)
	{
		char	   *path;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
			cache_keeps(e->d_name, from, upto))
			continue;
		path = cache_entry(cache, e->d_name);
		unlink(path);
		free(path);
	}
	closedir(dir);
}

/* the end of the archived WAL: no cache any more */
static void
cache_remove(const char *cache)
{
	cache_trim(cache, NULL, NULL);
	rmdir(cache);
}

static bool
cache_has(const char *cache, const char *name)
{
	char	   *path = cache_entry(cache, name);
	struct stat st;
	bool		found = stat(path, &st) == 0 && S_ISREG(st.st_mode);

	free(path);
	return found;
}

/* rename the cached copy of name to dest and fsync; false when not cached */
static bool
cache_take(const char *cache, const char *name, const char *dest)
{
	char	   *path = cache_entry(cache, name);
	struct stat st;
	sg_error	err;
	bool		taken = false;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		segment_size_valid(st.st_size) && rename(path, dest) == 0)
		taken = sg_fsync_parent(dest, &err);
	free(path);
	return taken;
}

/* ---------------------------------------------------------------- */
/* prefetching */

/* segments to fetch into the cache, shared by the threads */
typedef struct batch
{
	const sg_config *config;
	const char *cache;
	char		names[SG_MAX_DOWNLOAD_CONCURRENCY][SEGMENT_NAME_LEN + 1];
	int			count;
	int			next;			/* the next one to take */
	int			end;			/* none from here on is started */
	int64_t		bandwidth;		/* each thread's share */
	int			retry_seconds;	/* how long a thread's store retries */
	pthread_mutex_t lock;
} batch;

/* the index of the next segment to fetch, or -1 */
static int
batch_take(batch *b)
{
	int			i = -1;

	pthread_mutex_lock(&b->lock);
	if (b->next < b->end)
		i = b->next++;
	pthread_mutex_unlock(&b->lock);
	return i;
}

/* segment i is missing or failed: the batch ends there */
static void
batch_stop(batch *b, int i)
{
	pthread_mutex_lock(&b->lock);
	if (i < b->end)
		b->end = i;
	pthread_mutex_unlock(&b->lock);
}

static void *
prefetch_thread(void *arg)
{
	batch	   *b = arg;
	s3_limits	limits;
	sg_error	err;
	sg_store   *st;
	int			i;

	sg_error_clear(&err);
	set_limits(&limits, b->retry_seconds, b->bandwidth);
	st = sg_store_open(&b->config->storage, b->config->secrets_directory, &limits, &err);
	if (st == NULL)
	{
		batch_stop(b, 0);
		return NULL;
	}
	while ((i = batch_take(b)) >= 0 && !stop_signal)
	{
		char	   *path = cache_entry(b->cache, b->names[i]);

		if (wal_fetch(st, b->names[i], path, &err) != 1)
			batch_stop(b, i);
		free(path);
	}
	sg_store_free(st);
	return NULL;
}

/*
 * The segments after name to fetch: none while the next one is cached,
 * else those of the next n that are not.
 */
static void
batch_plan(batch *b, const char *name, int n, int64_t segment_size)
{
	char		next[SEGMENT_NAME_LEN + 1];

	b->count = 0;
	if (!segment_after(name, 1, segment_size, next) || cache_has(b->cache, next))
		return;
	for (int k = 1; k <= n && segment_after(name, k, segment_size, next); k++)
		if (!cache_has(b->cache, next))
			memcpy(b->names[b->count++], next, sizeof(next));
	b->end = b->count;
}

/* run the batch in min(n, count) threads, which never take SIGTERM or SIGINT */
static void
batch_run(batch *b, int n)
{
	pthread_t	threads[SG_MAX_DOWNLOAD_CONCURRENCY];
	sigset_t	block;
	sigset_t	old;
	int			started = 0;

	if (n > b->count)
		n = b->count;
	b->bandwidth = b->config->max_network_bandwidth / n;
	if (b->bandwidth == 0 && b->config->max_network_bandwidth > 0)
		b->bandwidth = 1;
	pthread_mutex_init(&b->lock, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	while (started < n && pthread_create(&threads[started], NULL, prefetch_thread, b) == 0)
		started++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&b->lock);
}

/*
 * Segment name is in dest: keep the cache to the n segments after it, and
 * refill it when it has run dry.  Failures are quiet: the fetch of a
 * segment that could not be prefetched reports them.
 */
static void
prefetch(fetch_call *fc, const char *cache)
{
	char		upto[SEGMENT_NAME_LEN + 1];
	struct stat st;
	sg_error	err;
	batch		b;
	int			n;

	if (stop_signal || !load_config(fc, &err))
		return;
	n = fc->config.download_concurrency;
	if (n > SG_MAX_DOWNLOAD_CONCURRENCY)
		n = SG_MAX_DOWNLOAD_CONCURRENCY;
	if (n <= 1 || stat(fc->dest, &st) != 0 || !segment_size_valid(st.st_size) ||
		!segment_after(fc->name, n, st.st_size, upto))
	{
		cache_remove(cache);
		return;
	}
	cache_trim(cache, fc->name, upto);
	if (mkdir(cache, 0700) != 0 && errno != EEXIST)
		return;
	memset(&b, 0, sizeof(b));
	b.config = &fc->config;
	b.cache = cache;
	b.retry_seconds = fc->budget < PREFETCH_RETRY_S ? fc->budget : PREFETCH_RETRY_S;
	batch_plan(&b, fc->name, n, st.st_size);
	if (b.count > 0)
		batch_run(&b, n);
}

/* ---------------------------------------------------------------- */

/* the exit status after the fetch returned rc (1, 0 or -1) */
static int
exit_status(fetch_call *fc, int rc)
{
	if (stop_signal)
	{
		fprintf(stderr, "sgbackup: wal-fetch of \"%s\" stopped by signal %d\n",
				fc->name, (int) stop_signal);
		return 128 + stop_signal;
	}
	if (rc == 1)
		return 0;
	if (rc == 0)
		return WAL_FETCH_NOT_FOUND; /* quietly: recovery probes for files */
	cli_report(&fc->err);
	if (fc->attempts > 0 && fc->err.kind != SG_ERR_CONFIG)
		fprintf(stderr, "sgbackup: gave up on WAL file \"%s\" after %d attempt%s in %.1f s (%s=%d); "
				"recovery stops here instead of ending early\n",
				fc->name, fc->attempts, fc->attempts == 1 ? "" : "s",
				now_s() - fc->started, WAL_FETCH_RETRY_VARIABLE, fc->budget);
	return WAL_FETCH_FAILED;
}

int
cli_wal_fetch(const char *config_path, const char *name, const char *dest)
{
	fetch_call	fc;
	char	   *cache = NULL;
	int			rc = -1;

	memset(&fc, 0, sizeof(fc));
	fc.config_path = config_path;
	fc.name = name;
	fc.dest = dest;
	fc.started = now_s();
	catch_signals();
	if (!wal_name_valid(name))
		sg_error_set(&fc.err, SG_ERR_CONFIG, "\"%s\" is not the name of a WAL file", name);
	else if (read_budget(&fc, &fc.err))
	{
		if (is_segment(name) || is_history(name))
			cache = cache_dir(dest);
		if (is_segment(name))
		{
			cache_trim(cache, name, NULL);
			if (cache_take(cache, name, dest))
				rc = 1;
		}
		if (rc != 1)
			rc = fetch_with_retry(&fc);
		if (rc == 0 && cache)
			cache_remove(cache);
		else if (rc == 1 && is_segment(name))
			prefetch(&fc, cache);
	}
	rc = exit_status(&fc, rc);
	if (fc.loaded)
		sg_config_free(&fc.config);
	free(cache);
	return rc;
}
