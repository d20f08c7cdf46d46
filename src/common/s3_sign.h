/*
 * s3_sign.h - AWS Signature Version 4 (header-based, single-chunk payload).
 *
 * Pure functions over strings: canonical request, string to sign,
 * signature and Authorization value.  Tested against AWS's SigV4 test
 * suite and the S3 worked examples in shared/sigv4.
 */
#ifndef SG_S3_SIGN_H
#define SG_S3_SIGN_H

#include <stdbool.h>

#include "sg_buf.h"

typedef struct s3_kv
{
	const char *name;
	const char *value;
} s3_kv;

typedef struct s3_sign_request
{
	const char *method;			/* "GET", "PUT", ... */
	const char *path;			/* not encoded: "/bucket/test$file.text" */
	const s3_kv *query;			/* not encoded; value "" for "?lifecycle" */
	int			nquery;
	const s3_kv *headers;		/* every header to sign, as sent (any case,
								 * untrimmed; repeated names are joined with
								 * ',') */
	int			nheaders;
	const char *payload_hash;	/* lower-case hex sha256, or "UNSIGNED-PAYLOAD" */
} s3_sign_request;

typedef struct s3_sign_key
{
	const char *access_key;
	const char *secret_key;
	const char *region;			/* "us-east-1" */
	const char *service;		/* "s3" */
	const char *amz_date;		/* "20150830T123600Z" */
} s3_sign_key;

/*
 * S3's URI encoding: unreserved A-Z a-z 0-9 - . _ ~ kept, everything else
 * %XX with upper-case hex; '/' kept when encode_slash is false.
 */
extern void s3_uri_encode(sg_buf *out, const char *s, bool encode_slash);

/* canonical request (no trailing newline); signed_headers gets "host;x-amz-date" */
extern void s3_canonical_request(const s3_sign_request *req, sg_buf *out,
								 sg_buf *signed_headers);
/* "AWS4-HMAC-SHA256\n<date>\n<scope>\n<hex sha256 of creq>" */
extern void s3_string_to_sign(const s3_sign_key *key, const char *creq,
							  sg_buf *out);
/* hex signature of string_to_sign with the derived key */
extern void s3_signature(const s3_sign_key *key, const char *string_to_sign,
						 char hex_out[65]);
/*
 * The Authorization header value:
 * "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/service/aws4_request,
 * SignedHeaders=host;x-amz-date, Signature=..."
 */
extern void s3_authorization(const s3_sign_request *req, const s3_sign_key *key,
							 sg_buf *out);

/* helpers shared with the client */
extern void s3_sha256_hex(const void *data, size_t len, char hex_out[65]);
extern void s3_md5_base64(const void *data, size_t len, char b64_out[25]);
/* "20150830T123600Z" for now (UTC) */
extern void s3_amz_date_now(char out[17]);

#endif							/* SG_S3_SIGN_H */
