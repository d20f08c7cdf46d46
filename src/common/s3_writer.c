/*
 * s3_writer.c - one large object written as a multipart upload whose parts
 * go up in parallel (see s3_writer.h).
 *
 * The caller's thread hashes and copies bytes into the current part.  A
 * full part is queued to the upload threads (each with its own client and
 * kept-alive connection) when more bytes arrive; the caller waits only
 * while concurrency parts are already in flight.  The first failure is
 * kept and returned by every later call; the upload is then aborted.
 * An object that fits in one part is sent with a single PutObject.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "s3_writer.h"

#define MIN_PART_SIZE		((size_t) 5 * 1024 * 1024)
#define DEFAULT_PART_SIZE	((size_t) 16 * 1024 * 1024)
#define MAX_PART_SIZE		((size_t) 5 * 1024 * 1024 * 1024)
#define DEFAULT_CONCURRENCY 4
#define MAX_CONCURRENCY		64
#define POLL_MS				100 /* how often a waiting caller checks cancel */

/* a full part waiting for an upload thread, or a free buffer */
typedef struct part
{
	int			no;
	char	   *data;
	size_t		len;
	size_t		cap;			/* bytes allocated at data */
} part;

/* an upload thread and its client */
typedef struct worker
{
	s3_writer  *w;
	s3_client  *c;
	pthread_t	thread;
} worker;

struct s3_writer
{
	sg_storage	storage;		/* copy for the upload threads' clients */
	char	   *secrets_directory;
	char	   *key;
	char	   *full_key;		/* for messages */
	s3_meta    *meta;
	int			nmeta;
	s3_writer_options sizing;	/* part sizes: see s3_writer_part_size */
	int			concurrency;
	s3_limits	limits;			/* the caller's (cancel: theirs) */
	volatile int abandon;		/* cancel flag of the upload threads' clients */
	s3_client  *main;			/* used in the caller's thread */
	s3_client  *aborter;		/* for the abort: no cancel, short limits */
	s3_multipart *mp;			/* NULL until the first part goes up */

	EVP_MD_CTX *md;
	char		sha256[65];
	int64_t		bytes;
	bool		finished;
	bool		aborted;

	char	   *cur;			/* the part being filled */
	size_t		cur_len;
	size_t		cur_cap;		/* grows up to cur_size */
	size_t		cur_size;		/* the size the current part will have */
	int			next_part;

	/* shared with the upload threads, under lock */
	pthread_mutex_t lock;
	pthread_cond_t work;		/* a part was queued, or stop */
	pthread_cond_t idle;		/* a part was done */
	part	   *queue;			/* ring of concurrency entries */
	int			qhead;
	int			qlen;
	part	   *free_bufs;		/* buffers of finished parts */
	int			nfree;
	int			in_flight;		/* queued or being uploaded */
	bool		stop;
	bool		failed;
	sg_error	error;			/* the first failure */

	worker	   *workers;
	int			nworkers;
};

static void
copy_meta(s3_writer *w, const s3_meta *meta, int nmeta)
{
	int			i;

	w->nmeta = nmeta > 0 ? nmeta : 0;
	w->meta = sg_malloc((w->nmeta + 1) * sizeof(s3_meta));
	for (i = 0; i < w->nmeta; i++)
	{
		w->meta[i].name = sg_strdup(meta[i].name);
		w->meta[i].value = sg_strdup(meta[i].value);
	}
}

static char *
make_full_key(const sg_storage *storage, const char *key)
{
	sg_buf		b;

	sg_buf_init(&b);
	if (storage->prefix && storage->prefix[0])
		sg_buf_printf(&b, "%s/", storage->prefix);
	sg_buf_append_str(&b, key);
	return b.data;
}

/* ---- part sizes ---- */

#define MIB ((size_t) 1024 * 1024)

