/*
 * s3_multipart.c - S3 multipart uploads (see s3_client.h): create, parts
 * sent from several threads (each with its own client; the etags are
 * recorded under a mutex), complete (whose 200 reply may still hold an
 * error) and abort; the listing of unfinished uploads (over the paging
 * loop of s3_object.c) and the aborting of stale ones.  Each request is
 * one s3_request_call (s3_request.h).
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
	size_t		cap;
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

s3_multipart *
s3_multipart_create(s3_client *c, const char *key, const s3_meta *meta,
					int nmeta, sg_error *err)
{
	s3_kv		query[] = {{"uploads", ""}};
	s3_kv		headers[S3_MAX_META + 2];
	char	   *names[S3_MAX_META] = {0};
	char	   *id = NULL;
	s3_request	req = {
		.method = "POST", .key = key, .verb = "start a multipart upload of",
		.preposition = "in", .action = "s3:PutObject", .query = query,
		.nquery = 1, .headers = headers, .read = s3_xml_read_upload_id,
		.read_out = &id,
		.document = "InitiateMultipartUploadResult with an UploadId",
	};
	s3_response resp;
	s3_multipart *mp = NULL;
	int			i;

	headers[0] = (s3_kv) {"Content-Type", "application/octet-stream"};
	req.nheaders = 1 + s3_object_headers(c, meta, nmeta, headers + 1, names);
	if (s3_request_call(c, &req, &resp, err))
		mp = s3_multipart_attach(key, id);
	free(id);
	s3_response_free(&resp);
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
		size_t		cap = mp->cap;	/* the two arrays grow together */

		mp->part_no = sg_array_grow(mp->part_no, sizeof(int), mp->nparts, &cap, 16);
		mp->etag = sg_array_grow(mp->etag, sizeof(char *), mp->nparts, &mp->cap, 16);
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
	s3_kv		query[] = {{"partNumber", num}, {"uploadId", mp->upload_id}};
	s3_kv		headers[1];
	char		md5[25];
	char		verb[64];
	s3_request	req = {
		.method = "PUT", .key = mp->key, .verb = verb, .preposition = "in",
		.action = "s3:PutObject", .query = query, .nquery = 2,
		.headers = headers, .nheaders = 1, .body = data, .body_len = len,
	};
	s3_response resp;
	const char *etag;
	bool		ok;

	if (part_no < 1 || part_no > 10000)
		return sg_error_set(err, SG_ERR_INTERNAL, "invalid part number %d", part_no);
	snprintf(num, sizeof(num), "%d", part_no);
	s3_md5_base64(data, len, md5);
	headers[0] = (s3_kv) {"Content-MD5", md5};
	snprintf(verb, sizeof(verb), "upload part %d of", part_no);

	ok = s3_request_call(c, &req, &resp, err);
	if (ok && (etag = s3_response_header(&resp, "etag")) == NULL)
	{
		ok = sg_error_set(err, SG_ERR_SERVER, "could not %s", resp.what);
		sg_error_detail(err, "The reply has no ETag.");
	}
	else if (ok)
		record_part(mp, part_no, etag);
	s3_response_free(&resp);
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
	s3_kv		query[] = {{"uploadId", mp->upload_id}};
	s3_kv		headers[] = {{"Content-Type", "application/xml"}};
	int		   *part_no;
	char	  **etag;
	int			nparts;
	sg_buf		body;
	s3_request	req = {
		.method = "POST", .key = mp->key,
		.verb = "complete the multipart upload of", .preposition = "in",
		.action = "s3:PutObject", .query = query, .nquery = 1,
		.headers = headers, .nheaders = 1,
		.read = s3_xml_read_complete_result,
		.document = "CompleteMultipartUploadResult",
	};
	s3_response resp;
	bool		ok;

	sorted_parts(mp, &part_no, &etag, &nparts);
	sg_buf_init(&body);
	s3_xml_complete_request(part_no, etag, nparts, &body);
	free(part_no);
	free(etag);
	req.body = body.data;
	req.body_len = body.len;
	ok = s3_request_call(c, &req, &resp, err);
	if (nparts == 0 && resp.status != 0)
	{
		/* S3 refuses it too, but this is our mistake */
		sg_error_clear(err);
		ok = sg_error_set(err, SG_ERR_INTERNAL, "could not %s: no part was uploaded",
						  resp.what);
	}
	s3_response_free(&resp);
	sg_buf_free(&body);
	return ok;
}

bool
s3_multipart_abort(s3_client *c, s3_multipart *mp, sg_error *err)
{
	s3_kv		query[] = {{"uploadId", mp->upload_id}};
	s3_request	req = {
		.method = "DELETE", .key = mp->key,
		.verb = "abort the multipart upload of", .preposition = "in",
		.action = "s3:AbortMultipartUpload", .query = query, .nquery = 1,
		.expect = {204, 200, 404},	/* 404: already gone */
	};
	s3_response resp;
	bool		ok;

	ok = s3_request_call(c, &req, &resp, err);
	s3_response_free(&resp);
	return ok;
}

bool
s3_list_multipart_uploads(s3_client *c, const char *key_prefix,
						  s3_upload_fn fn, void *arg, sg_error *err)
{
	char	   *prefix = s3_full_key(c, key_prefix ? key_prefix : "");
	s3_listing	l = {
		.kind = S3_XML_UPLOADS, .verb = "list the multipart uploads of",
		.action = "s3:ListBucketMultipartUploads", .select = {"uploads", ""},
		.page_size_name = "max-uploads",
		.marker_name = {"key-marker", "upload-id-marker"}, .uploads_fn = fn,
	};
	bool		ok;

	ok = s3_list_pages(c, &l, prefix, arg, err);
	free(prefix);
	return ok;
}

/* ---- stale uploads ---- */

/* the uploads found by a listing */
typedef struct upload_list
{
	int			n;
	size_t		cap;
	s3_multipart **mp;
} upload_list;

static bool
collect_upload(void *arg, const s3_upload_entry *e)
{
	upload_list *l = arg;

	l->mp = sg_array_grow(l->mp, sizeof(s3_multipart *), l->n, &l->cap, 16);
	l->mp[l->n++] = s3_multipart_attach(e->key, e->upload_id);
	return true;
}

bool
s3_abort_stale_uploads(s3_client *c, const char *key_prefix, int *aborted,
					   sg_error *err)
{
	upload_list l = {0};
	bool		ok;
	int			i;

	*aborted = 0;
	ok = s3_list_multipart_uploads(c, key_prefix, collect_upload, &l, err);
	for (i = 0; i < l.n; i++)
	{
		sg_error	e;

		/* go on after a failure; report the first one */
		if (s3_multipart_abort(c, l.mp[i], &e))
			(*aborted)++;
		else if (ok)
		{
			*err = e;
			ok = false;
		}
		s3_multipart_free(l.mp[i]);
	}
	free(l.mp);
	return ok;
}
