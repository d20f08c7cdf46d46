/*
 * unpack_writer.c - the thread that writes and checks the files of an
 * unpack (see unpack_writer.h).
 *
 * A ring of slots, each one step for the writer: the begin of a file, a
 * chunk of its bytes, or its end.  The caller fills the slot at the tail
 * (a chunk slot until it is full), the writer takes slots at the head.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sg_buf.h"
#include "store.h"
#include "unpack_writer.h"

typedef enum step_kind
{
	STEP_BEGIN,
	STEP_DATA,
	STEP_END
} step_kind;

typedef struct step
{
	step_kind	kind;
	char	   *path;			/* BEGIN: where to write, NULL: check only */
	mode_t		mode;
	const manifest_file *file;
	char	   *data;			/* DATA: UNPACK_CHUNK_SIZE bytes of room */
	size_t		len;
} step;

struct unpack_writer
{
	pthread_t	thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	step		ring[UNPACK_QUEUE_CHUNKS];
	int			head;			/* next slot the writer takes */
	int			count;			/* slots queued */
	bool		filling;		/* the slot at the tail is a DATA slot being filled */
	bool		stop;			/* no more steps: finish or free */
	bool		failed;			/* err holds the writer's first error */
	sg_error	err;
	/* the writer's own */
	manifest_check check;
	int			fd;
	char	   *path;			/* of the open file, for messages */
};

/* ---- the writer thread ---- */

static bool
fail(unpack_writer *w, const char *what)
{
	return sg_error_set(&w->err, SG_ERR_IO, "could not %s file \"%s\": %s",
						what, w->path, strerror(errno));
}

/*
 * One step; false with w->err set on failure (the writer's thread alone
 * writes w->err, before it says so under the lock)
 */
static bool
do_step(unpack_writer *w, step *s)
{
	bool		ok = true;

	if (s->kind == STEP_BEGIN)
	{
		manifest_check_begin(&w->check, s->file);
		free(w->path);
		w->path = sg_strdup(s->path ? s->path : manifest_file_path(s->file));
		if (s->path && (w->fd = open(s->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
									 s->mode & 0640)) < 0)
			ok = fail(w, "create");
	}
	else if (s->kind == STEP_DATA)
	{
		manifest_check_update(&w->check, s->data, s->len);
		if (w->fd >= 0)
			ok = sg_write_all(w->fd, s->data, s->len, w->path, &w->err);
	}
	else
	{
		ok = manifest_check_end(&w->check, &w->err);
		if (w->fd >= 0 && close(w->fd) != 0 && ok)
			ok = fail(w, "close");
		w->fd = -1;
	}
	return ok;
}

static void *
writer_main(void *arg)
{
	unpack_writer *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;)
	{
		step	   *s;
		bool		skip;
		bool		ok;

		/* a slot still being filled is not the writer's yet */
		while (!(w->count > 1 || (w->count == 1 && !w->filling)) && !w->stop)
			pthread_cond_wait(&w->changed, &w->lock);
		if (w->count == 0 || (w->count == 1 && w->filling))
			break;
		s = &w->ring[w->head];
		/* after a failure (or free) the rest is skipped */
		skip = w->failed;
		pthread_mutex_unlock(&w->lock);
		ok = skip || do_step(w, s);
		free(s->path);
		s->path = NULL;
		pthread_mutex_lock(&w->lock);
		if (!ok)
			w->failed = true;
		w->head = (w->head + 1) % UNPACK_QUEUE_CHUNKS;
		w->count--;
		pthread_cond_broadcast(&w->changed);
	}
	pthread_mutex_unlock(&w->lock);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	return NULL;
}

/* ---- the caller's side ---- */

