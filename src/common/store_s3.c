/*
 * store_s3.c - the store of store.h in an S3 bucket, over s3_client.h and
 * s3_writer.h.  Keys are relative to the storage's prefix; user metadata is
 * x-amz-meta-*; the checksum in sg_store_info is S3's ETag.
 */
#include <stdlib.h>
#include <string.h>

#include "s3_writer.h"
#include "store.h"

typedef struct s3_store
{
	sg_store	base;
	s3_client  *client;
	sg_storage	storage;		/* a copy, for writers */
	char	   *secrets_directory;
	s3_limits	limits;
	bool		has_limits;
} s3_store;

typedef struct s3_store_writer
{
	sg_store_writer base;
	s3_writer  *writer;
} s3_store_writer;

static s3_client *
client_of(sg_store *st)
{
	return ((s3_store *) st)->client;
}

/* copy what S3 said of an object into info (overwritten, not freed) */
static void
info_from_s3(sg_store_info *info, const s3_object_info *s3)
{
	memset(info, 0, sizeof(*info));
	info->exists = s3->exists;
	info->size = s3->size;
	memcpy(info->etag, s3->etag, sizeof(info->etag));
	info->nmeta = s3->nmeta < SG_STORE_MAX_META ? s3->nmeta : SG_STORE_MAX_META;
	for (int i = 0; i < info->nmeta; i++)
	{
		info->meta_name[i] = sg_strdup(s3->meta_name[i]);
		info->meta_value[i] = sg_strdup(s3->meta_value[i]);
	}
}

/* s3_meta and sg_store_meta are both {name, value}: copy, to stay honest */
static s3_meta *
meta_to_s3(const sg_store_meta *meta, int nmeta)
{
	s3_meta    *out = sg_malloc(sizeof(s3_meta) * (nmeta > 0 ? nmeta : 1));

	for (int i = 0; i < nmeta; i++)
	{
		out[i].name = meta[i].name;
		out[i].value = meta[i].value;
	}
	return out;
}

static bool
s3s_put(sg_store *st, const char *key, const void *data, size_t len,
		const sg_store_meta *meta, int nmeta, sg_error *err)
{
	s3_meta    *m = meta_to_s3(meta, nmeta);
	bool		ok = s3_put_object(client_of(st), key, data, len, m, nmeta, err);

	free(m);
	return ok;
}

static bool
s3s_get(sg_store *st, const char *key, size_t max_bytes, sg_buf *out,
		sg_store_info *info, sg_error *err)
{
	s3_object_info s3;
	bool		ok;

	memset(&s3, 0, sizeof(s3));
	ok = s3_get_object(client_of(st), key, 0, 0, max_bytes, out, &s3, err);
	if (ok && info)
		info_from_s3(info, &s3);
	s3_object_info_free(&s3);
	return ok;
}

/* a streaming get: the caller's info is filled before its first bytes */
typedef struct stream_arg
{
	sg_store_write_fn fn;
	void	   *arg;
	s3_object_info s3;
	sg_store_info *info;
	bool		started;
} stream_arg;

static void
stream_start(stream_arg *sa)
{
	sa->started = true;
	if (sa->info)
		info_from_s3(sa->info, &sa->s3);
}

static bool
stream_write(void *arg, const void *data, size_t len)
{
	stream_arg *sa = arg;

	if (!sa->started)
		stream_start(sa);
	return sa->fn(sa->arg, data, len);
}

static bool
s3s_get_stream(sg_store *st, const char *key, sg_store_write_fn fn, void *arg,
			   sg_store_info *info, sg_error *err)
{
	stream_arg	sa;
	bool		ok;

	memset(&sa, 0, sizeof(sa));
	sa.fn = fn;
	sa.arg = arg;
	sa.info = info;
	ok = s3_get_object_stream(client_of(st), key, 0, 0, stream_write, &sa,
							  &sa.s3, err);
	if (ok && !sa.started)
		stream_start(&sa);		/* an empty object */
	s3_object_info_free(&sa.s3);
	return ok;
}

/* one GET with a Range; the limit on the body is the length asked for */
static bool
s3s_get_range(sg_store *st, const char *key, int64_t offset, size_t len,
			  sg_buf *out, sg_error *err)
{
	sg_buf_reserve(out, len);
	if (s3_get_object(client_of(st), key, offset, (int64_t) len, len, out,
					  NULL, err))
		return true;
	sg_buf_reset(out);			/* no part of a failed transfer */
	return false;
}

static int
s3s_head(sg_store *st, const char *key, sg_store_info *info, sg_error *err)
{
	s3_object_info s3;
	int			rc = -1;

	memset(&s3, 0, sizeof(s3));
	if (s3_head_object(client_of(st), key, &s3, err))
	{
		rc = s3.exists ? 1 : 0;
		if (info)
			info_from_s3(info, &s3);
	}
	s3_object_info_free(&s3);
	return rc;
}

