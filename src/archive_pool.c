/*
 * archive_pool.c - look-ahead upload threads of the archive module (see
 * archive_pool.h).
 *
 * Jobs live in a small table protected by one mutex.  The archiver thread
 * queues jobs and waits for them; worker threads take queued jobs in
 * order, run wal_push() and record the outcome.  A job's result is handed
 * to the archiver only for the file it asked for, and a file is never read
 * after its job reported success, because the archiver may recycle it as
 * soon as we return true.
 *
 * Each configuration (storage, credentials, compression) has a generation
 * number.  A job records the generation it ran under; a result of an
 * earlier generation is never reported as archived, so from the moment a
 * new configuration is in force every file marked done is in its storage.
 * Transfers of an earlier generation stop at once (they would be redone
 * anyway), so a hung old storage does not hold up the new one.
 */
#include "postgres.h"

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "access/xlog_internal.h"

#include "pace.h"
#include "s3_client.h"
#include "store.h"
#include "archive_pool.h"

#define MAX_THREADS SG_MAX_UPLOAD_CONCURRENCY
#define MAX_JOBS (2 * MAX_THREADS)
#define SHUTDOWN_GRACE_MS 10000

typedef enum job_state
{
	JOB_FREE = 0,
	JOB_QUEUED,
	JOB_RUNNING,
	JOB_DONE
} job_state;

typedef struct upload_job
{
	job_state	state;
	uint64		seq;			/* queue order */
	uint64		generation;		/* configuration it was queued under */
	char		name[MAXFNAMELEN + 16];
	char		path[MAXPGPATH];
	bool		ok;
	wal_push_result result;
	sg_error	err;
} upload_job;

static struct
{
	pthread_mutex_t lock;
	pthread_cond_t work;		/* a job was queued, or stop */
	pthread_cond_t done;		/* a job finished */
	upload_job	jobs[MAX_JOBS];
	int			max_jobs;
	pthread_t	threads[MAX_THREADS];
	int			nthreads;
	bool		stop;
	volatile int cancel;		/* aborts in-flight transfers */
	uint64		next_seq;
	/* configuration in force, copied by threads when generation moves */
	uint64		generation;
	sg_storage	storage;
	char	   *secrets_directory;
	sg_compression compression;
	int			level;
	int64_t		network_share;	/* sg_config_share of max_network_bandwidth */
	int64_t		disk_share;		/* sg_config_share of max_disk_bandwidth */
}			pool = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.work = PTHREAD_COND_INITIALIZER,
	.done = PTHREAD_COND_INITIALIZER,
};

/* per-thread connection and the configuration it was made for */
typedef struct worker
{
	sg_store   *store;
	uint64		generation;
	sg_compression compression;
	int			level;
} worker;

/* cancel_fn of a worker's client: shutdown, or its configuration was replaced */
static bool
worker_cancelled(void *arg)
{
	worker	   *w = arg;

	return pool.cancel ||
		w->generation != __atomic_load_n(&pool.generation, __ATOMIC_RELAXED);
}

static upload_job *
find_job(const char *name)
{
	for (int i = 0; i < pool.max_jobs; i++)
		if (pool.jobs[i].state != JOB_FREE && strcmp(pool.jobs[i].name, name) == 0)
			return &pool.jobs[i];
	return NULL;
}

static upload_job *
next_queued(void)
{
	upload_job *best = NULL;

	for (int i = 0; i < pool.max_jobs; i++)
		if (pool.jobs[i].state == JOB_QUEUED &&
			(best == NULL || pool.jobs[i].seq < best->seq))
			best = &pool.jobs[i];
	return best;
}

