/*
 * config_storage.c - the storage model (see config_storage.h): an
 * SGObjectStorage spec as sg_storage, its init, free, copy and equality,
 * and the checks on it: bucket and path rules, endpoint, region, storage
 * class and secret key selectors.  The YAML readers (config_stackgres.c)
 * and the settings (config.c) both fill an sg_storage and check it here,
 * so that the same value is refused for the same reason everywhere.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_storage.h"
#include "config_yaml_guard.h"
#include "sg_buf.h"

static const char *const storage_classes[] = {
	"STANDARD", "STANDARD_IA", "REDUCED_REDUNDANCY", NULL
};

static bool
storage_class_ok(const char *value)
{
	for (const char *const *c = storage_classes; *c; c++)
		if (strcmp(value, *c) == 0)
			return true;
	return false;
}

bool
sg_str_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* " at line N" when the line is known, else "" */
const char *
sg_at_line(int line, char *buf, size_t len)
{
	if (line <= 0)
		return "";
	snprintf(buf, len, " at line %d", line);
	return buf;
}

/*
 * A value fit to quote in a message: at most SG_SHOWN_LEN characters, with
 * control characters, line separators and bytes that are not UTF-8
 * written as escapes (\x7F, \u0085, \xFF).  buf holds SG_SHOWN_SIZE bytes.
 */