/* the smallest part size of an upload */
static size_t
base_part_size(const s3_writer_options *o)
{
	size_t		size = o->part_size ? o->part_size : DEFAULT_PART_SIZE;
	int			max_parts = o->max_parts > 0 ? o->max_parts : S3_WRITER_MAX_PARTS;

	if (o->expected_size > 0)
	{
		/* the expected size in max_parts parts, rounded up to MiB */
		uint64_t	want = ((uint64_t) o->expected_size + max_parts - 1) / max_parts;

		want = (want + MIB - 1) / MIB * MIB;
		if (want > size)
			size = want > MAX_PART_SIZE ? MAX_PART_SIZE : (size_t) want;
	}
	if (size < MIN_PART_SIZE)
		size = MIN_PART_SIZE;
	if (size > MAX_PART_SIZE)
		size = MAX_PART_SIZE;
	return size;
}

size_t
s3_writer_part_size(const s3_writer_options *o, int part_no)
{
	s3_writer_options zero = {0};
	int			max_parts;
	int			left;
	size_t		size;

	if (o == NULL)
		o = &zero;
	max_parts = o->max_parts > 0 ? o->max_parts : S3_WRITER_MAX_PARTS;
	if (part_no < 1 || part_no > max_parts)
		return 0;
	size = base_part_size(o);
	/* the first half of the parts at the base size, the next quarter at twice... */
	for (left = max_parts; part_no > max_parts - left / 2 && left > 1; left /= 2)
	{
		if (size >= MAX_PART_SIZE / 2)
			return MAX_PART_SIZE;
		size *= 2;
	}
	return size;
}

/* parts that may be in flight while parts of size are filled */
static int
in_flight_limit(const s3_writer *w, size_t size)
{
	size_t		n = S3_WRITER_MEMORY / size;

	if (n < 1)
		n = 1;
	return n < (size_t) w->concurrency ? (int) n : w->concurrency;
}

static void
set_options(s3_writer *w, const s3_writer_options *options)
{
	if (options)
		w->sizing = *options;
	w->sizing.limits = NULL;
	if (w->sizing.max_parts <= 0 || w->sizing.max_parts > S3_WRITER_MAX_PARTS)
		w->sizing.max_parts = S3_WRITER_MAX_PARTS;
	w->cur_size = s3_writer_part_size(&w->sizing, 1);
	w->concurrency = options ? options->concurrency : 0;
	if (w->concurrency <= 0)
		w->concurrency = DEFAULT_CONCURRENCY;
	if (w->concurrency > MAX_CONCURRENCY)
		w->concurrency = MAX_CONCURRENCY;
	if (options && options->limits)
		w->limits = *options->limits;
}

/*
 * The client that aborts the upload ignores cancellation and gives up
 * within 30 seconds: after a failure or a cancel, the caller should not
 * wait for the full retry time.  Made now, with the same credentials as
 * the others.
 */
static s3_client *
new_aborter(s3_writer *w, sg_error *err)
{
	s3_limits	limits = w->limits;

	limits.cancel = NULL;
	limits.cancel_fn = NULL;
	if (limits.total_timeout_s <= 0 || limits.total_timeout_s > 30)
		limits.total_timeout_s = 30;
	if (limits.max_retries <= 0 || limits.max_retries > 3)
		limits.max_retries = 3;
	return s3_client_new(&w->storage, w->secrets_directory, &limits, err);
}

s3_writer *
s3_writer_open(const sg_storage *storage, const char *secrets_directory,
			   const char *key, const s3_meta *meta, int nmeta,
			   const s3_writer_options *options, sg_error *err)
{
	s3_writer  *w = sg_malloc(sizeof(s3_writer));
	pthread_condattr_t attr;

	memset(w, 0, sizeof(*w));
	set_options(w, options);
	sg_storage_init(&w->storage);
	sg_storage_copy(&w->storage, storage);
	w->secrets_directory = sg_strdup(secrets_directory);
	w->key = sg_strdup(key);
	w->full_key = make_full_key(storage, key);
	copy_meta(w, meta, nmeta);
	w->next_part = 1;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->idle, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&w->work, NULL);
	w->queue = sg_malloc(w->concurrency * sizeof(part));
	w->free_bufs = sg_malloc((w->concurrency + 1) * sizeof(part));
	w->finished = true;			/* until open succeeds: nothing to abort */

	w->main = s3_client_new(storage, secrets_directory, &w->limits, err);
	if (w->main == NULL)
		goto fail;
	/* the other clients use the region the main one settled on */
	free(w->storage.region);
	w->storage.region = sg_strdup(s3_client_region(w->main));
	if ((w->aborter = new_aborter(w, err)) == NULL)
		goto fail;
	w->md = EVP_MD_CTX_new();
	if (w->md == NULL || !EVP_DigestInit_ex(w->md, EVP_sha256(), NULL))
	{
		sg_error_set(err, SG_ERR_INTERNAL, "could not initialize a sha256 digest");
		goto fail;
	}
	w->finished = false;
	return w;

