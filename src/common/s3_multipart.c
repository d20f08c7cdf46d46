/*
 * s3_multipart.c - S3 multipart uploads (see s3_client.h): create, parts
 * sent from several threads (each with its own client; the etags are
 * recorded under a mutex), complete (whose 200 reply may still hold an
 * error) and abort; the listing of unfinished uploads.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3_request.h"
#include "s3_xml.h"

struct s3_multipart
{
	char	   *key;			/* relative to the prefix */
	char	   *upload_id;
	pthread_mutex_t lock;		/* protects the parts */
	int			nparts;
	int			cap;
	int		   *part_no;
	char	  **etag;			/* without quotes */
};

const char *
s3_multipart_upload_id(const s3_multipart *mp)
{
	return mp->upload_id;
}

void
s3_multipart_free(s3_multipart *mp)
{
	int			i;

	if (mp == NULL)
		return;
	for (i = 0; i < mp->nparts; i++)
		free(mp->etag[i]);
	free(mp->etag);
	free(mp->part_no);
	free(mp->key);
	free(mp->upload_id);
	pthread_mutex_destroy(&mp->lock);
	free(mp);
}

s3_multipart *
s3_multipart_attach(const char *key, const char *upload_id)
{
	s3_multipart *mp = sg_malloc(sizeof(s3_multipart));

	memset(mp, 0, sizeof(*mp));
	mp->key = sg_strdup(key);
	mp->upload_id = sg_strdup(upload_id);
	pthread_mutex_init(&mp->lock, NULL);
	return mp;
}

/*
 * Send a request about the object key that needs IAM action; true with
 * resp when a reply came
 */
static bool
send_for(s3_client *c, s3_request *req, const char *key, const char *verb,
		 const char *action, s3_response *resp, sg_error *err)
{
	req->key = key;
	req->what = s3_describe(c, verb, key, "in");
	req->action = action;
	s3_response_init(resp);
	return s3_request_send(c, req, resp, err);
}

static void
done(s3_request *req, s3_response *resp)
{
	s3_response_free(resp);
	free((char *) req->what);
}

s3_multipart *
s3_multipart_create(s3_client *c, const char *key, const s3_meta *meta,
					int nmeta, sg_error *err)
{
	s3_kv		query[] = {{"uploads", ""}};
	s3_kv		headers[S3_MAX_META + 2];
	char	   *names[S3_MAX_META] = {0};
	s3_request	req;
	s3_response resp;
	s3_multipart *mp = NULL;
	char	   *id = NULL;
	int			i;

	headers[0] = (s3_kv) {"Content-Type", "application/octet-stream"};
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.query = query;
	req.nquery = 1;
	req.headers = headers;
	req.nheaders = 1 + s3_object_headers(c, meta, nmeta, headers + 1, names);
	if (send_for(c, &req, key, "start a multipart upload of", "s3:PutObject",
				 &resp, err))
	{
		if (resp.status != 200)
			s3_response_error(c, &req, &resp, err);
		else if ((id = s3_xml_upload_id(resp.body.data, resp.body.len)) == NULL)
			s3_reply_unexpected(c, &req, &resp,
								"InitiateMultipartUploadResult with an UploadId", err);
	}
	if (id)
	{
		mp = sg_malloc(sizeof(s3_multipart));
		memset(mp, 0, sizeof(*mp));
		mp->key = sg_strdup(key);
		mp->upload_id = id;
		pthread_mutex_init(&mp->lock, NULL);
	}
	done(&req, &resp);
	for (i = 0; i < S3_MAX_META; i++)
		free(names[i]);
	return mp;
}

/* remember part_no's etag, replacing an earlier upload of the same part */
static void
record_part(s3_multipart *mp, int part_no, const char *etag)
{
	size_t		len = strlen(etag);
	char	   *copy;
	int			i;

	if (len >= 2 && etag[0] == '"' && etag[len - 1] == '"')
		copy = strndup(etag + 1, len - 2);
	else
		copy = sg_strdup(etag);

	pthread_mutex_lock(&mp->lock);
	for (i = 0; i < mp->nparts; i++)
		if (mp->part_no[i] == part_no)
			break;
	if (i == mp->nparts)
	{
		if (mp->nparts == mp->cap)
		{
			mp->cap = mp->cap ? mp->cap * 2 : 16;
			mp->part_no = sg_realloc(mp->part_no, mp->cap * sizeof(int));
			mp->etag = sg_realloc(mp->etag, mp->cap * sizeof(char *));
		}
		mp->nparts++;
		mp->etag[i] = NULL;
	}
	mp->part_no[i] = part_no;
	free(mp->etag[i]);
	mp->etag[i] = copy;
	pthread_mutex_unlock(&mp->lock);
}