const char *
sg_shown_value(const char *value, char *buf, size_t len)
{
	size_t		vlen = strlen(value);
	size_t		in = 0;
	size_t		out = 0;

	for (int shown = 0; in < vlen && shown < SG_SHOWN_LEN && out + 12 < len; shown++)
	{
		unsigned	cp;
		int			n = sg_utf8_char(value + in, vlen - in, &cp);

		if (n == 0)
			out += snprintf(buf + out, len - out, "\\x%02X", (unsigned char) value[in++]);
		else if (cp < 0x20 || cp == 0x7f)
			out += snprintf(buf + out, len - out, "\\x%02X", cp);
		else if ((cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029)
			out += snprintf(buf + out, len - out, "\\u%04X", cp);
		else
		{
			memcpy(buf + out, value + in, n);
			out += n;
		}
		in += n;
	}
	if (in < vlen)
		out += snprintf(buf + out, len - out, "...");
	buf[out] = '\0';
	return buf;
}

/*
 * A Kubernetes object name (an RFC 1123 subdomain), as the names of
 * SGObjectStorages and Secrets are: at most 253 lower-case letters, digits,
 * '-' and '.', where each part between dots starts and ends with a letter
 * or digit.
 */
bool
sg_k8s_name_ok(const char *v)
{
	size_t		n = strlen(v);

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++)
	{
		bool		alnum = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9');
		bool		edge = i == 0 || i == n - 1 || v[i - 1] == '.' || v[i + 1] == '.';

		if (!alnum && !((v[i] == '-' || v[i] == '.') && !edge))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------------
 * a storage: init, free, copy, equality; compression names
 * ------------------------------------------------------------------------ */

void
sg_storage_init(sg_storage *s)
{
	memset(s, 0, sizeof(*s));
}

static void
selector_free(sg_secret_selector *sel)
{
	free(sel->name);
	free(sel->key);
	sel->name = NULL;
	sel->key = NULL;
}

void
sg_storage_free(sg_storage *s)
{
	free(s->name);
	free(s->type);
	free(s->bucket);
	free(s->prefix);
	free(s->region);
	free(s->endpoint);
	free(s->storage_class);
	free(s->ca_file);
	free(s->repository_path);
	selector_free(&s->access_key_id);
	selector_free(&s->secret_access_key);
	selector_free(&s->ca_certificate);
	sg_storage_init(s);
}

static void
selector_copy(sg_secret_selector *dst, const sg_secret_selector *src)
{
	dst->name = sg_strdup(src->name);
	dst->key = sg_strdup(src->key);
}

/* dst is overwritten, not freed: free or init it first */
void
sg_storage_copy(sg_storage *dst, const sg_storage *src)
{
	*dst = *src;
	dst->name = sg_strdup(src->name);
	dst->type = sg_strdup(src->type);
	dst->bucket = sg_strdup(src->bucket);
	dst->prefix = sg_strdup(src->prefix);
	dst->region = sg_strdup(src->region);
	dst->endpoint = sg_strdup(src->endpoint);
	dst->storage_class = sg_strdup(src->storage_class);
	dst->ca_file = sg_strdup(src->ca_file);
	dst->repository_path = sg_strdup(src->repository_path);
	selector_copy(&dst->access_key_id, &src->access_key_id);
	selector_copy(&dst->secret_access_key, &src->secret_access_key);
	selector_copy(&dst->ca_certificate, &src->ca_certificate);
}

static bool
selector_equal(const sg_secret_selector *a, const sg_secret_selector *b)
{
	return sg_str_equal(a->name, b->name) && sg_str_equal(a->key, b->key);
}

bool
sg_storage_equal(const sg_storage *a, const sg_storage *b)
{
	return sg_str_equal(a->name, b->name) &&
		sg_str_equal(a->type, b->type) &&
		sg_str_equal(a->bucket, b->bucket) &&
		sg_str_equal(a->prefix, b->prefix) &&
		sg_str_equal(a->region, b->region) &&
		sg_str_equal(a->endpoint, b->endpoint) &&
		a->force_path_style == b->force_path_style &&
		sg_str_equal(a->storage_class, b->storage_class) &&
		a->use_iam_role == b->use_iam_role &&
		selector_equal(&a->access_key_id, &b->access_key_id) &&
		selector_equal(&a->secret_access_key, &b->secret_access_key) &&
		selector_equal(&a->ca_certificate, &b->ca_certificate) &&
		sg_str_equal(a->ca_file, b->ca_file) &&
		sg_str_equal(a->repository_path, b->repository_path);
}

bool
sg_compression_parse(const char *value, sg_compression *out)
{
	if (value == NULL)
		return false;
	if (strcmp(value, "zstd") == 0)
		*out = SG_COMPRESSION_ZSTD;
	else if (strcmp(value, "lz4") == 0)
		*out = SG_COMPRESSION_LZ4;
	else if (strcmp(value, "none") == 0)
		*out = SG_COMPRESSION_NONE;
	else
		return false;
	return true;
}

const char *
sg_compression_name(sg_compression c)
{
	switch (c)
	{
		case SG_COMPRESSION_ZSTD:
			return "zstd";
		case SG_COMPRESSION_LZ4:
			return "lz4";
		case SG_COMPRESSION_NONE:
			return "none";
	}
	return "unknown";
}

/* ------------------------------------------------------------------------
 * checks on a storage spec
 * ------------------------------------------------------------------------ */

/* section of a spec: spec.s3 or spec.s3Compatible */
static const char *
section_of(const sg_storage *s)
{
	if (s->type && strcmp(s->type, "s3Compatible") == 0)
		return "s3Compatible";
	return "s3";
}

/*
 * How errors name a field: its YAML path for a spec from a document (name
 * set), the setting for one built from settings (name NULL).  setting may
 * be NULL when no setting matches; the YAML path is used then.
 */
static const char *
field_name(const sg_storage *s, const char *field, const char *setting,
		   char *buf, size_t len)
{
	if (s->name == NULL && setting != NULL)
		return setting;
	snprintf(buf, len, "spec.%s.%s", section_of(s), field);
	return buf;
}

/* a bucket name: letters, digits, '.', '-' and '_', a letter or digit at each end */
static bool
bucket_name_ok(const char *name, size_t n, char *why, size_t len)
{
	char		what[96];

	if (n == 0)
	{
		snprintf(why, len, "The bucket name is empty.");
		return false;
	}
	for (size_t i = 0; i < n; i++)
	{
		char		c = name[i];
		bool		alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9');

		if (alnum || ((c == '.' || c == '-' || c == '_') && i > 0 && i < n - 1))
			continue;
		if (c == '.' || c == '-' || c == '_')
			snprintf(why, len, "A bucket name starts and ends with a letter or a digit.");
		else
		{
			sg_describe_char(name + i, n - i, what, sizeof(what));
			snprintf(why, len, "The bucket name holds %s; a bucket name may hold only letters, digits, '.', '-' and '_'.",
					 what);
		}
		return false;
	}
	return true;
}

/*
 * One character of an object key path: its length, or 0 with why filled.
 * The rules are those of sg_storage_set_bucket (config_storage.h).
 */
static int
key_char_ok(const char *c, size_t left, const char *subject, char *why, size_t len)
{
	static const char avoided[] = "\\{}^%`[]\"<>~#|";
	const char *rule;
	char		what[96];
	unsigned	cp;
	int			n = sg_utf8_char(c, left, &cp);

	if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029)
		rule = "; an object key is UTF-8 text without control characters or line separators.";
	else if (cp == 0xfffe || cp == 0xffff)
		rule = ", which S3 could not list: listings are XML, and XML has no such character.";
	else if (cp < 0x80 && strchr(avoided, (int) cp) != NULL)
		rule = ", one of the characters AWS's object key naming guidelines say to avoid: \\ { } ^ % ` [ ] \" < > ~ # |.";
	else
		return n;
	sg_describe_char(c, left, what, sizeof(what));
	snprintf(why, len, "%s holds %s%s", subject, what, rule);
	return 0;
}

/*
 * Check a path of object key segments: the part of a bucket value after
 * the bucket name's '/', or backups[].path (leading: one '/' may start
 * it).  One '/' may end it.  subject names it in why ("The path").
 */
bool
sg_key_path_ok(const char *path, bool leading, const char *subject, char *why,
			size_t len)
{
	const char *p = path;
	const char *end = path + strlen(path);

	if (leading && *p == '/')
		p++;
	if (p == end)
		return true;
	if (end[-1] == '/')
		end--;
	if ((size_t) (end - p) > SG_PREFIX_MAX)
	{
		snprintf(why, len, "%s is %zu bytes long. " SG_PREFIX_LIMIT, subject,
				 (size_t) (end - p));
		return false;
	}
	for (const char *seg = p; seg <= end; seg++)
	{
		size_t		n = 0;

		while (seg + n < end && seg[n] != '/')
			n++;
		if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && strncmp(seg, "..", 2) == 0))
		{
			if (n == 0)
				snprintf(why, len, "%s holds an empty segment: two '/' in a row, or %s.", subject,
						 leading ? "more than one at its start or end" : "more than one at its end");
			else
				snprintf(why, len, "%s holds a \"%.*s\" segment, which HTTP clients resolve as in a file path: the keys would not be under the prefix, or not in the bucket.",
						 subject, (int) n, seg);
			return false;
		}
		for (size_t i = 0; i < n;)
		{
			int			k = key_char_ok(seg + i, end - seg - i, subject, why, len);

			if (k == 0)
				return false;
			i += k;
		}
		seg += n;
	}
	return true;
}

