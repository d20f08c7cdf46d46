/*
 * s3_object.c - the single-object operations of the S3 client (see
 * s3_client.h): put, get, head, delete, batch delete (one object at a time
 * where the batch is refused or missing) and listing, each a few lines
 * over s3_request_call (s3_request.h); and the paging loop shared by the
 * listings of objects and of multipart uploads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "s3_request.h"

#define DELETE_BATCH 1000

/* ---- object info ---- */

void
s3_object_info_free(s3_object_info *info)
{
	int			i;

	for (i = 0; i < info->nmeta; i++)
	{
		free(info->meta_name[i]);
		free(info->meta_value[i]);
	}
	memset(info, 0, sizeof(*info));
}

const char *
s3_object_info_meta(const s3_object_info *info, const char *name)
{
	int			i;

	for (i = 0; i < info->nmeta; i++)
		if (strcasecmp(info->meta_name[i], name) == 0)
			return info->meta_value[i];
	return NULL;
}

static void
copy_field(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* size, etag, dates, storage class and metadata from a reply's headers */
static void
fill_info(const s3_response *resp, s3_object_info *info)
{
	const char *range = s3_response_header(resp, "content-range");
	const char *length = s3_response_header(resp, "content-length");
	const char *slash = range ? strrchr(range, '/') : NULL;
	size_t		len;
	int			i;

	memset(info, 0, sizeof(*info));	/* an output: never freed here */
	info->exists = true;
	if (slash && slash[1] != '*')
		info->size = strtoll(slash + 1, NULL, 10);
	else if (length)
		info->size = strtoll(length, NULL, 10);
	copy_field(info->etag, sizeof(info->etag), s3_response_header(resp, "etag"));
	len = strlen(info->etag);
	if (len >= 2 && info->etag[0] == '"' && info->etag[len - 1] == '"')
	{
		memmove(info->etag, info->etag + 1, len - 2);
		info->etag[len - 2] = '\0';
	}
	copy_field(info->last_modified, sizeof(info->last_modified),
			   s3_response_header(resp, "last-modified"));
	copy_field(info->storage_class, sizeof(info->storage_class),
			   s3_response_header(resp, "x-amz-storage-class"));
	for (i = 0; i < resp->nheaders && info->nmeta < S3_MAX_META; i++)
	{
		if (strncmp(resp->header_name[i], "x-amz-meta-", 11) != 0)
			continue;
		info->meta_name[info->nmeta] = sg_strdup(resp->header_name[i] + 11);
		info->meta_value[info->nmeta] = sg_strdup(resp->header_value[i]);
		info->nmeta++;
	}
}

/* ---- requests shared with s3_multipart.c ---- */

/* headers for a new object: storage class and user metadata (names malloc'ed) */
int
s3_object_headers(const s3_client *c, const s3_meta *meta, int nmeta,
				  s3_kv *out, char **names)
{
	int			n = 0;
	int			i;
	const char *sc = s3_client_storage(c)->storage_class;

	if (sc && sc[0] && strcmp(sc, "STANDARD") != 0)
		out[n++] = (s3_kv) {"x-amz-storage-class", sc};
	for (i = 0; i < nmeta && i < S3_MAX_META; i++)
	{
		sg_buf		name;

		sg_buf_init(&name);
		sg_buf_printf(&name, "x-amz-meta-%s", meta[i].name);
		names[i] = name.data;
		out[n++] = (s3_kv) {names[i], meta[i].value};
	}
	return n;
}

/* ---- put, get, head, delete ---- */

bool
s3_put_object(s3_client *c, const char *key, const void *data, size_t len,
			  const s3_meta *meta, int nmeta, sg_error *err)
{
	s3_kv		headers[S3_MAX_META + 3];
	char	   *names[S3_MAX_META] = {0};
	char		md5[25];
	s3_request	req = {
		.method = "PUT", .key = key, .verb = "upload", .preposition = "to",
		.action = "s3:PutObject", .headers = headers, .body = data,
		.body_len = len,
	};
	s3_response resp;
	bool		ok;
	int			i;

	s3_md5_base64(data, len, md5);
	headers[0] = (s3_kv) {"Content-MD5", md5};
	headers[1] = (s3_kv) {"Content-Type", "application/octet-stream"};
	req.nheaders = 2 + s3_object_headers(c, meta, nmeta, headers + 2, names);
	ok = s3_request_call(c, &req, &resp, err);
	s3_response_free(&resp);
	for (i = 0; i < S3_MAX_META; i++)
		free(names[i]);
	return ok;
}

/* hands the body to the caller's write_fn, filling info first */
typedef struct stream_state
{
	s3_write_fn write_fn;
	void	   *arg;
	s3_object_info *info;		/* may be NULL */
	const s3_response *resp;
	bool		info_filled;
} stream_state;

static bool
stream_write(void *arg, const void *data, size_t len)
{
	stream_state *st = arg;

	if (st->info && !st->info_filled)
	{
		fill_info(st->resp, st->info);
		st->info_filled = true;
	}
	return st->write_fn(st->arg, data, len);
}

bool
s3_get_object_stream(s3_client *c, const char *key, int64_t offset,
					 int64_t length, s3_write_fn write_fn, void *arg,
					 s3_object_info *info, sg_error *err)
{
	s3_response resp;
	stream_state st = {write_fn, arg, info, &resp, false};
	s3_request	req = {
		.method = "GET", .key = key, .verb = "download",
		.preposition = "from", .action = "s3:GetObject",
		.range_offset = offset, .range_length = length,
		.write_fn = stream_write, .write_arg = &st, .expect = {200, 206},
	};
	bool		ok;

	/* a range starting at or past the end: 416, no bytes (not an error) */
	if (offset > 0 || length > 0)
		req.expect[2] = 416;

	ok = s3_request_call(c, &req, &resp, err);
	if (ok && info && !st.info_filled)
		fill_info(&resp, info);		/* an empty body: no write came */
	s3_response_free(&resp);
	return ok;
}

/* an in-memory body with a limit */
typedef struct bounded_buf
{
	sg_buf	   *out;
	size_t		max_bytes;
	bool		too_big;
} bounded_buf;

static bool
append_bounded(void *arg, const void *data, size_t len)
{
	bounded_buf *b = arg;

	if (len > b->max_bytes - b->out->len)
	{
		b->too_big = true;
		return false;
	}
	sg_buf_append(b->out, data, len);
	return true;
}

bool
s3_get_object(s3_client *c, const char *key, int64_t offset, int64_t length,
			  size_t max_bytes, sg_buf *out, s3_object_info *info, sg_error *err)
{
	bounded_buf b = {out, max_bytes, false};
	bool		ok;

	sg_buf_reset(out);
	ok = s3_get_object_stream(c, key, offset, length, append_bounded, &b,
							  info, err);
	if (!ok && b.too_big)
	{
		char	   *full = s3_full_key(c, key);
		const char *bucket = s3_client_storage(c)->bucket;

		if (length > 0 && (size_t) length <= max_bytes)
			sg_error_set(err, SG_ERR_SERVER,
						 "could not download \"%s\" from bucket \"%s\": S3 sent more than the %lld bytes asked for",
						 full, bucket, (long long) length);
		else
		{
			sg_error_set(err, SG_ERR_CORRUPT,
						 "object \"%s\" in bucket \"%s\" is larger than %zu bytes",
						 full, bucket, max_bytes);
			sg_error_detail(err, "sgbackup reads objects of this kind into memory and refuses larger ones.");
			sg_error_hint(err, "The object was not written by sgbackup, or it was damaged or replaced.");
		}
		free(full);
	}
	return ok;
}

bool
s3_head_object(s3_client *c, const char *key, s3_object_info *info,
			   sg_error *err)
{
	s3_request	req = {
		.method = "HEAD", .key = key, .verb = "look up", .preposition = "in",
		.action = "s3:GetObject", .expect = {200, 404},
	};
	s3_response resp;
	bool		ok;

	memset(info, 0, sizeof(*info));
	ok = s3_request_call(c, &req, &resp, err);
	if (ok && resp.status == 200)
		fill_info(&resp, info);
	s3_response_free(&resp);
	return ok;
}

bool
s3_delete_object(s3_client *c, const char *key, sg_error *err)
{
	s3_request	req = {
		.method = "DELETE", .key = key, .verb = "delete",
		.preposition = "from", .action = "s3:DeleteObject",
		.expect = {204, 200}, .missing_ok = true,
	};
	s3_response resp;
	bool		ok;

	ok = s3_request_call(c, &req, &resp, err);
	s3_response_free(&resp);
	return ok;
}

/* ---- batch delete ---- */

/* err for a DeleteResult that lists failed keys: the first one is named */
static bool
keys_failed(const s3_client *c, const s3_response *resp,
			const s3_xml_delete_result *result, sg_error *err)
{
	const s3_xml_error *xe = &result->first;

	if (strcmp(xe->code, "AccessDenied") == 0)
	{
		char	   *arn = s3_object_arn(c, xe->key);

		s3_permission_error(c, "s3:DeleteObject", arn, err);
		free(arn);
	}
	else
		sg_error_set(err, SG_ERR_SERVER, "could not %s", resp->what);
	sg_error_detail(err, "%d of them failed; \"%s\": %s: %s",
					result->nerrors, xe->key, xe->code, xe->message);
	err->http_status = 200;
	return false;
}

/* one DeleteObjects request (POST ?delete) */
static bool
delete_batch(s3_client *c, const char *const *keys, int nkeys, sg_error *err)
{
	s3_kv		query[] = {{"delete", ""}};
	s3_kv		headers[2];
	char		md5[25];
	char	  **full = sg_malloc(nkeys * sizeof(char *));
	sg_buf		body;
	sg_buf		verb;
	s3_xml_delete_result result;
	s3_request	req = {
		.method = "POST", .action = "s3:DeleteObject", .query = query,
		.nquery = 1, .headers = headers, .nheaders = 2,
		.read = s3_xml_read_delete_result, .read_out = &result,
		.document = "DeleteResult",
	};
	s3_response resp;
	bool		ok;
	int			i;

	for (i = 0; i < nkeys; i++)
		full[i] = s3_full_key(c, keys[i]);
	sg_buf_init(&body);
	s3_xml_delete_request((const char *const *) full, nkeys, &body);
	s3_md5_base64(body.data, body.len, md5);
	headers[0] = (s3_kv) {"Content-MD5", md5};
	headers[1] = (s3_kv) {"Content-Type", "application/xml"};
	req.body = body.data;
	req.body_len = body.len;
	sg_buf_init(&verb);
	sg_buf_printf(&verb, "delete %d objects from bucket \"%s\"", nkeys,
				  s3_client_storage(c)->bucket);
	req.verb = verb.data;

	ok = s3_request_call(c, &req, &resp, err);
	if (ok && result.nerrors > 0)
		ok = keys_failed(c, &resp, &result, err);
	s3_response_free(&resp);
	sg_buf_free(&verb);
	sg_buf_free(&body);
	for (i = 0; i < nkeys; i++)
		free(full[i]);
	free(full);
	return ok;
}

/*
 * A batch delete this store will not do: refused (the RADOS Gateway refuses
 * it under a policy that allows s3:DeleteObject on the objects only) or not
 * implemented (501, or 400 or 405 from some S3-compatible stores).
 */
static bool
batch_unavailable(const sg_error *err)
{
	return (err->kind == SG_ERR_PERMISSION && err->http_status == 403) ||
		err->http_status == 501 || err->http_status == 405 ||
		(err->http_status == 400 && err->kind == SG_ERR_SERVER);
}

static bool
delete_each(s3_client *c, const char *const *keys, int nkeys, sg_error *err)
{
	for (int i = 0; i < nkeys; i++)
		if (!s3_delete_object(c, keys[i], err))
			return false;
	return true;
}

bool
s3_delete_objects(s3_client *c, const char *const *keys, int nkeys,
				  sg_error *err)
{
	int			done;

	for (done = 0; done < nkeys; done += DELETE_BATCH)
	{
		int			n = nkeys - done < DELETE_BATCH ? nkeys - done : DELETE_BATCH;

		if (!s3_client_batch_refused(c))
		{
			if (delete_batch(c, keys + done, n, err))
				continue;
			if (!batch_unavailable(err))
				return false;
			s3_client_refuse_batch(c);
		}
		if (!delete_each(c, keys + done, n, err))
			return false;
	}
	return true;
}

/* ---- listing ---- */

/* whether the list's next markers differ from those of this page */
static bool
markers_moved(char *const *mark, const s3_xml_list *list)
{
	int			i;

	for (i = 0; i < S3_XML_MARKERS; i++)
		if (strcmp(mark[i] ? mark[i] : "", list->next[i] ? list->next[i] : "") != 0)
			return true;
	return false;
}

static const char *
or_empty(const char *s)
{
	return s ? s : "";
}

/* give one listed entry to the caller's function for its kind */
static bool
pass_entry(const s3_listing *l, const char *key, const s3_xml_entry *x, void *arg)
{
	s3_list_entry o = {key, x->size, or_empty(x->etag), or_empty(x->last_modified),
	or_empty(x->storage_class)};
	s3_upload_entry u = {key, x->upload_id, or_empty(x->initiated)};

	if (l->kind == S3_XML_UPLOADS)
		return l->uploads_fn(arg, &u);
	return l->objects_fn(arg, &o);
}

/*
 * One page starting at the markers mark[]; the entries go to the caller.
 * *more tells whether another page follows, whose markers replace mark[].
 */
static bool
list_page(s3_client *c, const s3_listing *l, const char *prefix, char **mark,
		  void *arg, bool *more, sg_error *err)
{
	s3_kv		query[4 + S3_XML_MARKERS];
	char		page_size[16];
	s3_xml_list list = {l->kind};
	s3_request	req = {
		.method = "GET", .full_key = prefix, .verb = l->verb,
		.preposition = "in", .action = l->action, .query = query,
		.read = s3_xml_read_list, .read_out = &list,
		.document = s3_xml_list_document(l->kind),
	};
	s3_response resp;
	bool		ok;
	int			i;

	query[req.nquery++] = l->select;
	query[req.nquery++] = (s3_kv) {"prefix", prefix};
	if (s3_client_list_page_size(c) > 0)
	{
		snprintf(page_size, sizeof(page_size), "%d", s3_client_list_page_size(c));
		query[req.nquery++] = (s3_kv) {l->page_size_name, page_size};
	}
	for (i = 0; i < S3_XML_MARKERS; i++)
		if (mark[i] && l->marker_name[i])
			query[req.nquery++] = (s3_kv) {l->marker_name[i], mark[i]};
	if (mark[0] == NULL && l->start.name)
		query[req.nquery++] = l->start;

	*more = false;
	ok = s3_request_call(c, &req, &resp, err);
	if (ok)
	{
		*more = list.truncated && list.next[0] && list.next[0][0] &&
			markers_moved(mark, &list);
		for (i = 0; i < list.nitems; i++)
			if (!pass_entry(l, s3_relative_key(c, list.items[i].key), &list.items[i], arg))
			{
				*more = false;
				break;
			}
		for (i = 0; i < S3_XML_MARKERS; i++)
		{
			free(mark[i]);
			mark[i] = list.next[i];
			list.next[i] = NULL;
		}
		s3_xml_list_free(&list);
	}
	s3_response_free(&resp);
	return ok;
}

bool
s3_list_pages(s3_client *c, const s3_listing *l, const char *prefix,
			  void *arg, sg_error *err)
{
	char	   *mark[S3_XML_MARKERS] = {0};
	bool		more = true;
	bool		ok = true;
	int			i;

	while (ok && more)
		ok = list_page(c, l, prefix, mark, arg, &more, err);
	for (i = 0; i < S3_XML_MARKERS; i++)
		free(mark[i]);
	return ok;
}

bool
s3_list_objects_after(s3_client *c, const char *key_prefix,
					  const char *start_after, s3_list_fn fn, void *arg,
					  sg_error *err)
{
	char	   *prefix = s3_full_key(c, key_prefix ? key_prefix : "");
	char	   *after = start_after ? s3_full_key(c, start_after) : NULL;
	s3_listing	l = {
		.kind = S3_XML_OBJECTS, .verb = "list", .action = "s3:ListBucket",
		.select = {"list-type", "2"}, .page_size_name = "max-keys",
		.marker_name = {"continuation-token"},
		.start = {after ? "start-after" : NULL, after}, .objects_fn = fn,
	};
	bool		ok;

	ok = s3_list_pages(c, &l, prefix, arg, err);
	free(after);
	free(prefix);
	return ok;
}

bool
s3_list_objects(s3_client *c, const char *key_prefix, s3_list_fn fn,
				void *arg, sg_error *err)
{
	return s3_list_objects_after(c, key_prefix, NULL, fn, arg, err);
}