fail:
	s3_writer_free(w);
	return NULL;
}

/* ---- failures ---- */

static bool
user_cancelled(const s3_writer *w)
{
	return (w->limits.cancel && *w->limits.cancel) ||
		(w->limits.cancel_fn && w->limits.cancel_fn(w->limits.cancel_arg));
}

/* keep err as the writer's failure unless one is already kept; lock held */
static void
record_failure_locked(s3_writer *w, const sg_error *err)
{
	if (w->failed)
		return;
	w->failed = true;
	w->error = *err;
	w->abandon = 1;				/* stop the other parts quickly */
}

static bool
record_failure(s3_writer *w, const sg_error *err)
{
	pthread_mutex_lock(&w->lock);
	record_failure_locked(w, err);
	pthread_mutex_unlock(&w->lock);
	return false;
}

/* record cancellation when the caller's flag is set; lock held */
static void
check_cancel_locked(s3_writer *w)
{
	sg_error	e;

	if (w->failed || !user_cancelled(w))
		return;
	sg_error_clear(&e);
	sg_error_set(&e, SG_ERR_NETWORK, "could not upload \"%s\" to bucket \"%s\": cancelled",
				 w->full_key, w->storage.bucket);
	sg_error_detail(&e, "The operation was cancelled before it finished.");
	record_failure_locked(w, &e);
}

/* true when nothing failed so far; else the kept failure goes to err */
static bool
still_ok(s3_writer *w, sg_error *err)
{
	bool		ok;

	pthread_mutex_lock(&w->lock);
	check_cancel_locked(w);
	ok = !w->failed;
	if (!ok)
		*err = w->error;
	pthread_mutex_unlock(&w->lock);
	return ok;
}

/* ---- upload threads ---- */