static bool
bucket_error(const char *field, const char *value, const char *why, sg_error *err)
{
	char		vbuf[SG_SHOWN_SIZE];

	sg_error_set(err, SG_ERR_CONFIG, "invalid value for \"%s\": \"%s\"",
				 field, sg_shown_value(value, vbuf, sizeof(vbuf)));
	sg_error_detail(err, "%s", why);
	sg_error_hint(err, "Write the bucket as \"bucket\" or \"bucket/path/prefix\", optionally preceded by s3://.");
	return false;
}

bool
sg_storage_set_bucket(sg_storage *s, const char *value, sg_error *err)
{
	char		fbuf[SG_PATH_LEN];
	char		why[SG_WHY_LEN];
	const char *field = field_name(s, "bucket", "sgbackup.s3_bucket",
								   fbuf, sizeof(fbuf));
	const char *p = value ? value : "";
	const char *slash;
	const char *path;
	size_t		n;

	if (strncmp(p, "s3://", 5) == 0)
		p += 5;
	else if (strstr(p, "://") != NULL)
	{
		bucket_error(field, p, "Only the s3:// scheme may precede the bucket name.", err);
		sg_error_hint(err, "Write the bucket as \"bucket\" or \"bucket/path/prefix\"; an S3-compatible service's URL goes in %s.",
					  s->name ? "spec.s3Compatible.endpoint" : "sgbackup.s3_endpoint");
		return false;
	}
	slash = strchr(p, '/');
	if (slash == NULL)
		slash = p + strlen(p);
	path = *slash ? slash + 1 : slash;
	if (!bucket_name_ok(p, slash - p, why, sizeof(why)) ||
		!sg_key_path_ok(path, false, "The path after the bucket name", why, sizeof(why)))
		return bucket_error(field, value ? value : "", why, err);
	free(s->bucket);
	s->bucket = sg_malloc(slash - p + 1);
	memcpy(s->bucket, p, slash - p);
	s->bucket[slash - p] = '\0';
	n = strlen(path);
	if (n > 0 && path[n - 1] == '/')
		n--;
	free(s->prefix);
	s->prefix = sg_malloc(n + 1);
	memcpy(s->prefix, path, n);
	s->prefix[n] = '\0';
	return true;
}