typedef struct list_arg
{
	sg_store_list_fn fn;
	void	   *arg;
} list_arg;

static bool
list_entry(void *arg, const s3_list_entry *e)
{
	list_arg   *la = arg;
	sg_store_entry entry = {e->key, e->size, e->last_modified};

	return la->fn(la->arg, &entry);
}

static bool
s3s_list(sg_store *st, const char *prefix, const char *start_after,
		 sg_store_list_fn fn, void *arg, sg_error *err)
{
	list_arg	la = {fn, arg};

	return s3_list_objects_after(client_of(st), prefix, start_after,
								 list_entry, &la, err);
}

static bool
s3s_delete(sg_store *st, const char *const *keys, int nkeys, sg_error *err)
{
	if (nkeys == 1)
		return s3_delete_object(client_of(st), keys[0], err);
	return s3_delete_objects(client_of(st), keys, nkeys, err);
}

static bool
s3w_write(sg_store_writer *w, const void *data, size_t len, sg_error *err)
{
	return s3_writer_write(((s3_store_writer *) w)->writer, data, len, err);
}

static bool
s3w_finish(sg_store_writer *w, sg_error *err)
{
	return s3_writer_finish(((s3_store_writer *) w)->writer, err);
}

static void
s3w_free(sg_store_writer *w)
{
	s3_writer_free(((s3_store_writer *) w)->writer);
	free(w);
}

static int64_t
s3w_bytes(const sg_store_writer *w)
{
	return s3_writer_bytes(((const s3_store_writer *) w)->writer);
}

static const char *
s3w_sha256(const sg_store_writer *w)
{
	return s3_writer_sha256(((const s3_store_writer *) w)->writer);
}

static const sg_store_writer_ops s3_writer_ops = {
	s3w_write, s3w_finish, s3w_free, s3w_bytes, s3w_sha256
};

static sg_store_writer *
s3s_writer_open(sg_store *st, const char *key, const sg_store_meta *meta,
				int nmeta, const sg_store_writer_options *options, sg_error *err)
{
	s3_store   *s = (s3_store *) st;
	s3_writer_options wo = {0};
	s3_store_writer *w;
	s3_meta    *m = meta_to_s3(meta, nmeta);
	s3_writer  *writer;

	wo.part_size = options->part_size;
	wo.concurrency = options->concurrency;
	wo.expected_size = options->expected_size;
	wo.max_parts = options->max_parts;
	wo.limits = s->has_limits ? &s->limits : NULL;
	writer = s3_writer_open(&s->storage, s->secrets_directory, key, m, nmeta,
							&wo, err);
	free(m);
	if (writer == NULL)
		return NULL;
	w = sg_malloc(sizeof(*w));
	w->base.ops = &s3_writer_ops;
	w->writer = writer;
	return &w->base;
}

static bool
s3s_abort_stale(sg_store *st, const char *prefix, int *aborted, sg_error *err)
{
	return s3_abort_stale_uploads(client_of(st), prefix, aborted, err);
}

static void
s3s_free(sg_store *st)
{
	s3_store   *s = (s3_store *) st;

	s3_client_free(s->client);
	sg_storage_free(&s->storage);
	free(s->secrets_directory);
	free(s);
}

static const sg_store_ops s3_store_ops = {
	s3s_put, s3s_get, s3s_get_stream, s3s_get_range, s3s_head, s3s_list,
	s3s_delete, s3s_writer_open, s3s_abort_stale, s3s_free
};

s3_client *
sg_store_s3_client(sg_store *st)
{
	return st->ops == &s3_store_ops ? client_of(st) : NULL;
}

sg_store *
sg_store_s3_new(const sg_storage *storage, const char *secrets_directory,
				const s3_limits *limits, sg_error *err)
{
	s3_store   *s;
	s3_client  *c;
	sg_buf		text;

	if (!s3_global_init(err))
		return NULL;
	c = s3_client_new(storage, secrets_directory, limits, err);
	if (c == NULL)
		return NULL;
	s = sg_malloc(sizeof(*s));
	memset(s, 0, sizeof(*s));
	s->base.ops = &s3_store_ops;
	s->client = c;
	sg_storage_copy(&s->storage, storage);
	s->secrets_directory = sg_strdup(secrets_directory);
	if (limits)
	{
		s->limits = *limits;
		s->has_limits = true;
	}
	sg_buf_init(&text);
	sg_buf_printf(&text, "bucket \"%s\" under \"%s\"",
				  storage->bucket ? storage->bucket : "",
				  storage->prefix ? storage->prefix : "");
	sg_store_set_description(&s->base, text.data);
	return &s->base;
}
