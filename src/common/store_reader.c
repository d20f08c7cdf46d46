/*
 * store_reader.c - one large object read in order while threads fetch its
 * chunks ahead with ranged GETs (see store_reader.h).
 *
 * Chunk n is [n * chunk_size, (n + 1) * chunk_size) of the object, the
 * last one shorter; an empty object has one empty chunk.  Chunk n lives in
 * slot n % window.  A thread takes the next chunk nobody fetches yet once
 * it falls inside the window (n < next_read + window), fetches it into
 * its slot without the lock (nobody else touches a slot that is not
 * ready) and marks the slot ready.  The reader hands out the slot of
 * next_read and frees it on its next call.  The last chunk is asked for
 * with one byte more, so that an object longer than expected shows.  The
 * first failure is kept, sets the threads' stores' cancel flag and wakes
 * everybody.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "store_reader.h"

#define DEFAULT_CONCURRENCY 4
#define MAX_CONCURRENCY		64
#define DEFAULT_CHUNK_SIZE	((size_t) 8 * 1024 * 1024)
#define POLL_MS				100 /* how often a waiting reader checks cancel */

/* where chunk n goes: n % window */
typedef struct slot
{
	bool		ready;			/* fetched, not yet freed by the reader */
	sg_buf		data;
} slot;

/* a fetching thread and its store */
typedef struct fetcher
{
	sg_store_reader *r;
	sg_store   *store;
	pthread_t	thread;
} fetcher;

struct sg_store_reader
{
	char	   *key;
	char	   *where;			/* the store's description, for messages */
	int64_t		size;
	size_t		chunk_size;
	int64_t		nchunks;
	int			window;
	s3_limits	limits;			/* the caller's: polled by the reader */
	volatile int abandon;		/* cancel flag of the threads' stores */

	/* the reader's own */
	EVP_MD_CTX *md;
	char		sha256[65];
	int64_t		bytes;
	bool		held;			/* the caller holds the slot of next_read */
	bool		ended;

	/* shared with the threads, under lock */
	pthread_mutex_t lock;
	pthread_cond_t work;		/* a slot was freed, or stop */
	pthread_cond_t ready;		/* a chunk was fetched, or a failure */
	slot	   *slots;
	int64_t		next_fetch;		/* the next chunk a thread takes */
	int64_t		next_read;		/* the chunk the reader reads or holds */
	bool		stop;
	bool		failed;
	sg_error	error;			/* the first failure */

	fetcher    *fetchers;
	int			nstores;
	int			nthreads;
};

/* ---- failures ---- */

static bool
user_cancelled(const sg_store_reader *r)
{
	return (r->limits.cancel && *r->limits.cancel) ||
		(r->limits.cancel_fn && r->limits.cancel_fn(r->limits.cancel_arg));
}

/* keep err unless a failure is kept already, and wake everybody; lock held */
static void
record_failure_locked(sg_store_reader *r, const sg_error *err)
{
	if (r->failed)
		return;
	r->failed = true;
	r->error = *err;
	r->abandon = 1;				/* the other threads' requests stop */
	pthread_cond_broadcast(&r->ready);
	pthread_cond_broadcast(&r->work);
}

/* record cancellation when the caller's flag is set; lock held */
static void
check_cancel_locked(sg_store_reader *r)
{
	sg_error	e;

	if (r->failed || !user_cancelled(r))
		return;
	sg_error_clear(&e);
	sg_error_set(&e, SG_ERR_NETWORK, "could not download \"%s\" from %s: cancelled",
				 r->key, r->where);
	sg_error_detail(&e, "The operation was cancelled before it finished.");
	record_failure_locked(r, &e);
}

/* ---- fetching ---- */

static size_t
chunk_length(const sg_store_reader *r, int64_t no)
{
	int64_t		left = r->size - no * (int64_t) r->chunk_size;

	return left < (int64_t) r->chunk_size ? (size_t) left : r->chunk_size;
}

/*
 * The object ended at byte end, before the size expected.  A chunk wholly
 * past the end says only that it ends before the chunk: a head tells where.
 */
static bool
ended_early(sg_store_reader *r, sg_store *st, int64_t end, bool empty,
			sg_error *err)
{
	sg_store_info info;
	sg_error	ignored;

	memset(&info, 0, sizeof(info));
	if (empty && sg_store_head(st, r->key, &info, &ignored) == 1 && info.size < end)
		end = info.size;
	sg_store_info_free(&info);
	sg_error_set(err, SG_ERR_CORRUPT, "object \"%s\" ended at %lld bytes, expected %lld",
				 r->key, (long long) end, (long long) r->size);
	sg_error_detail(err, "The object is in %s.", r->where);
	sg_error_hint(err, "The object was cut short or replaced after it was written.");
	return false;
}