/*
 * The host of an endpoint, from host to end: an IPv6 address in brackets,
 * or printable ASCII without the characters that would make a URL mean
 * another host.  On failure buf says why.
 */
static bool
host_ok(const char *host, const char *end, char *buf, size_t len)
{
	bool		ipv6 = *host == '[';
	char		what[96];

	for (const char *c = host + ipv6; c < end - ipv6; c++)
	{
		if (ipv6 ? (strchr("0123456789abcdefABCDEF:.", *c) != NULL) :
			((unsigned char) *c > ' ' && (unsigned char) *c < 0x7f &&
			 strchr("@\\%\"[]{}|^`", *c) == NULL))
			continue;
		sg_describe_char(c, end - c, what, sizeof(what));
		snprintf(buf, len, "The host name holds %s, which is not allowed there.", what);
		return false;
	}
	return true;
}

/*
 * http(s)://host[:port] with an optional trailing slash.  The host is
 * ASCII: the request is signed for the host as written, and a client that
 * converted an international name would send another.
 */
static bool
endpoint_ok(const char *e, const char **why, char *buf, size_t len)
{
	const char *host;
	const char *end;

	if (strncmp(e, "http://", 7) == 0)
		host = e + 7;
	else if (strncmp(e, "https://", 8) == 0)
		host = e + 8;
	else
	{
		*why = "It must start with http:// or https://.";
		return false;
	}
	if (*host == '[')
	{
		end = strchr(host, ']');
		if (end == NULL || end == host + 1)
		{
			*why = "The IPv6 address in brackets is incomplete.";
			return false;
		}
		end++;
	}
	else
		end = host + strcspn(host, ":/?#");
	if (end == host)
	{
		*why = "It has no host name.";
		return false;
	}
	if (!host_ok(host, end, buf, len))
	{
		*why = buf;
		return false;
	}
	if (*end == ':')
	{
		char	   *stop;
		long		port;

		errno = 0;
		port = strtol(end + 1, &stop, 10);
		if (stop == end + 1 || errno != 0 || port < 1 || port > 65535)
		{
			*why = "The port must be a number from 1 to 65535.";
			return false;
		}
		end = stop;
	}
	if (*end == '/')
		end++;
	if (*end != '\0')
	{
		*why = "It must be just a scheme, a host and an optional port, without a path or query.";
		return false;
	}
	return true;
}

/*
 * A region is printable ASCII without spaces and without the characters
 * that mean something in a URL or in a signature's credential scope.
 * On failure buf names the character.
 */
static bool
region_ok(const char *v, char *buf, size_t len)
{
	for (const char *c = v; *c; c++)
		if ((unsigned char) *c <= ' ' || (unsigned char) *c >= 0x7f ||
			strchr(":/?#[]@%\\\",", *c) != NULL)
		{
			sg_describe_char(c, strlen(c), buf, len);
			return false;
		}
	return true;
}

/* Kubernetes secret keys: [-._a-zA-Z0-9]+, never "." or ".." */
static bool
secret_key_ok(const char *v)
{
	size_t		n = strlen(v);

	if (n == 0 || n > 253 || strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
		return false;
	for (; *v; v++)
		if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
			  (*v >= '0' && *v <= '9') || *v == '-' || *v == '.' || *v == '_'))
			return false;
	return true;
}

