/*
 * s3_sign.c - AWS Signature Version 4 for S3 requests (see s3_sign.h).
 *
 * Builds the canonical request, the string to sign, the derived signing
 * key and the Authorization value with OpenSSL's digests and HMAC.  Paths
 * are encoded the S3 way: byte by byte, never normalized.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "s3_sign.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"

/* one header or query parameter ready for sorting */
typedef struct sign_item
{
	char	   *name;
	char	   *value;
	int			order;			/* position as given, to keep sorting stable */
} sign_item;

static void
hex_encode(const unsigned char *data, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t		i;

	for (i = 0; i < len; i++)
	{
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

static void
hmac_sha256(const void *key, size_t keylen, const char *data,
			unsigned char out[32])
{
	unsigned int outlen = 32;

	if (HMAC(EVP_sha256(), key, (int) keylen, (const unsigned char *) data,
			 strlen(data), out, &outlen) == NULL)
		abort();				/* only fails when OpenSSL is unusable */
}

void
s3_sha256_hex(const void *data, size_t len, char hex_out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL))
		abort();
	hex_encode(md, mdlen, hex_out);
}

void
s3_md5_base64(const void *data, size_t len, char b64_out[25])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_md5(), NULL))
		abort();
	/* 16 bytes give 24 characters plus the NUL */
	EVP_EncodeBlock((unsigned char *) b64_out, md, (int) mdlen);
}

void
s3_amz_date_now(char out[17])
{
	time_t		now = time(NULL);
	struct tm	tm;

	gmtime_r(&now, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

void
s3_uri_encode(sg_buf *out, const char *s, bool encode_slash)
{
	const unsigned char *p;

	for (p = (const unsigned char *) s; *p; p++)
	{
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			(*p >= '0' && *p <= '9') ||
			*p == '-' || *p == '.' || *p == '_' || *p == '~' ||
			(*p == '/' && !encode_slash))
			sg_buf_append(out, p, 1);
		else
			sg_buf_printf(out, "%%%02X", *p);
	}
}

static int
compare_items(const void *a, const void *b)
{
	const sign_item *x = a;
	const sign_item *y = b;
	int			c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->order - y->order;
}

/* sort by name then value (the canonical query order) */
static int
compare_items_by_value(const void *a, const void *b)
{
	const sign_item *x = a;
	const sign_item *y = b;
	int			c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->value, y->value);
}

static void
free_items(sign_item *items, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		free(items[i].name);
		free(items[i].value);
	}
	free(items);
}

static char *
encode_copy(const char *s)
{
	sg_buf		b;

	sg_buf_init(&b);
	s3_uri_encode(&b, s ? s : "", true);
	return b.data;
}