static bool
too_long(sg_store_reader *r, sg_error *err)
{
	sg_error_set(err, SG_ERR_CORRUPT, "object \"%s\" is larger than the %lld bytes expected",
				 r->key, (long long) r->size);
	sg_error_detail(err, "The object is in %s.", r->where);
	sg_error_hint(err, "The object was replaced after it was written.");
	return false;
}

/* chunk no into out: exactly its length, else a failure */
static bool
fetch_chunk(sg_store_reader *r, sg_store *st, int64_t no, sg_buf *out,
			sg_error *err)
{
	int64_t		offset = no * (int64_t) r->chunk_size;
	size_t		len = chunk_length(r, no);
	bool		last = no == r->nchunks - 1;

	if (!sg_store_get_range(st, r->key, offset, len + (last ? 1 : 0), out, err))
		return false;
	if (out->len < len)
		return ended_early(r, st, offset + (int64_t) out->len, out->len == 0, err);
	if (out->len > len)
		return too_long(r, err);
	return true;
}

static void *
fetcher_main(void *arg)
{
	fetcher    *f = arg;
	sg_store_reader *r = f->r;

	pthread_mutex_lock(&r->lock);
	for (;;)
	{
		int64_t		no;
		slot	   *s;
		sg_error	err;
		bool		ok;

		while (!r->stop && !r->failed && r->next_fetch < r->nchunks &&
			   r->next_fetch >= r->next_read + r->window)
			pthread_cond_wait(&r->work, &r->lock);
		if (r->stop || r->failed || r->next_fetch >= r->nchunks)
			break;
		no = r->next_fetch++;
		s = &r->slots[no % r->window];
		pthread_mutex_unlock(&r->lock);

		sg_error_clear(&err);
		ok = fetch_chunk(r, f->store, no, &s->data, &err);

		pthread_mutex_lock(&r->lock);
		if (!ok)
			record_failure_locked(r, &err);
		else
		{
			s->ready = true;
			pthread_cond_broadcast(&r->ready);
		}
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* ---- opening ---- */

static void
set_options(sg_store_reader *r, const sg_store_reader_options *options)
{
	sg_store_reader_options o = {0};
	int			concurrency;

	if (options)
		o = *options;
	concurrency = o.concurrency > 0 ? o.concurrency : DEFAULT_CONCURRENCY;
	if (concurrency > MAX_CONCURRENCY)
		concurrency = MAX_CONCURRENCY;
	r->chunk_size = o.chunk_size > 0 ? o.chunk_size : DEFAULT_CHUNK_SIZE;
	r->nchunks = r->size == 0 ? 1 :
		(r->size - 1) / (int64_t) r->chunk_size + 1;
	r->window = o.window > 0 ? o.window : 2 * concurrency;
	if (r->window > r->nchunks)
		r->window = (int) r->nchunks;
	/* more threads than chunks in the window would only wait */
	r->nthreads = concurrency < r->window ? concurrency : r->window;
}

/*
 * A store for each thread, whose cancel flag is the reader's own; the
 * others use the region the first one settled on (no discovery each)
 */
static bool
open_stores(sg_store_reader *r, const sg_storage *storage,
			const char *secrets_directory, const s3_limits *limits,
			sg_error *err)
{
	s3_limits	mine = {0};
	sg_storage	copy;
	bool		ok = true;

	if (limits)
		mine = *limits;
	mine.cancel = &r->abandon;
	mine.cancel_fn = NULL;
	sg_storage_init(&copy);
	sg_storage_copy(&copy, storage);
	r->fetchers = sg_malloc(r->nthreads * sizeof(fetcher));
	memset(r->fetchers, 0, r->nthreads * sizeof(fetcher));
	while (ok && r->nstores < r->nthreads)
	{
		fetcher    *f = &r->fetchers[r->nstores];
		s3_client  *c;

		f->r = r;
		f->store = sg_store_open(&copy, secrets_directory, &mine, err);
		ok = f->store != NULL;
		if (ok && r->nstores++ == 0)
		{
			r->where = sg_strdup(sg_store_description(f->store));
			if ((c = sg_store_s3_client(f->store)) != NULL)
			{
				free(copy.region);
				copy.region = sg_strdup(s3_client_region(c));
			}
		}
	}
	sg_storage_free(&copy);
	return ok;
}

/* start the threads with every signal blocked: they go to the caller's */
static bool
start_threads(sg_store_reader *r, sg_error *err)
{
	sigset_t	all;
	sigset_t	old;
	int			started = 0;
	int			rc = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (; started < r->nthreads; started++)
	{
		rc = pthread_create(&r->fetchers[started].thread, NULL, fetcher_main,
							&r->fetchers[started]);
		if (rc != 0)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	r->nthreads = started;
	if (started == 0)
		return sg_error_set(err, SG_ERR_INTERNAL, "could not start download threads: %s",
							strerror(rc));
	return true;
}

/*
 * Room for the largest chunk, its extra byte and sg_buf's NUL, allocated
 * exactly: growing by doubling could take twice the memory promised
 */
static void
slot_init(slot *s, size_t chunk)
{
	s->ready = false;
	s->data.cap = chunk + 2;
	s->data.data = sg_malloc(s->data.cap);
	s->data.data[0] = '\0';
	s->data.len = 0;
}

sg_store_reader *
sg_store_reader_open(const sg_storage *storage, const char *secrets_directory,
					 const s3_limits *limits, const char *key, int64_t size,
					 const sg_store_reader_options *options, sg_error *err)
{
	sg_store_reader *r;
	pthread_condattr_t attr;

	if (size < 0)
	{
		sg_error_set(err, SG_ERR_INTERNAL, "invalid size %lld of object \"%s\"",
					 (long long) size, key);
		return NULL;
	}
	r = sg_malloc(sizeof(*r));
	memset(r, 0, sizeof(*r));
	r->key = sg_strdup(key);
	r->size = size;
	if (limits)
		r->limits = *limits;
	set_options(r, options);
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&r->ready, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&r->work, NULL);
	r->slots = sg_malloc(r->window * sizeof(slot));
	for (int i = 0; i < r->window; i++)
		slot_init(&r->slots[i], chunk_length(r, 0));
	r->md = EVP_MD_CTX_new();
	if (r->md == NULL || !EVP_DigestInit_ex(r->md, EVP_sha256(), NULL))
	{
		sg_error_set(err, SG_ERR_INTERNAL, "could not initialize a sha256 digest");
		r->nthreads = 0;
	}
	else if (!open_stores(r, storage, secrets_directory, limits, err))
		r->nthreads = 0;
	else if (start_threads(r, err))
		return r;
	sg_store_reader_free(r);
	return NULL;
}

/* ---- reading ---- */

/* free the slot the caller held, for the threads; lock held */
static void
release_locked(sg_store_reader *r)
{
	if (!r->held)
		return;
	r->slots[r->next_read % r->window].ready = false;
	r->held = false;
	r->next_read++;
	pthread_cond_broadcast(&r->work);
}

/* wait for a fetched chunk or a failure, at most POLL_MS; lock held */
static void
wait_ready_locked(sg_store_reader *r)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += POLL_MS * 1000000L;
	if (ts.tv_nsec >= 1000000000L)
	{
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&r->ready, &r->lock, &ts);
}

static void
set_sha256(sg_store_reader *r)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!EVP_DigestFinal_ex(r->md, md, &len))
		len = 0;
	for (unsigned int i = 0; i < len && i < 32; i++)
		snprintf(r->sha256 + 2 * i, 3, "%02x", md[i]);
}