/* one secret key selector: none, or both name and key, each well formed */
static bool
check_selector(const sg_storage *s, const sg_secret_selector *sel,
			   const char *what, int line, sg_error *err)
{
	char		fbuf[SG_PATH_LEN];
	char		lbuf[32];
	char		vbuf[SG_SHOWN_SIZE];
	const char *field;

	if (sel->name == NULL && sel->key == NULL)
		return true;
	snprintf(fbuf, sizeof(fbuf), "spec.%s.awsCredentials.secretKeySelectors.%s.%s",
			 section_of(s), what, sel->name == NULL ? "name" : "key");
	if (sel->name == NULL || sel->key == NULL)
	{
		sg_error_set(err, SG_ERR_CONFIG, "missing required field \"%s\"", fbuf);
		sg_error_detail(err, "The %s secret key selector%s has a %s but no %s.",
						what, sg_at_line(line, lbuf, sizeof(lbuf)),
						sel->name ? "name" : "key", sel->name ? "key" : "name");
		sg_error_hint(err, "A secret key selector needs both the Secret's name and the key inside it.");
		return false;
	}
	if (!sg_k8s_name_ok(sel->name))
	{
		snprintf(fbuf, sizeof(fbuf), "spec.%s.awsCredentials.secretKeySelectors.%s.name",
				 section_of(s), what);
		field = fbuf;
		sg_error_set(err, SG_ERR_CONFIG, "invalid value for \"%s\": \"%s\"",
					 field, sg_shown_value(sel->name, vbuf, sizeof(vbuf)));
		sg_error_detail(err, "A Secret name%s must be a Kubernetes object name: " SG_K8S_NAME_RULE ".",
						sg_at_line(line, lbuf, sizeof(lbuf)));
		return false;
	}
	if (!secret_key_ok(sel->key))
	{
		sg_error_set(err, SG_ERR_CONFIG, "invalid value for \"%s\": \"%s\"",
					 fbuf, sg_shown_value(sel->key, vbuf, sizeof(vbuf)));
		sg_error_detail(err, "A Secret key%s must be letters, digits, '-', '_' and '.', and not \".\" or \"..\".",
						sg_at_line(line, lbuf, sizeof(lbuf)));
		return false;
	}
	return true;
}

static bool
check_credentials(const sg_storage *s, const sg_field_lines *lines, sg_error *err)
{
	const sg_secret_selector *ak = &s->access_key_id;
	const sg_secret_selector *sk = &s->secret_access_key;
	bool		has_ak = ak->name || ak->key;
	bool		has_sk = sk->name || sk->key;
	char		fbuf[SG_PATH_LEN];
	char		lbuf[32];

	if (!check_selector(s, ak, "accessKeyId", lines->access_key_id, err) ||
		!check_selector(s, sk, "secretAccessKey", lines->secret_access_key, err) ||
		!check_selector(s, &s->ca_certificate, "caCertificate", lines->ca_certificate, err))
		return false;
	if (has_ak != has_sk)
	{
		snprintf(fbuf, sizeof(fbuf), "spec.%s.awsCredentials.secretKeySelectors.%s",
				 section_of(s), has_ak ? "secretAccessKey" : "accessKeyId");
		sg_error_set(err, SG_ERR_CONFIG, "missing required field \"%s\"", fbuf);
		sg_error_detail(err, "The %s selector is given%s, but not the %s selector.",
						has_ak ? "accessKeyId" : "secretAccessKey",
						sg_at_line(has_ak ? lines->access_key_id : lines->secret_access_key,
								lbuf, sizeof(lbuf)),
						has_ak ? "secretAccessKey" : "accessKeyId");
		sg_error_hint(err, "Give both accessKeyId and secretAccessKey, or neither to use an IAM role or the default AWS credentials.");
		return false;
	}
	if (s->use_iam_role && has_ak)
	{
		sg_error_set(err, SG_ERR_CONFIG, "conflicting values for \"%s\"",
					 field_name(s, "awsCredentials.useIAMRole", "sgbackup.s3_use_iam_role",
								fbuf, sizeof(fbuf)));
		sg_error_detail(err, "An IAM role is requested%s, but secret key selectors are given as well.",
						sg_at_line(lines->use_iam_role, lbuf, sizeof(lbuf)));
		sg_error_hint(err, "Remove either useIAMRole or secretKeySelectors.");
		return false;
	}
	return true;
}