static void
append_canonical_query(const s3_sign_request *req, sg_buf *out)
{
	sign_item  *items;
	int			i;

	if (req->nquery <= 0)
		return;
	items = sg_malloc(sizeof(sign_item) * req->nquery);
	for (i = 0; i < req->nquery; i++)
	{
		items[i].name = encode_copy(req->query[i].name);
		items[i].value = encode_copy(req->query[i].value);
		items[i].order = i;
	}
	qsort(items, req->nquery, sizeof(sign_item), compare_items_by_value);
	for (i = 0; i < req->nquery; i++)
		sg_buf_printf(out, "%s%s=%s", i ? "&" : "",
					  items[i].name, items[i].value);
	free_items(items, req->nquery);
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Append one line of a header value: leading and trailing blanks removed,
 * inner runs of blanks collapsed to a single space.
 */
static void
append_trimmed(sg_buf *out, const char *s, size_t len)
{
	size_t		i = 0;
	bool		pending_space = false;

	while (len > 0 && is_space(s[len - 1]))
		len--;
	while (i < len && is_space(s[i]))
		i++;
	for (; i < len; i++)
	{
		if (is_space(s[i]))
			pending_space = true;
		else
		{
			if (pending_space)
				sg_buf_append(out, " ", 1);
			pending_space = false;
			sg_buf_append(out, &s[i], 1);
		}
	}
}

/*
 * The canonical form of a header value.  A folded value (lines after the
 * first start on a new line) becomes its trimmed lines joined by ',', as
 * the AWS test suite expects.
 */
static char *
canonical_header_value(const char *value)
{
	sg_buf		b;
	sg_buf		line;
	const char *p = value ? value : "";

	sg_buf_init(&b);
	sg_buf_init(&line);
	while (*p)
	{
		size_t		len = strcspn(p, "\r\n");

		sg_buf_reset(&line);
		append_trimmed(&line, p, len);
		/* a blank line adds nothing, not even its comma */
		if (line.len > 0)
		{
			if (b.len > 0)
				sg_buf_append(&b, ",", 1);
			sg_buf_append(&b, line.data, line.len);
		}
		p += len;
		p += strspn(p, "\r\n");
	}
	sg_buf_free(&line);
	return b.data;
}

static char *
lower_copy(const char *s)
{
	char	   *copy = sg_strdup(s);
	char	   *p;

	for (p = copy; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = *p - 'A' + 'a';
	return copy;
}

/* canonical header lines and the signed header list */
static void
append_canonical_headers(const s3_sign_request *req, sg_buf *out,
						 sg_buf *signed_headers)
{
	sign_item  *items;
	int			n = req->nheaders;
	int			i;

	if (n <= 0)
		return;
	items = sg_malloc(sizeof(sign_item) * n);
	for (i = 0; i < n; i++)
	{
		char	   *name = lower_copy(req->headers[i].name);
		size_t		len = strlen(name);

		/* names are sent as given; drop stray blanks before the colon */
		while (len > 0 && is_space(name[len - 1]))
			name[--len] = '\0';
		items[i].name = name;
		items[i].value = canonical_header_value(req->headers[i].value);
		items[i].order = i;
	}
	qsort(items, n, sizeof(sign_item), compare_items);
	for (i = 0; i < n; i++)
	{
		bool		repeat = (i > 0 && strcmp(items[i].name, items[i - 1].name) == 0);

		if (repeat)
			sg_buf_printf(out, ",%s", items[i].value);
		else
		{
			sg_buf_printf(out, "%s%s:%s", i ? "\n" : "",
						  items[i].name, items[i].value);
			sg_buf_printf(signed_headers, "%s%s",
						  signed_headers->len ? ";" : "", items[i].name);
		}
	}
	free_items(items, n);
}

void
s3_canonical_request(const s3_sign_request *req, sg_buf *out,
					 sg_buf *signed_headers)
{
	sg_buf_reset(out);
	sg_buf_reset(signed_headers);

	sg_buf_printf(out, "%s\n", req->method);
	s3_uri_encode(out, (req->path && req->path[0]) ? req->path : "/", false);
	sg_buf_append_str(out, "\n");
	append_canonical_query(req, out);
	sg_buf_append_str(out, "\n");
	append_canonical_headers(req, out, signed_headers);
	/* the header block ends with a newline, then a blank line */
	sg_buf_append_str(out, "\n\n");
	sg_buf_append(out, signed_headers->data, signed_headers->len);
	sg_buf_printf(out, "\n%s", req->payload_hash);
}

static void
append_scope(sg_buf *out, const s3_sign_key *key)
{
	sg_buf_printf(out, "%.8s/%s/%s/aws4_request",
				  key->amz_date, key->region, key->service);
}

void
s3_string_to_sign(const s3_sign_key *key, const char *creq, sg_buf *out)
{
	char		hash[65];

	sg_buf_reset(out);
	s3_sha256_hex(creq, strlen(creq), hash);
	sg_buf_printf(out, SIGV4_ALGORITHM "\n%s\n", key->amz_date);
	append_scope(out, key);
	sg_buf_printf(out, "\n%s", hash);
}

void
s3_signature(const s3_sign_key *key, const char *string_to_sign,
			 char hex_out[65])
{
	sg_buf		secret;
	char		date[9];
	unsigned char k[32];
	unsigned char k2[32];
	unsigned char sig[32];

	sg_buf_init(&secret);
	sg_buf_printf(&secret, "AWS4%s", key->secret_key);
	memcpy(date, key->amz_date, 8);
	date[8] = '\0';

	hmac_sha256(secret.data, secret.len, date, k);
	hmac_sha256(k, sizeof(k), key->region, k2);
	hmac_sha256(k2, sizeof(k2), key->service, k);
	hmac_sha256(k, sizeof(k), "aws4_request", k2);
	hmac_sha256(k2, sizeof(k2), string_to_sign, sig);
	hex_encode(sig, sizeof(sig), hex_out);

	/* the key material is as secret as the key itself */
	memset(secret.data, 0, secret.len);
	memset(k, 0, sizeof(k));
	memset(k2, 0, sizeof(k2));
	sg_buf_free(&secret);
}

void
s3_authorization(const s3_sign_request *req, const s3_sign_key *key,
				 sg_buf *out)
{
	sg_buf		creq;
	sg_buf		signed_headers;
	sg_buf		sts;
	char		sig[65];

	sg_buf_init(&creq);
	sg_buf_init(&signed_headers);
	sg_buf_init(&sts);

	s3_canonical_request(req, &creq, &signed_headers);
	s3_string_to_sign(key, creq.data, &sts);
	s3_signature(key, sts.data, sig);

	sg_buf_reset(out);
	sg_buf_printf(out, SIGV4_ALGORITHM " Credential=%s/", key->access_key);
	append_scope(out, key);
	sg_buf_printf(out, ", SignedHeaders=%s, Signature=%s",
				  signed_headers.data, sig);

	sg_buf_free(&creq);
	sg_buf_free(&signed_headers);
	sg_buf_free(&sts);
}