bool
s3_multipart_put_part(s3_client *c, s3_multipart *mp, int part_no,
					  const void *data, size_t len, sg_error *err)
{
	char		num[16];
	s3_kv		query[2];
	s3_kv		headers[1];
	char		md5[25];
	char		verb[64];
	s3_request	req;
	s3_response resp;
	const char *etag;
	bool		ok;

	if (part_no < 1 || part_no > 10000)
		return sg_error_set(err, SG_ERR_INTERNAL, "invalid part number %d", part_no);
	snprintf(num, sizeof(num), "%d", part_no);
	query[0] = (s3_kv) {"partNumber", num};
	query[1] = (s3_kv) {"uploadId", mp->upload_id};
	s3_md5_base64(data, len, md5);
	headers[0] = (s3_kv) {"Content-MD5", md5};
	snprintf(verb, sizeof(verb), "upload part %d of", part_no);

	memset(&req, 0, sizeof(req));
	req.method = "PUT";
	req.query = query;
	req.nquery = 2;
	req.headers = headers;
	req.nheaders = 1;
	req.body = data;
	req.body_len = len;
	ok = send_for(c, &req, mp->key, verb, "s3:PutObject", &resp, err);
	if (ok && resp.status != 200)
		ok = s3_response_error(c, &req, &resp, err);
	else if (ok && (etag = s3_response_header(&resp, "etag")) == NULL)
	{
		ok = sg_error_set(err, SG_ERR_SERVER, "could not %s", req.what);
		sg_error_detail(err, "The reply has no ETag.");
	}
	else if (ok)
		record_part(mp, part_no, etag);
	done(&req, &resp);
	return ok;
}

/* the parts sorted by number, as the Complete request wants them */
static void
sorted_parts(s3_multipart *mp, int **part_no, char ***etag, int *nparts)
{
	int			n;
	int			i;
	int			j;

	pthread_mutex_lock(&mp->lock);
	n = mp->nparts;
	*part_no = sg_malloc(n * sizeof(int));
	*etag = sg_malloc(n * sizeof(char *));
	for (i = 0; i < n; i++)
	{
		/* insertion sort: at most 10000 parts, usually a few */
		for (j = i; j > 0 && (*part_no)[j - 1] > mp->part_no[i]; j--)
		{
			(*part_no)[j] = (*part_no)[j - 1];
			(*etag)[j] = (*etag)[j - 1];
		}
		(*part_no)[j] = mp->part_no[i];
		(*etag)[j] = mp->etag[i];
	}
	*nparts = n;
	pthread_mutex_unlock(&mp->lock);
}

bool
s3_multipart_complete(s3_client *c, s3_multipart *mp, sg_error *err)
{
	s3_kv		query[1];
	s3_kv		headers[1];
	int		   *part_no;
	char	  **etag;
	int			nparts;
	sg_buf		body;
	s3_request	req;
	s3_response resp;
	bool		ok;

	sorted_parts(mp, &part_no, &etag, &nparts);
	sg_buf_init(&body);
	s3_xml_complete_request(part_no, etag, nparts, &body);
	free(part_no);
	free(etag);
	query[0] = (s3_kv) {"uploadId", mp->upload_id};
	headers[0] = (s3_kv) {"Content-Type", "application/xml"};

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.query = query;
	req.nquery = 1;
	req.headers = headers;
	req.nheaders = 1;
	req.body = body.data;
	req.body_len = body.len;
	ok = send_for(c, &req, mp->key, "complete the multipart upload of",
				  "s3:PutObject", &resp, err);
	if (ok && nparts == 0)
		ok = sg_error_set(err, SG_ERR_INTERNAL, "could not %s: no part was uploaded",
						  req.what);
	else if (ok && resp.status != 200)
		ok = s3_response_error(c, &req, &resp, err);
	else if (ok && !s3_xml_is_complete_result(resp.body.data, resp.body.len))
	{
		/* a 200 reply can still carry an error */
		ok = s3_reply_unexpected(c, &req, &resp, "CompleteMultipartUploadResult", err);
	}
	done(&req, &resp);
	sg_buf_free(&body);
	return ok;
}