bool
sg_storage_check(const sg_storage *s, const sg_field_lines *lines, sg_error *err)
{
	char		fbuf[SG_PATH_LEN];
	char		lbuf[32];
	char		vbuf[SG_SHOWN_SIZE];
	char		wbuf[SG_WHY_LEN];
	const char *why;

	if (s->type && strcmp(s->type, "s3") != 0 && strcmp(s->type, "s3Compatible") != 0)
	{
		sg_error_set(err, SG_ERR_CONFIG, "unsupported value for \"spec.type\": \"%s\"",
					 sg_shown_value(s->type, vbuf, sizeof(vbuf)));
		sg_error_detail(err, "sgbackup supports only the types s3 and s3Compatible.");
		return false;
	}
	if (s->bucket == NULL || s->bucket[0] == '\0')
	{
		if (s->name == NULL)
		{
			sg_error_set(err, SG_ERR_CONFIG, "sgbackup.s3_bucket is not set");
			sg_error_hint(err, "Set sgbackup.s3_bucket to \"bucket\" or \"bucket/path/prefix\".");
		}
		else
			sg_error_set(err, SG_ERR_CONFIG, "missing required field \"spec.%s.bucket\"",
						 section_of(s));
		return false;
	}
	if (s->region && !region_ok(s->region, wbuf, sizeof(wbuf)))
	{
		sg_error_set(err, SG_ERR_CONFIG, "invalid value for \"%s\": \"%s\"",
					 field_name(s, "region", "sgbackup.s3_region", fbuf, sizeof(fbuf)),
					 sg_shown_value(s->region, vbuf, sizeof(vbuf)));
		sg_error_detail(err, "The region%s holds %s, which has no place in a region: it goes into host names and request signatures.",
						sg_at_line(lines->region, lbuf, sizeof(lbuf)), wbuf);
		sg_error_hint(err, "Write the region as the service names it, such as us-east-1.");
		return false;
	}
	if (s->endpoint && !endpoint_ok(s->endpoint, &why, wbuf, sizeof(wbuf)))
	{
		sg_error_set(err, SG_ERR_CONFIG, "invalid value for \"%s\": \"%s\"",
					 field_name(s, "endpoint", "sgbackup.s3_endpoint", fbuf, sizeof(fbuf)),
					 sg_shown_value(s->endpoint, vbuf, sizeof(vbuf)));
		sg_error_detail(err, "The endpoint%s is not a URL like http://host:port. %s",
						sg_at_line(lines->endpoint, lbuf, sizeof(lbuf)), why);
		sg_error_hint(err, "Write the endpoint as http://host:port or https://host.");
		return false;
	}
	if (s->storage_class && s->storage_class[0] &&
		!storage_class_ok(s->storage_class))
	{
		sg_error_set(err, SG_ERR_CONFIG, "invalid value for \"%s\": \"%s\"",
					 field_name(s, "storageClass", "sgbackup.s3_storage_class",
								fbuf, sizeof(fbuf)),
					 sg_shown_value(s->storage_class, vbuf, sizeof(vbuf)));
		sg_error_detail(err, "The storage class%s is not one sgbackup knows.",
						sg_at_line(lines->storage_class, lbuf, sizeof(lbuf)));
		sg_error_hint(err, "Use STANDARD, STANDARD_IA or REDUCED_REDUNDANCY.");
		return false;
	}
	return check_credentials(s, lines, err);
}

bool
sg_storage_validate(const sg_storage *s, sg_error *err)
{
	sg_field_lines lines;

	memset(&lines, 0, sizeof(lines));
	if (s->repository_path)
		return s->repository_path[0] == '/' ? true :
			sg_error_set(err, SG_ERR_CONFIG,
						 "invalid value for sgbackup.repository_path: \"%s\" is not an absolute path",
						 s->repository_path);
	return sg_storage_check(s, &lines, err);
}