/* make the worker's client match the job's configuration; lock held */
static bool
prepare_client(worker *w, uint64 generation, sg_error *err)
{
	sg_storage	storage;
	char	   *secrets;
	s3_limits	limits = {0};

	if (w->store && w->generation == generation)
		return true;
	if (w->store)
		sg_store_free(w->store);
	w->store = NULL;
	sg_storage_init(&storage);
	sg_storage_copy(&storage, &pool.storage);
	secrets = sg_strdup(pool.secrets_directory);
	w->compression = pool.compression;
	w->level = pool.level;
	w->generation = generation;
	limits.max_bandwidth = pool.network_share;
	sg_read_pacer_set(pool.disk_share, worker_cancelled, w);
	pthread_mutex_unlock(&pool.lock);
	limits.cancel_fn = worker_cancelled;
	limits.cancel_arg = w;
	w->store = sg_store_open(&storage, secrets, &limits, err);
	sg_storage_free(&storage);
	free(secrets);
	pthread_mutex_lock(&pool.lock);
	return w->store != NULL;
}

static void
run_job(worker *w, upload_job *job)
{
	char		name[sizeof(job->name)];
	char		path[sizeof(job->path)];
	wal_push_result result = {0};
	sg_error	err;
	bool		ok;

	sg_error_clear(&err);
	strlcpy(name, job->name, sizeof(name));
	strlcpy(path, job->path, sizeof(path));
	/* a job queued under an earlier configuration runs under the current one */
	job->generation = pool.generation;
	ok = prepare_client(w, job->generation, &err);
	if (ok)
	{
		pthread_mutex_unlock(&pool.lock);
		ok = wal_push(w->store, path, name, w->compression, w->level, &result, &err);
		pthread_mutex_lock(&pool.lock);
	}
	/* after a failure, start over with a new connection and fresh credentials */
	if (!ok && w->store)
	{
		sg_store_free(w->store);
		w->store = NULL;
	}
	job->ok = ok;
	job->result = result;
	job->err = err;
	job->state = JOB_DONE;
	pthread_cond_broadcast(&pool.done);
}

static void *
worker_main(void *arg)
{
	worker		w = {0};

	pthread_mutex_lock(&pool.lock);
	while (!pool.stop)
	{
		upload_job *job = next_queued();

		if (job == NULL)
		{
			pthread_cond_wait(&pool.work, &pool.lock);
			continue;
		}
		job->state = JOB_RUNNING;
		run_job(&w, job);
	}
	pthread_mutex_unlock(&pool.lock);
	if (w.store)
		sg_store_free(w.store);
	return NULL;
}

/* start n threads with every signal blocked, so handlers run in the archiver's thread */
static bool
start_threads(int n, sg_error *err)
{
	sigset_t	all,
				old;
	int			rc = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pool.stop = false;
	pool.cancel = 0;
	for (pool.nthreads = 0; pool.nthreads < n; pool.nthreads++)
	{
		rc = pthread_create(&pool.threads[pool.nthreads], NULL, worker_main, NULL);
		if (rc != 0)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pool.nthreads == 0)
		return sg_error_set(err, SG_ERR_INTERNAL, "could not start upload threads: %s",
							strerror(rc));
	pool.max_jobs = 2 * pool.nthreads;
	return true;
}

void
archive_pool_stop(void)
{
	if (pool.nthreads == 0)
		return;
	pthread_mutex_lock(&pool.lock);
	pool.stop = true;
	pool.cancel = 1;
	pthread_cond_broadcast(&pool.work);
	pthread_mutex_unlock(&pool.lock);
	for (int i = 0; i < pool.nthreads; i++)
		pthread_join(pool.threads[i], NULL);
	pool.nthreads = 0;
	memset(pool.jobs, 0, sizeof(pool.jobs));
}