bool
s3_multipart_abort(s3_client *c, s3_multipart *mp, sg_error *err)
{
	s3_kv		query[1];
	s3_request	req;
	s3_response resp;
	bool		ok;

	query[0] = (s3_kv) {"uploadId", mp->upload_id};
	memset(&req, 0, sizeof(req));
	req.method = "DELETE";
	req.query = query;
	req.nquery = 1;
	ok = send_for(c, &req, mp->key, "abort the multipart upload of",
				  "s3:AbortMultipartUpload", &resp, err);
	/* 404: already gone */
	if (ok && resp.status != 204 && resp.status != 200 && resp.status != 404)
		ok = s3_response_error(c, &req, &resp, err);
	done(&req, &resp);
	return ok;
}

/* where the next page of a listing of uploads starts */
typedef struct upload_marker
{
	char	   *key;
	char	   *upload_id;
	bool		more;
} upload_marker;

/* give one page's uploads to fn; false from fn stops the listing */
static void
pass_uploads(s3_client *c, s3_xml_uploads *list, s3_upload_fn fn, void *arg,
			 upload_marker *m)
{
	size_t		skip = strlen(c->storage.prefix ? c->storage.prefix : "");
	int			i;

	if (skip > 0)
		skip++;					/* the '/' after the prefix */
	for (i = 0; i < list->nitems; i++)
	{
		s3_upload_entry e;
		const char *key = list->items[i].key;

		e.key = strlen(key) >= skip ? key + skip : key;
		e.upload_id = list->items[i].upload_id;
		e.initiated = list->items[i].initiated ? list->items[i].initiated : "";
		if (!fn(arg, &e))
		{
			m->more = false;
			return;
		}
	}
}

/* one ListMultipartUploads page; m says where it starts and the next one */
static bool
uploads_page(s3_client *c, const char *prefix, upload_marker *m,
			 s3_upload_fn fn, void *arg, sg_error *err)
{
	s3_kv		query[5];
	int			nquery = 0;
	char		max_uploads[16];
	s3_request	req;
	s3_response resp;
	s3_xml_uploads list;
	bool		ok;

	query[nquery++] = (s3_kv) {"uploads", ""};
	query[nquery++] = (s3_kv) {"prefix", prefix};
	if (c->list_page_size > 0)
	{
		snprintf(max_uploads, sizeof(max_uploads), "%d", c->list_page_size);
		query[nquery++] = (s3_kv) {"max-uploads", max_uploads};
	}
	if (m->key)
		query[nquery++] = (s3_kv) {"key-marker", m->key};
	if (m->key && m->upload_id)
		query[nquery++] = (s3_kv) {"upload-id-marker", m->upload_id};

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.query = query;
	req.nquery = nquery;
	req.what = s3_describe_full(c, "list the multipart uploads of", prefix, "in");
	req.action = "s3:ListBucketMultipartUploads";
	s3_response_init(&resp);
	m->more = false;
	ok = s3_request_send(c, &req, &resp, err);
	if (ok && resp.status != 200)
		ok = s3_response_error(c, &req, &resp, err);
	else if (ok && !s3_xml_parse_uploads(resp.body.data, resp.body.len, &list))
		ok = s3_reply_unexpected(c, &req, &resp, "ListMultipartUploadsResult", err);
	else if (ok)
	{
		/* go on only when the markers move forward */
		m->more = list.truncated && list.next_key_marker &&
			list.next_key_marker[0] &&
			!(m->key && strcmp(m->key, list.next_key_marker) == 0 &&
			  m->upload_id && list.next_upload_id_marker &&
			  strcmp(m->upload_id, list.next_upload_id_marker) == 0);
		free(m->key);
		free(m->upload_id);
		m->key = list.next_key_marker;
		m->upload_id = list.next_upload_id_marker;
		list.next_key_marker = NULL;
		list.next_upload_id_marker = NULL;
		pass_uploads(c, &list, fn, arg, m);
		s3_xml_uploads_free(&list);
	}
	s3_response_free(&resp);
	free((char *) req.what);
	return ok;
}

bool
s3_list_multipart_uploads(s3_client *c, const char *key_prefix,
						  s3_upload_fn fn, void *arg, sg_error *err)
{
	char	   *prefix = s3_full_key(c, key_prefix ? key_prefix : "");
	upload_marker m = {NULL, NULL, true};
	bool		ok = true;

	while (ok && m.more)
		ok = uploads_page(c, prefix, &m, fn, arg, err);
	free(m.key);
	free(m.upload_id);
	free(prefix);
	return ok;
}
