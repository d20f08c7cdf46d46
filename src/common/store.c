/*
 * store.c - the storage interface of store.h: opening the store a
 * configuration describes, and calling the operations of its kind.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

void
sg_store_info_free(sg_store_info *info)
{
	for (int i = 0; i < info->nmeta; i++)
	{
		free(info->meta_name[i]);
		free(info->meta_value[i]);
	}
	memset(info, 0, sizeof(*info));
}

const char *
sg_store_info_meta(const sg_store_info *info, const char *name)
{
	for (int i = 0; i < info->nmeta; i++)
		if (strcmp(info->meta_name[i], name) == 0)
			return info->meta_value[i];
	return NULL;
}

sg_store *
sg_store_open(const sg_storage *storage, const char *secrets_directory,
			  const s3_limits *limits, sg_error *err)
{
	if (storage->repository_path && storage->repository_path[0])
		return sg_store_local_new(storage->repository_path, err);
	return sg_store_s3_new(storage, secrets_directory, limits, err);
}

void
sg_store_free(sg_store *st)
{
	if (st == NULL)
		return;
	free(st->description);
	st->ops->free(st);
}

const char *
sg_store_description(const sg_store *st)
{
	return st->description ? st->description : "";
}

void
sg_store_set_description(sg_store *st, char *text)
{
	free(st->description);
	st->description = text;
}

bool
sg_store_put(sg_store *st, const char *key, const void *data, size_t len,
			 const sg_store_meta *meta, int nmeta, sg_error *err)
{
	return st->ops->put(st, key, data, len, meta, nmeta, err);
}

bool
sg_store_get(sg_store *st, const char *key, size_t max_bytes, sg_buf *out,
			 sg_store_info *info, sg_error *err)
{
	return st->ops->get(st, key, max_bytes, out, info, err);
}

bool
sg_store_get_stream(sg_store *st, const char *key, sg_store_write_fn fn,
					void *arg, sg_store_info *info, sg_error *err)
{
	return st->ops->get_stream(st, key, fn, arg, info, err);
}

bool
sg_store_get_range(sg_store *st, const char *key, int64_t offset, size_t len,
				   sg_buf *out, sg_error *err)
{
	int			found;

	sg_buf_reset(out);
	if (offset < 0 || (uint64_t) offset + len > INT64_MAX)
		return sg_error_set(err, SG_ERR_INTERNAL,
							"invalid byte range of object \"%s\": %zu bytes from %lld",
							key, len, (long long) offset);
	if (len > 0)
		return st->ops->get_range(st, key, offset, len, out, err);
	/* no byte to ask for: whether the object is there */
	found = sg_store_head(st, key, NULL, err);
	if (found == 0)
		sg_error_set(err, SG_ERR_NOT_FOUND, "object \"%s\" is not in %s", key,
					 sg_store_description(st));
	return found == 1;
}

int
sg_store_head(sg_store *st, const char *key, sg_store_info *info, sg_error *err)
{
	return st->ops->head(st, key, info, err);
}

bool
sg_store_list(sg_store *st, const char *prefix, const char *start_after,
			  sg_store_list_fn fn, void *arg, sg_error *err)
{
	return st->ops->list(st, prefix, start_after, fn, arg, err);
}

bool
sg_store_delete(sg_store *st, const char *const *keys, int nkeys, sg_error *err)
{
	if (nkeys == 0)
		return true;
	return st->ops->delete(st, keys, nkeys, err);
}

sg_store_writer *
sg_store_writer_open(sg_store *st, const char *key, const sg_store_meta *meta,
					 int nmeta, const sg_store_writer_options *options,
					 sg_error *err)
{
	sg_store_writer_options none = {0};

	return st->ops->writer_open(st, key, meta, nmeta, options ? options : &none, err);
}

bool
sg_store_writer_write(sg_store_writer *w, const void *data, size_t len,
					  sg_error *err)
{
	return w->ops->write(w, data, len, err);
}

bool
sg_store_writer_finish(sg_store_writer *w, sg_error *err)
{
	return w->ops->finish(w, err);
}

void
sg_store_writer_free(sg_store_writer *w)
{
	if (w)
		w->ops->free(w);
}

int64_t
sg_store_writer_bytes(const sg_store_writer *w)
{
	return w->ops->bytes(w);
}

const char *
sg_store_writer_sha256(const sg_store_writer *w)
{
	return w->ops->sha256(w);
}

bool
sg_store_abort_stale(sg_store *st, const char *prefix, int *aborted,
					 sg_error *err)
{
	*aborted = 0;
	return st->ops->abort_stale(st, prefix, aborted, err);
}

bool
sg_write_all(int fd, const void *data, size_t len, const char *path, sg_error *err)
{
	const char *p = data;

	while (len > 0)
	{
		ssize_t		n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = ENOSPC;
		if (n <= 0)
			return sg_error_set(err, SG_ERR_IO, "could not write file \"%s\": %s",
								path, strerror(errno));
		p += n;
		len -= (size_t) n;
	}
	return true;
}

bool
sg_make_dirs(const char *path, size_t from, bool whole, sg_error *err)
{
	char	   *dir = sg_strdup(path);
	bool		ok = true;

	for (char *p = dir + from; ok; p++)
	{
		bool		end = (*p == '\0');

		if (*p != '/' && !end)
			continue;
		if (end && !whole)
			break;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			ok = sg_error_set(err, SG_ERR_IO, "could not create directory \"%s\": %s",
							  dir, strerror(errno));
		if (end)
			break;
		*p = '/';
	}
	free(dir);
	return ok;
}

bool
sg_fsync_parent(const char *path, sg_error *err)
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