ssize_t
sg_store_reader_read(sg_store_reader *r, const void **data, sg_error *err)
{
	slot	   *s = NULL;
	bool		failed;

	*data = NULL;
	if (r->ended)
		return 0;
	pthread_mutex_lock(&r->lock);
	for (;;)
	{
		release_locked(r);
		check_cancel_locked(r);
		if (r->failed || r->next_read == r->nchunks)
			break;
		s = &r->slots[r->next_read % r->window];
		if (!s->ready)
		{
			wait_ready_locked(r);
			continue;
		}
		r->held = true;
		if (s->data.len > 0)
			break;				/* else an empty object's one chunk */
	}
	failed = r->failed;
	if (failed)
		*err = r->error;
	pthread_mutex_unlock(&r->lock);
	if (failed)
		return -1;
	if (!r->held)
	{
		r->ended = true;
		set_sha256(r);
		return 0;
	}
	if (!EVP_DigestUpdate(r->md, s->data.data, s->data.len))
	{
		sg_error_set(err, SG_ERR_INTERNAL, "could not compute the sha256 of \"%s\"", r->key);
		pthread_mutex_lock(&r->lock);
		record_failure_locked(r, err);
		pthread_mutex_unlock(&r->lock);
		return -1;
	}
	r->bytes += (int64_t) s->data.len;
	*data = s->data.data;
	return (ssize_t) s->data.len;
}

const char *
sg_store_reader_sha256(const sg_store_reader *r)
{
	return r->ended && r->sha256[0] ? r->sha256 : NULL;
}

int64_t
sg_store_reader_bytes(const sg_store_reader *r)
{
	return r->bytes;
}

void
sg_store_reader_free(sg_store_reader *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	r->abandon = 1;
	pthread_cond_broadcast(&r->work);
	pthread_mutex_unlock(&r->lock);
	for (int i = 0; i < r->nthreads; i++)
		pthread_join(r->fetchers[i].thread, NULL);
	for (int i = 0; i < r->nstores; i++)
		sg_store_free(r->fetchers[i].store);
	free(r->fetchers);
	for (int i = 0; i < r->window; i++)
		sg_buf_free(&r->slots[i].data);
	free(r->slots);
	pthread_cond_destroy(&r->work);
	pthread_cond_destroy(&r->ready);
	pthread_mutex_destroy(&r->lock);
	EVP_MD_CTX_free(r->md);
	free(r->key);
	free(r->where);
	free(r);
}