unpack_writer *
unpack_writer_start(sg_error *err)
{
	unpack_writer *w = calloc(1, sizeof(unpack_writer));
	sigset_t	all;
	sigset_t	old;
	int			rc;

	if (w == NULL)
	{
		sg_error_set(err, SG_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	for (int i = 0; i < UNPACK_QUEUE_CHUNKS; i++)
		w->ring[i].data = sg_malloc(UNPACK_CHUNK_SIZE);
	w->fd = -1;
	manifest_check_init(&w->check);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->changed, NULL);
	/* signals stay with the caller's thread (the server's handlers run there) */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->thread, NULL, writer_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
	{
		sg_error_set(err, SG_ERR_INTERNAL, "could not start the writer thread: %s", strerror(rc));
		w->stop = true;
		unpack_writer_free(w);
		return NULL;
	}
	return w;
}

/* the writer's error, if it failed (call with the lock held) */
static bool
check_failed(unpack_writer *w, sg_error *err)
{
	if (!w->failed)
		return true;
	*err = w->err;
	return false;
}

/* the slot at the tail, once there is room (lock held); NULL on failure */
static step *
next_slot(unpack_writer *w, sg_error *err)
{
	w->filling = false;
	pthread_cond_broadcast(&w->changed);
	while (w->count == UNPACK_QUEUE_CHUNKS && !w->failed)
		pthread_cond_wait(&w->changed, &w->lock);
	if (!check_failed(w, err))
		return NULL;
	w->count++;
	return &w->ring[(w->head + w->count - 1) % UNPACK_QUEUE_CHUNKS];
}

static bool
push(unpack_writer *w, step_kind kind, const char *path, mode_t mode,
	 const manifest_file *f, sg_error *err)
{
	step	   *s;

	pthread_mutex_lock(&w->lock);
	if ((s = next_slot(w, err)) != NULL)
	{
		s->kind = kind;
		s->path = path ? sg_strdup(path) : NULL;
		s->mode = mode;
		s->file = f;
		s->len = 0;
		pthread_cond_broadcast(&w->changed);
	}
	pthread_mutex_unlock(&w->lock);
	return s != NULL;
}

bool
unpack_writer_begin(unpack_writer *w, const char *path, mode_t mode,
					const manifest_file *f, sg_error *err)
{
	return push(w, STEP_BEGIN, path, mode, f, err);
}

bool
unpack_writer_write(unpack_writer *w, const void *data, size_t len, sg_error *err)
{
	const char *p = data;

	while (len > 0)
	{
		step	   *s;
		size_t		n;

		pthread_mutex_lock(&w->lock);
		s = &w->ring[(w->head + w->count - 1) % UNPACK_QUEUE_CHUNKS];
		if (!w->filling || w->count == 0 || s->len == UNPACK_CHUNK_SIZE)
		{
			if ((s = next_slot(w, err)) == NULL)
			{
				pthread_mutex_unlock(&w->lock);
				return false;
			}
			s->kind = STEP_DATA;
			s->path = NULL;
			s->len = 0;
			w->filling = true;
		}
		else if (!check_failed(w, err))
		{
			pthread_mutex_unlock(&w->lock);
			return false;
		}
		pthread_mutex_unlock(&w->lock);
		/* the slot being filled is the caller's alone */
		n = UNPACK_CHUNK_SIZE - s->len < len ? UNPACK_CHUNK_SIZE - s->len : len;
		memcpy(s->data + s->len, p, n);
		s->len += n;
		p += n;
		len -= n;
	}
	return true;
}

bool
unpack_writer_end(unpack_writer *w, sg_error *err)
{
	return push(w, STEP_END, NULL, 0, NULL, err);
}

bool
unpack_writer_finish(unpack_writer *w, sg_error *err)
{
	bool		ok;

	pthread_mutex_lock(&w->lock);
	w->filling = false;
	pthread_cond_broadcast(&w->changed);
	while (w->count > 0 && !w->failed)
		pthread_cond_wait(&w->changed, &w->lock);
	ok = check_failed(w, err);
	pthread_mutex_unlock(&w->lock);
	return ok;
}

void
unpack_writer_free(unpack_writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	if (!w->stop)
	{
		/* what is queued is abandoned */
		w->failed = true;
		w->stop = true;
		pthread_cond_broadcast(&w->changed);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
	}
	else
		pthread_mutex_unlock(&w->lock);
	for (int i = 0; i < UNPACK_QUEUE_CHUNKS; i++)
	{
		free(w->ring[i].data);
		free(w->ring[i].path);
	}
	manifest_check_free(&w->check);
	free(w->path);
	pthread_cond_destroy(&w->changed);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