bool
archive_pool_configure(const sg_config *o, sg_error *err)
{
	bool		changed;

	if (pool.nthreads > 0 && pool.nthreads != o->upload_concurrency)
		archive_pool_stop();
	pthread_mutex_lock(&pool.lock);
	changed = pool.generation == 0 || !sg_storage_equal(&pool.storage, &o->storage) ||
		!sg_str_equal(pool.secrets_directory, o->secrets_directory) ||
		pool.compression != o->compression || pool.level != o->compression_level ||
		pool.network_share != sg_config_share(o, o->max_network_bandwidth) ||
		pool.disk_share != sg_config_share(o, o->max_disk_bandwidth);
	if (changed)
	{
		sg_storage_free(&pool.storage);
		sg_storage_copy(&pool.storage, &o->storage);
		free(pool.secrets_directory);
		pool.secrets_directory = sg_strdup(o->secrets_directory);
		pool.compression = o->compression;
		pool.level = o->compression_level;
		pool.network_share = sg_config_share(o, o->max_network_bandwidth);
		pool.disk_share = sg_config_share(o, o->max_disk_bandwidth);
		__atomic_add_fetch(&pool.generation, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&pool.lock);
	if (pool.nthreads == 0)
	{
		if (!s3_global_init(err))
			return false;
		return start_threads(o->upload_concurrency, err);
	}
	return true;
}

/* queue a job for name unless one exists; lock held; false when the table is full */
static bool
queue_job(const char *name, const char *path)
{
	upload_job *job = find_job(name);

	if (job)
	{
		/* a result made under another configuration is no longer wanted */
		if (job->state == JOB_DONE && job->generation != pool.generation)
			job->state = JOB_FREE;
		else
			return true;
	}
	for (int i = 0; i < pool.max_jobs; i++)
	{
		job = &pool.jobs[i];
		if (job->state != JOB_FREE)
			continue;
		memset(job, 0, sizeof(*job));
		strlcpy(job->name, name, sizeof(job->name));
		strlcpy(job->path, path, sizeof(job->path));
		job->seq = pool.next_seq++;
		job->generation = pool.generation;
		job->state = JOB_QUEUED;
		pthread_cond_signal(&pool.work);
		return true;
	}
	return false;
}

/* the archiver's order: timeline history files first, then by name */
static int
archive_order(const void *a, const void *b)
{
	const char *x = *(const char *const *) a;
	const char *y = *(const char *const *) b;
	bool		hx = strstr(x, ".history") != NULL;
	bool		hy = strstr(y, ".history") != NULL;

	if (hx != hy)
		return hx ? -1 : 1;
	return strcmp(x, y);
}

/* names of ready files (without ".ready"), malloc'ed, sorted in archive order */
static int
ready_files(char ***names_out)
{
	DIR		   *dir = opendir(XLOGDIR "/archive_status");
	struct dirent *de;
	char	  **names = NULL;
	int			n = 0;
	size_t		cap = 0;

	if (dir == NULL)
		return 0;
	while ((de = readdir(dir)) != NULL)
	{
		size_t		len = strlen(de->d_name);

		if (len <= 6 || len - 6 >= MAXFNAMELEN + 16 ||
			strcmp(de->d_name + len - 6, ".ready") != 0)
			continue;
		names = sg_array_grow(names, sizeof(*names), n, &cap, 64);
		names[n] = sg_strdup(de->d_name);
		names[n++][len - 6] = '\0';
	}
	closedir(dir);
	if (n > 1)
		qsort(names, n, sizeof(char *), archive_order);
	*names_out = names;
	return n;
}

/* drop finished results for files that are no longer waiting; lock held */
static void
drop_stale_results(char **names, int n)
{
	for (int i = 0; i < pool.max_jobs; i++)
	{
		upload_job *job = &pool.jobs[i];
		bool		wanted = false;

		if (job->state != JOB_DONE)
			continue;
		for (int k = 0; k < n && !wanted; k++)
			wanted = strcmp(names[k], job->name) == 0;
		if (!wanted)
			job->state = JOB_FREE;
	}
}

void
archive_pool_look_ahead(const char *file)
{
	char	  **names = NULL;
	int			n;
	int			queued = 0;

	if (pool.nthreads == 0)
		return;
	n = ready_files(&names);
	pthread_mutex_lock(&pool.lock);
	drop_stale_results(names, n);
	for (int i = 0; i < n && queued < pool.max_jobs; i++)
	{
		char		path[MAXPGPATH];

		snprintf(path, sizeof(path), XLOGDIR "/%s", names[i]);
		if (!queue_job(names[i], path))
			break;
		queued++;
	}
	pthread_mutex_unlock(&pool.lock);
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void
wait_100ms(void)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_nsec += 100 * 1000 * 1000;
	if (deadline.tv_nsec >= 1000 * 1000 * 1000)
	{
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000 * 1000 * 1000;
	}
	pthread_cond_timedwait(&pool.done, &pool.lock, &deadline);
}

/*
 * Wait for job; lock held.  POOL_GO_ON when it is done, POOL_SHUTDOWN when
 * shutdown cut the wait short, POOL_RECONFIGURE when check asked for it.
 * check runs once more after the job is done: a change committed while the
 * job finished is seen before its result is taken.
 */
static pool_check
wait_for(upload_job *job, pool_check (*check) (void))
{
	int			waited_after_shutdown = 0;

	for (;;)
	{
		pool_check	said;

		pthread_mutex_unlock(&pool.lock);
		said = check();
		pthread_mutex_lock(&pool.lock);
		if (said == POOL_RECONFIGURE)
			return said;
		if (job->state == JOB_DONE)
			return POOL_GO_ON;
		if (said == POOL_SHUTDOWN)
		{
			waited_after_shutdown += 100;
			if (waited_after_shutdown > SHUTDOWN_GRACE_MS)
			{
				pool.cancel = 1;
				return said;
			}
		}
		wait_100ms();
	}
}

/* free a queued job that is furthest ahead, else a finished one; lock held */
static bool
make_room(void)
{
	upload_job *victim = NULL;

	for (int i = 0; i < pool.max_jobs; i++)
	{
		upload_job *job = &pool.jobs[i];

		if (job->state == JOB_QUEUED && (victim == NULL || job->seq > victim->seq))
			victim = job;
	}
	for (int i = 0; i < pool.max_jobs && victim == NULL; i++)
		if (pool.jobs[i].state == JOB_DONE)
			victim = &pool.jobs[i];
	if (victim)
		victim->state = JOB_FREE;
	return victim != NULL;
}

/* the job for file, queued now unless a usable one exists; lock held */
static upload_job *
job_for(const char *file, const char *path)
{
	upload_job *job = find_job(file);

	/* look-ahead failures and results of an old configuration are redone */
	if (job && job->state == JOB_DONE &&
		(!job->ok || job->generation != pool.generation))
		job->state = JOB_FREE;
	while (!queue_job(file, path))
	{
		if (!make_room())
			wait_100ms();
	}
	return find_job(file);
}

pool_outcome
archive_pool_archive(const char *file, const char *path,
					pool_check (*check) (void),
					wal_push_result *result, sg_error *err)
{
	upload_job *job;
	pool_check	stop;
	bool		ok;

	pthread_mutex_lock(&pool.lock);
	do
	{
		/* a result of an earlier configuration is redone (job_for frees it) */
		job = job_for(file, path);
		stop = wait_for(job, check);
	} while (stop == POOL_GO_ON && job->generation != pool.generation);
	if (stop != POOL_GO_ON)
	{
		pthread_mutex_unlock(&pool.lock);
		if (stop == POOL_RECONFIGURE)
			return POOL_AGAIN;
		sg_error_set(err, SG_ERR_NETWORK, "upload of \"%s\" was cancelled by server shutdown", file);
		sg_error_hint(err, "The file stays in pg_wal and is archived after the next start.");
		return POOL_FAILED;
	}
	ok = job->ok;
	*result = job->result;
	*err = job->err;
	job->state = JOB_FREE;
	pthread_mutex_unlock(&pool.lock);
	return ok ? POOL_STORED : POOL_FAILED;
}