static void *
worker_main(void *arg)
{
	worker	   *k = arg;
	s3_writer  *w = k->w;
	part		p;
	sg_error	err;
	bool		skip;
	bool		ok;

	pthread_mutex_lock(&w->lock);
	for (;;)
	{
		while (w->qlen == 0 && !w->stop)
			pthread_cond_wait(&w->work, &w->lock);
		if (w->qlen == 0)
			break;
		p = w->queue[w->qhead];
		w->qhead = (w->qhead + 1) % w->concurrency;
		w->qlen--;
		skip = w->failed;		/* after a failure, drop the part */
		pthread_mutex_unlock(&w->lock);

		sg_error_clear(&err);
		ok = skip ||
			s3_multipart_put_part(k->c, w->mp, p.no, p.data, p.len, &err);

		pthread_mutex_lock(&w->lock);
		if (!ok)
			record_failure_locked(w, &err);
		w->free_bufs[w->nfree++] = p;
		w->in_flight--;
		pthread_cond_broadcast(&w->idle);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* make the threads' clients and start the threads, with every signal blocked */
static bool
start_workers(s3_writer *w, sg_error *err)
{
	s3_limits	limits = w->limits;
	sigset_t	all;
	sigset_t	old;
	int			rc = 0;
	int			i;

	/* the threads run only our code: the caller's flag is polled by the caller */
	limits.cancel = &w->abandon;
	limits.cancel_fn = NULL;
	w->workers = sg_malloc(w->concurrency * sizeof(worker));
	memset(w->workers, 0, w->concurrency * sizeof(worker));
	for (i = 0; i < w->concurrency; i++)
	{
		w->workers[i].w = w;
		w->workers[i].c = s3_client_new(&w->storage, w->secrets_directory, &limits, err);
		if (w->workers[i].c == NULL)
			return false;
	}

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (; w->nworkers < w->concurrency; w->nworkers++)
	{
		rc = pthread_create(&w->workers[w->nworkers].thread, NULL, worker_main,
							&w->workers[w->nworkers]);
		if (rc != 0)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (w->nworkers == 0)
		return sg_error_set(err, SG_ERR_INTERNAL, "could not start upload threads: %s",
							strerror(rc));
	return true;
}

/* stop the threads once the queue is empty, and free their clients */
static void
stop_workers(s3_writer *w)
{
	int			i;

	if (w->workers == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < w->nworkers; i++)
		pthread_join(w->workers[i].thread, NULL);
	for (i = 0; i < w->concurrency; i++)
		s3_client_free(w->workers[i].c);
	free(w->workers);
	w->workers = NULL;
	w->nworkers = 0;
}

/*
 * Wait, lock held, until at most n parts are in flight; with stop_on_failure
 * also until a failure.  The caller's cancel flag is polled meanwhile.
 */
static void
wait_in_flight(s3_writer *w, int n, bool stop_on_failure)
{
	struct timespec ts;

	for (;;)
	{
		check_cancel_locked(w);
		if (w->in_flight <= n || (stop_on_failure && w->failed))
			return;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += POLL_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L)
		{
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&w->idle, &w->lock, &ts);
	}
}

/* ---- parts ---- */

static bool
start_upload(s3_writer *w, sg_error *err)
{
	w->mp = s3_multipart_create(w->main, w->key, w->meta, w->nmeta, err);
	if (w->mp == NULL)
		return record_failure(w, err);
	if (!start_workers(w, err))
		return record_failure(w, err);
	return true;
}

static bool
too_many_parts(s3_writer *w, sg_error *err)
{
	sg_error_set(err, SG_ERR_CONFIG,
				 "object \"%s\" in bucket \"%s\" does not fit in %d parts",
				 w->full_key, w->storage.bucket, w->sizing.max_parts);
	sg_error_detail(err, "%lld bytes were written in parts of %zu to %zu bytes; one multipart upload has at most %d parts.",
					(long long) w->bytes, s3_writer_part_size(&w->sizing, 1),
					s3_writer_part_size(&w->sizing, w->sizing.max_parts),
					w->sizing.max_parts);
	sg_error_hint(err, "S3 stores objects of up to 5 TiB; a larger archive must be split, e.g. with tablespaces.");
	return record_failure(w, err);
}

/*
 * Hand the current part to the upload threads and, unless it is the last
 * one, take an empty buffer
 */
static bool
queue_part(s3_writer *w, bool last, sg_error *err)
{
	part		buf = {0};
	part	   *p;
	size_t		next_size;

	if (w->next_part > w->sizing.max_parts)
		return too_many_parts(w, err);
	if (w->mp == NULL && !start_upload(w, err))
		return false;
	next_size = s3_writer_part_size(&w->sizing, w->next_part + 1);

	pthread_mutex_lock(&w->lock);
	wait_in_flight(w, in_flight_limit(w, w->cur_size) - 1, true);
	if (w->failed)
	{
		*err = w->error;
		pthread_mutex_unlock(&w->lock);
		return false;
	}
	p = &w->queue[(w->qhead + w->qlen) % w->concurrency];
	p->no = w->next_part++;
	p->data = w->cur;
	p->len = w->cur_len;
	p->cap = w->cur_cap;
	w->qlen++;
	w->in_flight++;
	pthread_cond_signal(&w->work);
	if (w->nfree > 0 && !last)
		buf = w->free_bufs[--w->nfree];
	pthread_mutex_unlock(&w->lock);

	/* at most concurrency + 1 buffers ever exist; one too small is replaced */
	if (!last && buf.data != NULL && buf.cap < next_size)
	{
		free(buf.data);
		buf.data = NULL;
	}
	if (!last && buf.data == NULL && next_size > 0)
	{
		buf.data = sg_malloc(next_size);
		buf.cap = next_size;
	}
	w->cur = buf.data;
	w->cur_cap = buf.data ? buf.cap : 0;
	w->cur_size = next_size;
	w->cur_len = 0;
	return true;
}

/* room for len bytes in the current part (len <= cur_size) */
static void
reserve(s3_writer *w, size_t len)
{
	size_t		cap = w->cur_cap ? w->cur_cap : 64 * 1024;

	if (len <= w->cur_cap)
		return;
	while (cap < len)
		cap *= 2;
	if (cap > w->cur_size)
		cap = w->cur_size;
	w->cur = sg_realloc(w->cur, cap);
	w->cur_cap = cap;
}

bool
s3_writer_write(s3_writer *w, const void *data, size_t len, sg_error *err)
{
	const char *p = data;

	if (w->finished)
		return sg_error_set(err, SG_ERR_INTERNAL, "write to \"%s\" after it was finished",
							w->full_key);
	if (!still_ok(w, err))
		return false;
	if (!EVP_DigestUpdate(w->md, data, len))
	{
		sg_error_set(err, SG_ERR_INTERNAL, "could not compute the sha256 of \"%s\"",
					 w->full_key);
		return record_failure(w, err);
	}
	w->bytes += len;
	while (len > 0)
	{
		size_t		n;

		/* a full part goes only when more bytes come: see finish */
		if (w->cur_len == w->cur_size && !queue_part(w, false, err))
			return false;
		if (w->cur_size == 0)
			return too_many_parts(w, err);
		n = w->cur_size - w->cur_len;
		if (n > len)
			n = len;
		reserve(w, w->cur_len + n);
		memcpy(w->cur + w->cur_len, p, n);
		w->cur_len += n;
		p += n;
		len -= n;
	}
	return true;
}

/* ---- finish and abort ---- */

/* abort the multipart upload (best effort) */
static void
abort_upload(s3_writer *w)
{
	sg_error	err;

	if (w->mp == NULL || w->aborted)
		return;
	w->aborted = true;
	s3_multipart_abort(w->aborter, w->mp, &err);
}

static void
set_sha256(s3_writer *w)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	unsigned int i;

	if (!EVP_DigestFinal_ex(w->md, md, &len))
		len = 0;
	for (i = 0; i < len && i < 32; i++)
		snprintf(w->sha256 + 2 * i, 3, "%02x", md[i]);
}

/* send the last part, wait for every part, complete */
static bool
finish_multipart(s3_writer *w, sg_error *err)
{
	bool		ok;

	if (!queue_part(w, true, err))
		return false;
	pthread_mutex_lock(&w->lock);
	wait_in_flight(w, 0, false);
	ok = !w->failed;
	if (!ok)
		*err = w->error;
	pthread_mutex_unlock(&w->lock);
	if (ok && !s3_multipart_complete(w->main, w->mp, err))
		ok = record_failure(w, err);
	return ok;
}

bool
s3_writer_finish(s3_writer *w, sg_error *err)
{
	bool		ok;

	if (w->finished)
		return sg_error_set(err, SG_ERR_INTERNAL, "\"%s\" was already finished",
							w->full_key);
	ok = still_ok(w, err);
	if (ok)
		set_sha256(w);
	if (ok && w->mp == NULL)
		ok = s3_put_object(w->main, w->key, w->cur, w->cur_len, w->meta, w->nmeta, err);
	else if (ok)
		ok = finish_multipart(w, err);
	if (!ok)
	{
		w->sha256[0] = '\0';
		w->abandon = 1;
	}
	stop_workers(w);
	if (!ok)
		abort_upload(w);
	w->finished = true;
	return ok;
}

void
s3_writer_free(s3_writer *w)
{
	int			i;

	if (w == NULL)
		return;
	if (!w->finished)
	{
		w->abandon = 1;
		stop_workers(w);
		abort_upload(w);
	}
	for (i = 0; i < w->nfree; i++)
		free(w->free_bufs[i].data);
	free(w->free_bufs);
	free(w->queue);
	free(w->cur);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->idle);
	pthread_mutex_destroy(&w->lock);
	s3_multipart_free(w->mp);
	s3_client_free(w->main);
	s3_client_free(w->aborter);
	EVP_MD_CTX_free(w->md);
	for (i = 0; i < w->nmeta; i++)
	{
		free((char *) w->meta[i].name);
		free((char *) w->meta[i].value);
	}
	free(w->meta);
	free(w->key);
	free(w->full_key);
	free(w->secrets_directory);
	sg_storage_free(&w->storage);
	free(w);
}

int64_t
s3_writer_bytes(const s3_writer *w)
{
	return w->bytes;
}

const char *
s3_writer_sha256(const s3_writer *w)
{
	return w->finished && w->sha256[0] ? w->sha256 : NULL;
}
