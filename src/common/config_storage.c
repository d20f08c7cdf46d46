/*
 * config_storage.c - the object storage configuration (see config_storage.h):
 * StackGres SGObjectStorage and SGCluster documents read with libyaml's
 * document loader (after sg_yaml_guard has checked the text's size,
 * characters and nesting), the checks on a storage spec, a one-line
 * summary, and the YAML form of a spec and of a backups section written
 * with libyaml's emitter.
 *
 * Inside SGObjectStorage.spec and SGCluster spec.configurations.backups[0]
 * the parser is as strict as StackGres's CRD schema: unknown fields, wrong
 * types and missing required fields are errors naming the field's path and
 * line.  Everything else of an SGCluster is ignored, and so is Kubernetes
 * metadata other than metadata.name.  As in Kubernetes, a null value (an
 * empty plain scalar, "~" or "null") counts as not given.
 *
 * Every string value is either refused, naming its field and line, or
 * written back by the emitter so that it reads back byte for byte.  Names
 * are Kubernetes object names, a bucket's path and backups[].path are safe
 * object key prefixes (sg_storage_set_bucket in config_storage.h), a region and
 * an endpoint's host are plain ASCII, and cronSchedule is a schedule
 * sg_cron_parse accepts.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cron.h"
#include "sg_buf.h"
#include "config_storage.h"
#include "config_yaml_guard.h"

#define PATH_LEN 256			/* longest field path we build */
#define SHOWN_LEN 80			/* most characters of a value quoted in a message */
#define SHOWN_SIZE (SHOWN_LEN * 6 + 8)	/* room for them, escaped */
#define WHY_LEN 400				/* a sentence saying why a value is refused */

/* where the fields checked by check_storage were found; 0: unknown */
typedef struct field_lines
{
	int			bucket;
	int			region;
	int			endpoint;
	int			storage_class;
	int			access_key_id;
	int			secret_access_key;
	int			ca_certificate;
	int			use_iam_role;
} field_lines;

/* the YAML document being read and where its errors go */
typedef struct walker
{
	yaml_document_t *doc;
	sg_error   *err;
} walker;

static const char *const storage_classes[] = {
	"STANDARD", "STANDARD_IA", "REDUCED_REDUNDANCY", NULL
};

static bool
str_in(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

static bool
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
replace_str(char **dst, const char *value)
{
	free(*dst);
	*dst = sg_strdup(value);
}

/* " at line N" when the line is known, else "" */
static const char *
at_line(int line, char *buf, size_t len)
{
	if (line <= 0)
		return "";
	snprintf(buf, len, " at line %d", line);
	return buf;
}

/*
 * A value fit to quote in a message: at most SHOWN_LEN characters, with
 * control characters, line separators and bytes that are not UTF-8
 * written as escapes (\x7F, \u0085, \xFF).  buf holds SHOWN_SIZE bytes.
 */
static const char *
shorten(const char *value, char *buf, size_t len)
{
	size_t		vlen = strlen(value);
	size_t		in = 0;
	size_t		out = 0;

	for (int shown = 0; in < vlen && shown < SHOWN_LEN && out + 12 < len; shown++)
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
static bool
k8s_name_ok(const char *v)
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

#define K8S_NAME_RULE "at most 253 lower-case letters, digits, '-' and '.', each part between dots starting and ending with a letter or digit"

/* ------------------------------------------------------------------------
 * storage specs and backups sections
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
	selector_copy(&dst->access_key_id, &src->access_key_id);
	selector_copy(&dst->secret_access_key, &src->secret_access_key);
	selector_copy(&dst->ca_certificate, &src->ca_certificate);
}

static bool
selector_equal(const sg_secret_selector *a, const sg_secret_selector *b)
{
	return str_eq(a->name, b->name) && str_eq(a->key, b->key);
}

bool
sg_storage_equal(const sg_storage *a, const sg_storage *b)
{
	return str_eq(a->name, b->name) &&
		str_eq(a->type, b->type) &&
		str_eq(a->bucket, b->bucket) &&
		str_eq(a->prefix, b->prefix) &&
		str_eq(a->region, b->region) &&
		str_eq(a->endpoint, b->endpoint) &&
		a->force_path_style == b->force_path_style &&
		str_eq(a->storage_class, b->storage_class) &&
		a->use_iam_role == b->use_iam_role &&
		selector_equal(&a->access_key_id, &b->access_key_id) &&
		selector_equal(&a->secret_access_key, &b->secret_access_key) &&
		selector_equal(&a->ca_certificate, &b->ca_certificate) &&
		str_eq(a->ca_file, b->ca_file);
}

void
sg_cluster_backups_init(sg_cluster_backups *b)
{
	memset(b, 0, sizeof(*b));
	b->compression = SG_COMPRESSION_ZSTD;
	b->retention = -1;
	b->upload_concurrency = -1;
	b->max_network_bandwidth = -1;
	b->max_disk_bandwidth = -1;
}

void
sg_cluster_backups_free(sg_cluster_backups *b)
{
	free(b->object_storage);
	free(b->path);
	free(b->cron_schedule);
	sg_cluster_backups_init(b);
}

/* compression counts only when given */
bool
sg_cluster_backups_equal(const sg_cluster_backups *a, const sg_cluster_backups *b)
{
	return str_eq(a->object_storage, b->object_storage) &&
		str_eq(a->path, b->path) &&
		a->has_compression == b->has_compression &&
		(!a->has_compression || a->compression == b->compression) &&
		str_eq(a->cron_schedule, b->cron_schedule) &&
		a->retention == b->retention &&
		a->upload_concurrency == b->upload_concurrency &&
		a->max_network_bandwidth == b->max_network_bandwidth &&
		a->max_disk_bandwidth == b->max_disk_bandwidth;
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
static bool
key_path_ok(const char *path, bool leading, const char *subject, char *why,
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
	char		vbuf[SHOWN_SIZE];

	sg_error_set(err, SG_ERR_CONFIG, "invalid value for \"%s\": \"%s\"",
				 field, shorten(value, vbuf, sizeof(vbuf)));
	sg_error_detail(err, "%s", why);
	sg_error_hint(err, "Write the bucket as \"bucket\" or \"bucket/path/prefix\", optionally preceded by s3://.");
	return false;
}

bool
sg_storage_set_bucket(sg_storage *s, const char *value, sg_error *err)
{
	char		fbuf[PATH_LEN];
	char		why[WHY_LEN];
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
		!key_path_ok(path, false, "The path after the bucket name", why, sizeof(why)))
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
	char		fbuf[PATH_LEN];
	char		lbuf[32];
	char		vbuf[SHOWN_SIZE];
	const char *field;

	if (sel->name == NULL && sel->key == NULL)
		return true;
	snprintf(fbuf, sizeof(fbuf), "spec.%s.awsCredentials.secretKeySelectors.%s.%s",
			 section_of(s), what, sel->name == NULL ? "name" : "key");
	if (sel->name == NULL || sel->key == NULL)
	{
		sg_error_set(err, SG_ERR_CONFIG, "missing required field \"%s\"", fbuf);
		sg_error_detail(err, "The %s secret key selector%s has a %s but no %s.",
						what, at_line(line, lbuf, sizeof(lbuf)),
						sel->name ? "name" : "key", sel->name ? "key" : "name");
		sg_error_hint(err, "A secret key selector needs both the Secret's name and the key inside it.");
		return false;
	}
	if (!k8s_name_ok(sel->name))
	{
		snprintf(fbuf, sizeof(fbuf), "spec.%s.awsCredentials.secretKeySelectors.%s.name",
				 section_of(s), what);
		field = fbuf;
		sg_error_set(err, SG_ERR_CONFIG, "invalid value for \"%s\": \"%s\"",
					 field, shorten(sel->name, vbuf, sizeof(vbuf)));
		sg_error_detail(err, "A Secret name%s must be a Kubernetes object name: " K8S_NAME_RULE ".",
						at_line(line, lbuf, sizeof(lbuf)));
		return false;
	}
	if (!secret_key_ok(sel->key))
	{
		sg_error_set(err, SG_ERR_CONFIG, "invalid value for \"%s\": \"%s\"",
					 fbuf, shorten(sel->key, vbuf, sizeof(vbuf)));
		sg_error_detail(err, "A Secret key%s must be letters, digits, '-', '_' and '.', and not \".\" or \"..\".",
						at_line(line, lbuf, sizeof(lbuf)));
		return false;
	}
	return true;
}

static bool
check_credentials(const sg_storage *s, const field_lines *lines, sg_error *err)
{
	const sg_secret_selector *ak = &s->access_key_id;
	const sg_secret_selector *sk = &s->secret_access_key;
	bool		has_ak = ak->name || ak->key;
	bool		has_sk = sk->name || sk->key;
	char		fbuf[PATH_LEN];
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
						at_line(has_ak ? lines->access_key_id : lines->secret_access_key,
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
						at_line(lines->use_iam_role, lbuf, sizeof(lbuf)));
		sg_error_hint(err, "Remove either useIAMRole or secretKeySelectors.");
		return false;
	}
	return true;
}

static bool
check_storage(const sg_storage *s, const field_lines *lines, sg_error *err)
{
	char		fbuf[PATH_LEN];
	char		lbuf[32];
	char		vbuf[SHOWN_SIZE];
	char		wbuf[WHY_LEN];
	const char *why;

	if (s->type && strcmp(s->type, "s3") != 0 && strcmp(s->type, "s3Compatible") != 0)
	{
		sg_error_set(err, SG_ERR_CONFIG, "unsupported value for \"spec.type\": \"%s\"",
					 shorten(s->type, vbuf, sizeof(vbuf)));
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
					 shorten(s->region, vbuf, sizeof(vbuf)));
		sg_error_detail(err, "The region%s holds %s, which has no place in a region: it goes into host names and request signatures.",
						at_line(lines->region, lbuf, sizeof(lbuf)), wbuf);
		sg_error_hint(err, "Write the region as the service names it, such as us-east-1.");
		return false;
	}
	if (s->endpoint && !endpoint_ok(s->endpoint, &why, wbuf, sizeof(wbuf)))
	{
		sg_error_set(err, SG_ERR_CONFIG, "invalid value for \"%s\": \"%s\"",
					 field_name(s, "endpoint", "sgbackup.s3_endpoint", fbuf, sizeof(fbuf)),
					 shorten(s->endpoint, vbuf, sizeof(vbuf)));
		sg_error_detail(err, "The endpoint%s is not a URL like http://host:port. %s",
						at_line(lines->endpoint, lbuf, sizeof(lbuf)), why);
		sg_error_hint(err, "Write the endpoint as http://host:port or https://host.");
		return false;
	}
	if (s->storage_class && s->storage_class[0] &&
		!str_in(s->storage_class, storage_classes))
	{
		sg_error_set(err, SG_ERR_CONFIG, "invalid value for \"%s\": \"%s\"",
					 field_name(s, "storageClass", "sgbackup.s3_storage_class",
								fbuf, sizeof(fbuf)),
					 shorten(s->storage_class, vbuf, sizeof(vbuf)));
		sg_error_detail(err, "The storage class%s is not one sgbackup knows.",
						at_line(lines->storage_class, lbuf, sizeof(lbuf)));
		sg_error_hint(err, "Use STANDARD, STANDARD_IA or REDUCED_REDUNDANCY.");
		return false;
	}
	return check_credentials(s, lines, err);
}

bool
sg_storage_validate(const sg_storage *s, sg_error *err)
{
	field_lines lines;

	memset(&lines, 0, sizeof(lines));
	return check_storage(s, &lines, err);
}

/* ------------------------------------------------------------------------
 * reading YAML nodes
 * ------------------------------------------------------------------------ */

static int
line_of(const yaml_node_t *n)
{
	return (int) n->start_mark.line + 1;
}

static bool
is_plain(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE &&
		n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static const char *
scalar(const yaml_node_t *n)
{
	return (const char *) n->data.scalar.value;
}

/* YAML 1.2 core schema null: empty, ~, null */
static bool
is_null(const yaml_node_t *n)
{
	const char *v;

	if (!is_plain(n))
		return false;
	v = scalar(n);
	return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
		strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

static bool
plain_bool(const char *v, bool *out)
{
	if (strcmp(v, "true") == 0 || strcmp(v, "True") == 0 || strcmp(v, "TRUE") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0 || strcmp(v, "False") == 0 || strcmp(v, "FALSE") == 0)
		*out = false;
	else
		return false;
	return true;
}

static bool
plain_int(const char *v, long long *out)
{
	char	   *end;

	if (!((*v >= '0' && *v <= '9') || ((*v == '-' || *v == '+') && v[1] >= '0' && v[1] <= '9')))
		return false;
	errno = 0;
	*out = strtoll(v, &end, 10);
	return *end == '\0' && errno == 0;
}

/* a plain scalar that YAML reads as a number (int or float) */
static bool
plain_number(const char *v)
{
	char	   *end;

	if (strcmp(v, ".inf") == 0 || strcmp(v, "-.inf") == 0 || strcmp(v, "+.inf") == 0 ||
		strcmp(v, ".nan") == 0 || strcmp(v, ".NaN") == 0 || strcmp(v, ".NAN") == 0)
		return true;
	if (!((*v >= '0' && *v <= '9') || *v == '-' || *v == '+' || *v == '.'))
		return false;
	if (v[0] == '0' && (v[1] == 'x' || v[1] == 'o'))
		return true;
	(void) strtod(v, &end);
	return end != v && *end == '\0';
}

/* how a value is shown in an error detail */
static const char *
describe(const yaml_node_t *n, char *buf, size_t len)
{
	char		vbuf[SHOWN_SIZE];

	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	snprintf(buf, len, "\"%s\"", shorten(scalar(n), vbuf, sizeof(vbuf)));
	return buf;
}

static void
join(char *buf, size_t len, const char *path, const char *key)
{
	if (path[0] == '\0')
		snprintf(buf, len, "%s", key);
	else
		snprintf(buf, len, "%s.%s", path, key);
}

static bool
type_error(walker *w, const char *path, const yaml_node_t *v, const char *expected)
{
	char		dbuf[SHOWN_SIZE + 8];

	sg_error_set(w->err, SG_ERR_CONFIG, "field \"%s\" requires %s", path, expected);
	sg_error_detail(w->err, "The value at line %d is %s.", line_of(v),
					describe(v, dbuf, sizeof(dbuf)));
	if (v->type != YAML_SCALAR_NODE)
		return false;
	if (strcmp(expected, "a string value") == 0)
		sg_error_hint(w->err, "Put the value in quotes to make it a string.");
	else if (strcmp(expected, "an integer value") == 0)
		sg_error_hint(w->err, "Write a whole number, without quotes.");
	else if (strncmp(expected, "a boolean", 9) == 0)
		sg_error_hint(w->err, "Write true or false, without quotes.");
	return false;
}

static bool
missing(walker *w, const char *path, const char *key, const yaml_node_t *parent)
{
	char		fbuf[PATH_LEN];

	join(fbuf, sizeof(fbuf), path, key);
	sg_error_set(w->err, SG_ERR_CONFIG, "missing required field \"%s\"", fbuf);
	if (parent && path[0])
		sg_error_detail(w->err, "The %s section at line %d has no %s.", path,
						line_of(parent), key);
	else if (parent)
		sg_error_detail(w->err, "The document at line %d has no %s.",
						line_of(parent), key);
	return false;
}

/*
 * Every key of mapping map must be one of allowed, and appear once.
 * path is the mapping's own path ("" for a document).
 */
static bool
check_keys(walker *w, const yaml_node_t *map, const char *path,
		   const char *const *allowed)
{
	yaml_node_pair_t *pair;
	yaml_node_pair_t *other;
	char		fbuf[PATH_LEN];
	sg_buf		list;

	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++)
	{
		yaml_node_t *key = yaml_document_get_node(w->doc, pair->key);

		if (key->type != YAML_SCALAR_NODE)
		{
			sg_error_set(w->err, SG_ERR_CONFIG, "invalid field name in \"%s\"",
						 path[0] ? path : "document");
			sg_error_detail(w->err, "The field name at line %d is not a string.", line_of(key));
			return false;
		}
		join(fbuf, sizeof(fbuf), path, scalar(key));
		for (other = map->data.mapping.pairs.start; other < pair; other++)
		{
			yaml_node_t *okey = yaml_document_get_node(w->doc, other->key);

			if (okey->type == YAML_SCALAR_NODE && strcmp(scalar(okey), scalar(key)) == 0)
			{
				sg_error_set(w->err, SG_ERR_CONFIG, "duplicate field \"%s\"", fbuf);
				sg_error_detail(w->err, "The field appears at line %d and again at line %d.",
								line_of(okey), line_of(key));
				return false;
			}
		}
		if (str_in(scalar(key), allowed))
			continue;
		sg_buf_init(&list);
		for (const char *const *a = allowed; *a; a++)
			sg_buf_printf(&list, "%s%s", a == allowed ? "" : ", ", *a);
		sg_error_set(w->err, SG_ERR_CONFIG, "unknown field \"%s\"", fbuf);
		sg_error_detail(w->err, "The field is at line %d. The fields of %s are: %s.",
						line_of(key), path[0] ? path : "a document", list.data);
		sg_error_hint(w->err, "Check the spelling and indentation against the StackGres documentation.");
		sg_buf_free(&list);
		return false;
	}
	return true;
}

/* the value of key in map, NULL when absent or null */
static yaml_node_t *
lookup(walker *w, const yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pair;

	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++)
	{
		yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
		yaml_node_t *v;

		if (k->type != YAML_SCALAR_NODE || strcmp(scalar(k), key) != 0)
			continue;
		v = yaml_document_get_node(w->doc, pair->value);
		return (v == NULL || is_null(v)) ? NULL : v;
	}
	return NULL;
}

/* *out: the mapping at key, NULL when absent; false if not a mapping */
static bool
get_map(walker *w, const yaml_node_t *map, const char *path, const char *key,
		yaml_node_t **out)
{
	yaml_node_t *v = lookup(w, map, key);
	char		fbuf[PATH_LEN];

	*out = NULL;
	if (v == NULL)
		return true;
	join(fbuf, sizeof(fbuf), path, key);
	if (v->type != YAML_MAPPING_NODE)
		return type_error(w, fbuf, v, "a mapping");
	*out = v;
	return true;
}

/* *out: a copy of the string at key, left alone when absent */
static bool
get_string(walker *w, const yaml_node_t *map, const char *path, const char *key,
		   char **out, int *line)
{
	yaml_node_t *v = lookup(w, map, key);
	char		fbuf[PATH_LEN];
	bool		b;

	if (v == NULL)
		return true;
	join(fbuf, sizeof(fbuf), path, key);
	if (v->type != YAML_SCALAR_NODE ||
		(is_plain(v) && (plain_bool(scalar(v), &b) || plain_number(scalar(v)))))
		return type_error(w, fbuf, v, "a string value");
	replace_str(out, scalar(v));
	if (line)
		*line = line_of(v);
	return true;
}

static bool
get_bool(walker *w, const yaml_node_t *map, const char *path, const char *key,
		 bool *out, int *line)
{
	yaml_node_t *v = lookup(w, map, key);
	char		fbuf[PATH_LEN];

	if (v == NULL)
		return true;
	join(fbuf, sizeof(fbuf), path, key);
	if (!is_plain(v) || !plain_bool(scalar(v), out))
		return type_error(w, fbuf, v, "a boolean value (true or false)");
	if (line)
		*line = line_of(v);
	return true;
}

/* an integer from min to INT_MAX; *out left alone when absent */
static bool
get_int(walker *w, const yaml_node_t *map, const char *path, const char *key,
		long long min, int *out)
{
	yaml_node_t *v = lookup(w, map, key);
	char		fbuf[PATH_LEN];
	long long	n;

	if (v == NULL)
		return true;
	join(fbuf, sizeof(fbuf), path, key);
	if (!is_plain(v) || !plain_int(scalar(v), &n))
		return type_error(w, fbuf, v, "an integer value");
	if (n < min || n > INT_MAX)
	{
		sg_error_set(w->err, SG_ERR_CONFIG, "value for \"%s\" is out of range: %s",
					 fbuf, scalar(v));
		sg_error_detail(w->err, "The value at line %d must be from %lld to %d.",
						line_of(v), min, INT_MAX);
		return false;
	}
	*out = (int) n;
	return true;
}

/* the name of an SGObjectStorage, given or referred to */
static bool
check_name(walker *w, const char *field, const char *value, int line)
{
	char		vbuf[SHOWN_SIZE];

	if (k8s_name_ok(value))
		return true;
	sg_error_set(w->err, SG_ERR_CONFIG, "invalid value for \"%s\": \"%s\"",
				 field, shorten(value, vbuf, sizeof(vbuf)));
	sg_error_detail(w->err, "The name at line %d is not a Kubernetes object name: " K8S_NAME_RULE ".",
					line);
	sg_error_hint(w->err, "Name the SGObjectStorage as Kubernetes would, such as \"backup-storage\".");
	return false;
}

/* ------------------------------------------------------------------------
 * SGObjectStorage
 * ------------------------------------------------------------------------ */

static bool
read_selector(walker *w, const yaml_node_t *selectors, const char *path,
			  const char *key, sg_secret_selector *sel, int *line)
{
	static const char *const keys[] = {"name", "key", NULL};
	yaml_node_t *m;
	char		fbuf[PATH_LEN];

	if (!get_map(w, selectors, path, key, &m))
		return false;
	if (m == NULL)
		return true;
	join(fbuf, sizeof(fbuf), path, key);
	*line = line_of(m);
	if (!check_keys(w, m, fbuf, keys) ||
		!get_string(w, m, fbuf, "name", &sel->name, NULL) ||
		!get_string(w, m, fbuf, "key", &sel->key, NULL))
		return false;
	if (sel->name == NULL)
		return missing(w, fbuf, "name", m);
	if (sel->key == NULL)
		return missing(w, fbuf, "key", m);
	return true;
}

static bool
read_credentials(walker *w, const yaml_node_t *section, const char *path,
				 bool compatible, sg_storage *s, field_lines *lines)
{
	static const char *const s3_keys[] = {"secretKeySelectors", "useIAMRole", NULL};
	static const char *const compat_keys[] = {"secretKeySelectors", NULL};
	static const char *const s3_sel[] = {"accessKeyId", "secretAccessKey", NULL};
	static const char *const compat_sel[] = {"accessKeyId", "secretAccessKey", "caCertificate", NULL};
	yaml_node_t *creds;
	yaml_node_t *sels;
	char		cpath[PATH_LEN];
	char		spath[PATH_LEN];

	if (!get_map(w, section, path, "awsCredentials", &creds))
		return false;
	if (creds == NULL)
		return true;			/* the default AWS credentials chain */
	join(cpath, sizeof(cpath), path, "awsCredentials");
	if (!check_keys(w, creds, cpath, compatible ? compat_keys : s3_keys) ||
		!get_bool(w, creds, cpath, "useIAMRole", &s->use_iam_role, &lines->use_iam_role) ||
		!get_map(w, creds, cpath, "secretKeySelectors", &sels))
		return false;
	if (sels == NULL)
		return true;
	join(spath, sizeof(spath), cpath, "secretKeySelectors");
	if (!check_keys(w, sels, spath, compatible ? compat_sel : s3_sel) ||
		!read_selector(w, sels, spath, "accessKeyId", &s->access_key_id,
					   &lines->access_key_id) ||
		!read_selector(w, sels, spath, "secretAccessKey", &s->secret_access_key,
					   &lines->secret_access_key))
		return false;
	if (compatible &&
		!read_selector(w, sels, spath, "caCertificate", &s->ca_certificate,
					   &lines->ca_certificate))
		return false;
	return true;
}

/* spec.s3 or spec.s3Compatible */
static bool
read_section(walker *w, const yaml_node_t *section, bool compatible,
			 sg_storage *s, field_lines *lines)
{
	static const char *const s3_keys[] = {
		"bucket", "region", "storageClass", "awsCredentials", NULL
	};
	static const char *const compat_keys[] = {
		"bucket", "enablePathStyleAddressing", "endpoint", "region",
		"storageClass", "awsCredentials", NULL
	};
	const char *path = compatible ? "spec.s3Compatible" : "spec.s3";
	char	   *bucket = NULL;
	bool		ok;

	if (!check_keys(w, section, path, compatible ? compat_keys : s3_keys) ||
		!get_string(w, section, path, "bucket", &bucket, &lines->bucket))
		return false;
	if (bucket == NULL)
		return missing(w, path, "bucket", section);
	ok = sg_storage_set_bucket(s, bucket, w->err);
	free(bucket);
	if (!ok)
	{
		char		detail[sizeof(w->err->detail)];

		snprintf(detail, sizeof(detail), "%s", w->err->detail);
		sg_error_detail(w->err, "The bucket is at line %d. %s", lines->bucket, detail);
		return false;
	}
	if (!get_string(w, section, path, "region", &s->region, &lines->region) ||
		!get_string(w, section, path, "storageClass", &s->storage_class,
					&lines->storage_class) ||
		!get_string(w, section, path, "endpoint", &s->endpoint, &lines->endpoint) ||
		!get_bool(w, section, path, "enablePathStyleAddressing",
				  &s->force_path_style, NULL))
		return false;
	if (s->endpoint)
	{
		size_t		n = strlen(s->endpoint);

		while (n > 0 && s->endpoint[n - 1] == '/')
			s->endpoint[--n] = '\0';
	}
	return read_credentials(w, section, path, compatible, s, lines);
}

/* spec.encryption: StackGres can encrypt backups, sgbackup cannot yet */
static bool
read_encryption(walker *w, const yaml_node_t *spec)
{
	static const char *const keys[] = {"method", "sodium", "openpgp", NULL};
	yaml_node_t *enc;
	yaml_node_t *method;

	if (!get_map(w, spec, "spec", "encryption", &enc))
		return false;
	if (enc == NULL)
		return true;
	if (!check_keys(w, enc, "spec.encryption", keys))
		return false;
	method = lookup(w, enc, "method");
	if (method == NULL)
		return true;			/* StackGres does not encrypt either */
	sg_error_set(w->err, SG_ERR_CONFIG, "field \"spec.encryption\" is not supported yet");
	sg_error_detail(w->err, "Encryption is requested at line %d, but sgbackup cannot encrypt backups and WAL, and storing them unencrypted would not be what was asked.",
					line_of(method));
	sg_error_hint(w->err, "Remove spec.encryption, or keep using StackGres's own backups for encrypted storage.");
	return false;
}

static bool
read_object_storage(walker *w, const yaml_node_t *root, sg_storage *s)
{
	static const char *const top_keys[] = {"apiVersion", "kind", "metadata", "spec", NULL};
	static const char *const spec_keys[] = {
		"type", "s3", "s3Compatible", "gcs", "azureBlob", "encryption", NULL
	};
	yaml_node_t *meta;
	yaml_node_t *spec;
	yaml_node_t *section;
	field_lines lines;
	char	   *type = NULL;
	int			type_line = 0;
	int			name_line = 0;
	bool		compatible;
	char		vbuf[SHOWN_SIZE];

	memset(&lines, 0, sizeof(lines));
	if (!check_keys(w, root, "", top_keys) ||
		!get_map(w, root, "", "metadata", &meta))
		return false;
	if (meta == NULL)
	{
		sg_error_set(w->err, SG_ERR_CONFIG, "missing required field \"metadata.name\"");
		sg_error_detail(w->err, "The document at line %d has no metadata.", line_of(root));
		return false;
	}
	if (!get_string(w, meta, "metadata", "name", &s->name, &name_line))
		return false;
	if (s->name == NULL)
		return missing(w, "metadata", "name", meta);
	if (!check_name(w, "metadata.name", s->name, name_line))
		return false;
	if (!get_map(w, root, "", "spec", &spec))
		return false;
	if (spec == NULL)
		return missing(w, "", "spec", root);
	if (!check_keys(w, spec, "spec", spec_keys) ||
		!get_string(w, spec, "spec", "type", &type, &type_line))
		return false;
	if (type == NULL)
		return missing(w, "spec", "type", spec);
	if (strcmp(type, "gcs") == 0 || strcmp(type, "azureBlob") == 0)
	{
		sg_error_set(w->err, SG_ERR_CONFIG, "unsupported value for \"spec.type\": \"%s\"", type);
		sg_error_detail(w->err, "The type at line %d is valid in StackGres, but sgbackup supports only s3 and s3Compatible.",
						type_line);
		sg_error_hint(w->err, "Use an S3 or S3-compatible object storage.");
		free(type);
		return false;
	}
	if (strcmp(type, "s3") != 0 && strcmp(type, "s3Compatible") != 0)
	{
		sg_error_set(w->err, SG_ERR_CONFIG, "invalid value for \"spec.type\": \"%s\"",
					 shorten(type, vbuf, sizeof(vbuf)));
		sg_error_detail(w->err, "The type at line %d must be one of s3, s3Compatible, gcs or azureBlob, and sgbackup supports only s3 and s3Compatible.",
						type_line);
		free(type);
		return false;
	}
	s->type = type;
	compatible = strcmp(type, "s3Compatible") == 0;
	if (!read_encryption(w, spec) ||
		!get_map(w, spec, "spec", type, &section))
		return false;
	if (section == NULL)
	{
		missing(w, "spec", type, spec);
		sg_error_hint(w->err, "spec.type is %s, so the %s section must describe the bucket.", type, type);
		return false;
	}
	return read_section(w, section, compatible, s, &lines) &&
		check_storage(s, &lines, w->err);
}

/* ------------------------------------------------------------------------
 * SGCluster: spec.configurations.backups[0]
 * ------------------------------------------------------------------------ */

static bool
read_performance(walker *w, const yaml_node_t *entry, const char *path,
				 sg_cluster_backups *b)
{
	static const char *const keys[] = {
		"maxNetworkBandwidth", "maxDiskBandwidth", "uploadDiskConcurrency",
		"uploadConcurrency", "downloadConcurrency",
		"maxNetworkBandwitdh", "maxDiskBandwitdh",	/* deprecated spellings */
		NULL
	};
	yaml_node_t *perf;
	char		ppath[PATH_LEN];
	int			ignored;

	if (!get_map(w, entry, path, "performance", &perf))
		return false;
	if (perf == NULL)
		return true;
	join(ppath, sizeof(ppath), path, "performance");
	return check_keys(w, perf, ppath, keys) &&
		get_int(w, perf, ppath, "maxNetworkBandwitdh", 0, &b->max_network_bandwidth) &&
		get_int(w, perf, ppath, "maxDiskBandwitdh", 0, &b->max_disk_bandwidth) &&
		get_int(w, perf, ppath, "maxNetworkBandwidth", 0, &b->max_network_bandwidth) &&
		get_int(w, perf, ppath, "maxDiskBandwidth", 0, &b->max_disk_bandwidth) &&
		get_int(w, perf, ppath, "uploadConcurrency", 1, &b->upload_concurrency) &&
		get_int(w, perf, ppath, "uploadDiskConcurrency", 1, &ignored) &&
		get_int(w, perf, ppath, "downloadConcurrency", 1, &ignored);
}

static bool
read_compression(walker *w, const yaml_node_t *entry, const char *path,
				 sg_cluster_backups *b)
{
	char	   *value = NULL;
	char		fbuf[PATH_LEN];
	char		vbuf[SHOWN_SIZE];
	int			line = 0;
	bool		ok;

	if (!get_string(w, entry, path, "compression", &value, &line))
		return false;
	if (value == NULL)
		return true;
	ok = sg_compression_parse(value, &b->compression);
	if (ok)
		b->has_compression = true;
	else
	{
		join(fbuf, sizeof(fbuf), path, "compression");
		if (strcmp(value, "lzma") == 0 || strcmp(value, "brotli") == 0)
			sg_error_set(w->err, SG_ERR_CONFIG, "unsupported value for \"%s\": \"%s\"",
						 fbuf, value);
		else
			sg_error_set(w->err, SG_ERR_CONFIG, "invalid value for \"%s\": \"%s\"",
						 fbuf, shorten(value, vbuf, sizeof(vbuf)));
		sg_error_detail(w->err, "The compression at line %d is not one sgbackup supports: zstd, lz4 or none.",
						line);
		sg_error_hint(w->err, "Use compression: zstd, lz4 or none.");
	}
	free(value);
	return ok;
}

/* backups[].path: the rules of a bucket's path (sg_storage_set_bucket) */
static bool
check_path(walker *w, const char *path, const char *value, int line)
{
	char		fbuf[PATH_LEN];
	char		vbuf[SHOWN_SIZE];
	char		why[WHY_LEN];

	if (key_path_ok(value, true, "It", why, sizeof(why)))
		return true;
	join(fbuf, sizeof(fbuf), path, "path");
	sg_error_set(w->err, SG_ERR_CONFIG, "invalid value for \"%s\": \"%s\"",
				 fbuf, shorten(value, vbuf, sizeof(vbuf)));
	sg_error_detail(w->err, "The path at line %d is not a safe object key prefix. %s", line, why);
	sg_error_hint(w->err, "Write the path as names separated by single slashes, such as \"sgbackups/cluster-1\".");
	return false;
}

/*
 * cronSchedule: printable ASCII (so that the scheduler's messages quote it
 * as it is) that sg_cron_parse accepts.
 */
static bool
check_cron(walker *w, const char *path, const char *value, int line)
{
	char		fbuf[PATH_LEN];
	char		vbuf[SHOWN_SIZE];
	char		what[96];
	sg_error	cron_err;
	sg_cron		cron;

	join(fbuf, sizeof(fbuf), path, "cronSchedule");
	for (const char *c = value; *c; c++)
	{
		if (*c == '\t' || ((unsigned char) *c >= 0x20 && (unsigned char) *c < 0x7f))
			continue;
		sg_describe_char(c, strlen(c), what, sizeof(what));
		sg_error_set(w->err, SG_ERR_CONFIG, "invalid value for \"%s\": \"%s\"",
					 fbuf, shorten(value, vbuf, sizeof(vbuf)));
		sg_error_detail(w->err, "The schedule at line %d holds %s; a cron schedule is five fields of printable ASCII.",
						line, what);
		sg_error_hint(w->err, "Write the schedule as five fields, such as \"0 5 * * *\" for 05:00 UTC every day.");
		return false;
	}
	sg_error_clear(&cron_err);
	if (sg_cron_parse(value, &cron, &cron_err))
		return true;
	sg_error_set(w->err, SG_ERR_CONFIG, "invalid value for \"%s\": \"%s\"",
				 fbuf, shorten(value, vbuf, sizeof(vbuf)));
	sg_error_detail(w->err, "The schedule at line %d is not a valid cron schedule: %s. %s",
					line, cron_err.msg, cron_err.detail);
	sg_error_hint(w->err, "%s", cron_err.hint);
	return false;
}

static bool
read_backups(walker *w, const yaml_node_t *entry, const char *path,
			 sg_cluster_backups *b)
{
	static const char *const keys[] = {
		"sgObjectStorage", "path", "compression", "cronSchedule", "retention",
		"performance", "useVolumeSnapshot", "volumeSnapshotClass",
		"fastVolumeSnapshot", "timeout", "reconciliationTimeout", "maxRetries",
		"retainWalsForUnmanagedLifecycle", NULL
	};
	char	   *ignored_str = NULL;
	int			ignored_int;
	bool		ignored_bool;
	int			name_line = 0;
	int			path_line = 0;
	int			cron_line = 0;
	char		fbuf[PATH_LEN];
	bool		ok;

	if (entry->type != YAML_MAPPING_NODE)
		return type_error(w, path, entry, "a mapping");
	ok = check_keys(w, entry, path, keys) &&
		get_string(w, entry, path, "sgObjectStorage", &b->object_storage, &name_line) &&
		get_string(w, entry, path, "path", &b->path, &path_line) &&
		read_compression(w, entry, path, b) &&
		get_string(w, entry, path, "cronSchedule", &b->cron_schedule, &cron_line) &&
		get_int(w, entry, path, "retention", 1, &b->retention) &&
		read_performance(w, entry, path, b) &&
		/* valid in StackGres, meaningless to sgbackup: checked, then ignored */
		get_bool(w, entry, path, "useVolumeSnapshot", &ignored_bool, NULL) &&
		get_string(w, entry, path, "volumeSnapshotClass", &ignored_str, NULL) &&
		get_bool(w, entry, path, "fastVolumeSnapshot", &ignored_bool, NULL) &&
		get_int(w, entry, path, "timeout", 0, &ignored_int) &&
		get_int(w, entry, path, "reconciliationTimeout", 0, &ignored_int) &&
		get_int(w, entry, path, "maxRetries", 0, &ignored_int) &&
		get_bool(w, entry, path, "retainWalsForUnmanagedLifecycle", &ignored_bool, NULL);
	free(ignored_str);
	if (!ok)
		return false;
	if (b->object_storage == NULL)
		return missing(w, path, "sgObjectStorage", entry);
	join(fbuf, sizeof(fbuf), path, "sgObjectStorage");
	return check_name(w, fbuf, b->object_storage, name_line) &&
		(b->path == NULL || check_path(w, path, b->path, path_line)) &&
		(b->cron_schedule == NULL || check_cron(w, path, b->cron_schedule, cron_line));
}

static bool
read_cluster(walker *w, const yaml_node_t *root, sg_cluster_backups *b)
{
	yaml_node_t *spec;
	yaml_node_t *conf;
	yaml_node_t *backups;
	yaml_node_t *entry;

	if (!get_map(w, root, "", "spec", &spec))
		return false;
	if (spec == NULL)
		return missing(w, "", "spec", root);
	if (!get_map(w, spec, "spec", "configurations", &conf))
		return false;
	if (conf == NULL)
		return missing(w, "spec", "configurations", spec);
	backups = lookup(w, conf, "backups");
	if (backups == NULL)
		missing(w, "spec.configurations", "backups", conf);
	else if (backups->type != YAML_SEQUENCE_NODE)
		return type_error(w, "spec.configurations.backups", backups, "a list");
	else if (backups->data.sequence.items.top == backups->data.sequence.items.start)
	{
		sg_error_set(w->err, SG_ERR_CONFIG, "missing required field \"spec.configurations.backups[0]\"");
		sg_error_detail(w->err, "The backups list at line %d is empty.", line_of(backups));
	}
	else
	{
		/* StackGres uses only the first entry, and so do we */
		entry = yaml_document_get_node(w->doc, backups->data.sequence.items.start[0]);
		return read_backups(w, entry, "spec.configurations.backups[0]", b);
	}
	sg_error_hint(w->err, "sgbackup uses only spec.configurations.backups[0] of an SGCluster, which must name its sgObjectStorage.");
	return false;
}

/* ------------------------------------------------------------------------
 * documents
 * ------------------------------------------------------------------------ */

static bool
read_document(walker *w, const yaml_node_t *root, sg_document *d)
{
	char	   *kind = NULL;
	char	   *api = NULL;
	char		vbuf[SHOWN_SIZE];
	bool		ok;

	if (root->type != YAML_MAPPING_NODE)
	{
		sg_error_set(w->err, SG_ERR_CONFIG, "YAML document is not a mapping");
		sg_error_detail(w->err, "The document at line %d is %s; a StackGres resource is a mapping with apiVersion, kind, metadata and spec.",
						line_of(root), root->type == YAML_SEQUENCE_NODE ? "a list" : "a single value");
		return false;
	}
	if (!get_string(w, root, "", "kind", &kind, NULL) ||
		!get_string(w, root, "", "apiVersion", &api, NULL))
	{
		free(kind);
		return false;
	}
	if (api && strncmp(api, "stackgres.io/", 13) != 0)
	{
		sg_error_set(w->err, SG_ERR_CONFIG, "unsupported value for \"apiVersion\": \"%s\"",
					 shorten(api, vbuf, sizeof(vbuf)));
		sg_error_detail(w->err, "The document at line %d is not a StackGres resource.",
						line_of(root));
		sg_error_hint(w->err, "Use apiVersion: stackgres.io/v1beta1 for SGObjectStorage and stackgres.io/v1 for SGCluster.");
		free(kind);
		free(api);
		return false;
	}
	free(api);
	if (kind == NULL)
	{
		missing(w, "", "kind", root);
		sg_error_hint(w->err, "Add kind: SGObjectStorage or kind: SGCluster.");
		return false;
	}
	if (strcmp(kind, "SGObjectStorage") == 0)
	{
		d->kind = SG_DOC_OBJECT_STORAGE;
		ok = read_object_storage(w, root, &d->storage);
	}
	else if (strcmp(kind, "SGCluster") == 0)
	{
		d->kind = SG_DOC_CLUSTER;
		ok = read_cluster(w, root, &d->backups);
	}
	else
	{
		sg_error_set(w->err, SG_ERR_CONFIG, "unsupported kind \"%s\"",
					 shorten(kind, vbuf, sizeof(vbuf)));
		sg_error_detail(w->err, "The document at line %d is not an SGObjectStorage or SGCluster, the only kinds sgbackup accepts.",
						line_of(root));
		ok = false;
	}
	free(kind);
	return ok;
}

static bool
yaml_problem(yaml_parser_t *p, sg_error *err)
{
	if (p->error == YAML_MEMORY_ERROR)
		return sg_error_set(err, SG_ERR_INTERNAL, "out of memory while parsing YAML");
	sg_error_set(err, SG_ERR_CONFIG, "invalid YAML: %s",
				 p->problem ? p->problem : "unknown problem");
	if (p->error == YAML_READER_ERROR)
		sg_error_detail(err, "The problem is at byte offset %zu.", p->problem_offset);
	else if (p->context)
		sg_error_detail(err, "The problem is at line %zu, column %zu, %s at line %zu.",
						p->problem_mark.line + 1, p->problem_mark.column + 1,
						p->context, p->context_mark.line + 1);
	else
		sg_error_detail(err, "The problem is at line %zu, column %zu.",
						p->problem_mark.line + 1, p->problem_mark.column + 1);
	return false;
}

bool
sg_parse_documents(const char *yaml, size_t len, sg_document **docs, int *ndocs,
				   sg_error *err)
{
	yaml_parser_t parser;
	sg_document *out = NULL;
	int			n = 0;
	int			cap = 0;
	bool		ok = true;

	*docs = NULL;
	*ndocs = 0;
	if (!sg_yaml_guard(yaml, len, err))
		return false;
	if (!yaml_parser_initialize(&parser))
		return sg_error_set(err, SG_ERR_INTERNAL, "could not initialize the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *) yaml, len);
	while (ok)
	{
		yaml_document_t doc;
		yaml_node_t *root;
		walker		w;

		if (!yaml_parser_load(&parser, &doc))
		{
			ok = yaml_problem(&parser, err);
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (root == NULL)
		{
			yaml_document_delete(&doc);
			break;				/* end of the stream */
		}
		if (!is_null(root))		/* skip empty documents, as kubectl does */
		{
			if (n == cap)
			{
				cap = cap ? cap * 2 : 2;
				out = sg_realloc(out, cap * sizeof(*out));
			}
			memset(&out[n], 0, sizeof(out[n]));
			sg_storage_init(&out[n].storage);
			sg_cluster_backups_init(&out[n].backups);
			w.doc = &doc;
			w.err = err;
			ok = read_document(&w, root, &out[n]);
			n++;
		}
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	if (ok && n == 0)
	{
		sg_error_set(err, SG_ERR_CONFIG, "no YAML document found");
		sg_error_hint(err, "Give an SGObjectStorage or SGCluster document.");
		ok = false;
	}
	if (!ok)
	{
		sg_documents_free(out, n);
		return false;
	}
	*docs = out;
	*ndocs = n;
	return true;
}

void
sg_documents_free(sg_document *docs, int ndocs)
{
	for (int i = 0; i < ndocs; i++)
	{
		sg_storage_free(&docs[i].storage);
		sg_cluster_backups_free(&docs[i].backups);
	}
	free(docs);
}

/* ------------------------------------------------------------------------
 * summary and YAML output
 * ------------------------------------------------------------------------ */

static void
summarize_credentials(sg_buf *b, const sg_storage *s)
{
	const sg_secret_selector *ak = &s->access_key_id;
	const sg_secret_selector *sk = &s->secret_access_key;

	if (s->use_iam_role)
		sg_buf_append_str(b, ", IAM role credentials");
	else if (ak->name && sk->name && strcmp(ak->name, sk->name) == 0)
		sg_buf_printf(b, ", credentials from secret \"%s\"", ak->name);
	else if (ak->name && sk->name)
		sg_buf_printf(b, ", credentials from secrets \"%s\" and \"%s\"",
					  ak->name, sk->name);
	else
		sg_buf_append_str(b, ", default AWS credentials");
	if (s->ca_certificate.name)
		sg_buf_printf(b, ", CA certificate from secret \"%s\"", s->ca_certificate.name);
	else if (s->ca_file)
		sg_buf_printf(b, ", CA file %s", s->ca_file);
}

static char *
summarize_storage(const sg_storage *s)
{
	sg_buf		b;

	sg_buf_init(&b);
	sg_buf_printf(&b, "SGObjectStorage \"%s\" stored: type %s, bucket \"%s\"",
				  s->name ? s->name : "", s->type ? s->type : section_of(s),
				  s->bucket ? s->bucket : "");
	if (s->prefix && s->prefix[0])
		sg_buf_printf(&b, ", prefix \"%s\"", s->prefix);
	if (s->region && s->region[0])
		sg_buf_printf(&b, ", region %s", s->region);
	if (s->endpoint)
		sg_buf_printf(&b, ", endpoint %s", s->endpoint);
	if (s->force_path_style)
		sg_buf_append_str(&b, ", path style");
	if (s->storage_class && s->storage_class[0])
		sg_buf_printf(&b, ", storage class %s", s->storage_class);
	summarize_credentials(&b, s);
	return b.data;
}

static char *
summarize_backups(const sg_cluster_backups *c)
{
	sg_buf		b;

	sg_buf_init(&b);
	sg_buf_printf(&b, "SGCluster backups applied: sgObjectStorage \"%s\"",
				  c->object_storage ? c->object_storage : "");
	if (c->path)
		sg_buf_printf(&b, ", path \"%s\"", c->path);
	if (c->has_compression)
		sg_buf_printf(&b, ", compression %s", sg_compression_name(c->compression));
	if (c->cron_schedule)
		sg_buf_printf(&b, ", cronSchedule \"%s\"", c->cron_schedule);
	if (c->retention >= 0)
		sg_buf_printf(&b, ", retention %d", c->retention);
	if (c->upload_concurrency >= 0)
		sg_buf_printf(&b, ", uploadConcurrency %d", c->upload_concurrency);
	if (c->max_network_bandwidth >= 0)
		sg_buf_printf(&b, ", maxNetworkBandwidth %d", c->max_network_bandwidth);
	if (c->max_disk_bandwidth >= 0)
		sg_buf_printf(&b, ", maxDiskBandwidth %d", c->max_disk_bandwidth);
	return b.data;
}

char *
sg_document_summary(const sg_document *doc)
{
	if (doc->kind == SG_DOC_OBJECT_STORAGE)
		return summarize_storage(&doc->storage);
	return summarize_backups(&doc->backups);
}

static int
emit_to_buf(void *data, unsigned char *buffer, size_t size)
{
	sg_buf_append((sg_buf *) data, buffer, size);
	return 1;
}

/* plain for our own words, double quoted for values from users */
static bool
emit_scalar(yaml_emitter_t *e, const char *value, bool quoted)
{
	yaml_event_t ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, (yaml_char_t *) YAML_STR_TAG,
									  (yaml_char_t *) value, (int) strlen(value), 1, 1,
									  quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE :
									  YAML_PLAIN_SCALAR_STYLE))
		return false;
	return yaml_emitter_emit(e, &ev);
}

static bool
emit_pair(yaml_emitter_t *e, const char *key, const char *value)
{
	return emit_scalar(e, key, false) && emit_scalar(e, value, true);
}

/* a pair whose value is one of our own words, written plain */
static bool
emit_word(yaml_emitter_t *e, const char *key, const char *word)
{
	return emit_scalar(e, key, false) && emit_scalar(e, word, false);
}

static bool
emit_mapping_start(yaml_emitter_t *e, const char *key)
{
	yaml_event_t ev;

	if (key && !emit_scalar(e, key, false))
		return false;
	yaml_mapping_start_event_initialize(&ev, NULL, (yaml_char_t *) YAML_MAP_TAG, 1,
										YAML_BLOCK_MAPPING_STYLE);
	return yaml_emitter_emit(e, &ev);
}

static bool
emit_mapping_end(yaml_emitter_t *e)
{
	yaml_event_t ev;

	yaml_mapping_end_event_initialize(&ev);
	return yaml_emitter_emit(e, &ev);
}

static bool
emit_sequence_start(yaml_emitter_t *e, const char *key)
{
	yaml_event_t ev;

	if (!emit_scalar(e, key, false))
		return false;
	yaml_sequence_start_event_initialize(&ev, NULL, (yaml_char_t *) YAML_SEQ_TAG, 1,
										 YAML_BLOCK_SEQUENCE_STYLE);
	return yaml_emitter_emit(e, &ev);
}

static bool
emit_sequence_end(yaml_emitter_t *e)
{
	yaml_event_t ev;

	yaml_sequence_end_event_initialize(&ev);
	return yaml_emitter_emit(e, &ev);
}

/* a pair whose value is a number, written plain; none when value < 0 */
static bool
emit_number(yaml_emitter_t *e, const char *key, int value)
{
	char		buf[16];

	if (value < 0)
		return true;
	snprintf(buf, sizeof(buf), "%d", value);
	return emit_word(e, key, buf);
}

static bool
emit_selector(yaml_emitter_t *e, const char *key, const sg_secret_selector *sel)
{
	if (sel->name == NULL && sel->key == NULL)
		return true;
	return emit_mapping_start(e, key) &&
		(sel->name == NULL || emit_pair(e, "name", sel->name)) &&
		(sel->key == NULL || emit_pair(e, "key", sel->key)) &&
		emit_mapping_end(e);
}

static bool
emit_credentials(yaml_emitter_t *e, const sg_storage *s, bool compatible)
{
	bool		sels = s->access_key_id.name || s->access_key_id.key ||
		s->secret_access_key.name || s->secret_access_key.key ||
		(compatible && (s->ca_certificate.name || s->ca_certificate.key));

	if (!sels && !s->use_iam_role)
		return true;
	if (!emit_mapping_start(e, "awsCredentials"))
		return false;
	if (s->use_iam_role && !compatible &&
		!emit_word(e, "useIAMRole", "true"))
		return false;
	if (sels &&
		!(emit_mapping_start(e, "secretKeySelectors") &&
		  emit_selector(e, "accessKeyId", &s->access_key_id) &&
		  emit_selector(e, "secretAccessKey", &s->secret_access_key) &&
		  (!compatible || emit_selector(e, "caCertificate", &s->ca_certificate)) &&
		  emit_mapping_end(e)))
		return false;
	return emit_mapping_end(e);
}

/*
 * s3Compatible whenever the spec needs its fields (endpoint, path style, CA
 * certificate).  ca_file has no SGObjectStorage field and is not written.
 */
static bool
emit_storage(yaml_emitter_t *e, const void *arg)
{
	const sg_storage *s = arg;
	const char *type = "s3";
	bool		compatible;
	sg_buf		bucket;
	bool		ok;

	if ((s->type && strcmp(s->type, "s3Compatible") == 0) || s->endpoint ||
		s->force_path_style || s->ca_certificate.name || s->ca_certificate.key)
		type = "s3Compatible";
	compatible = strcmp(type, "s3Compatible") == 0;
	sg_buf_init(&bucket);
	sg_buf_append_str(&bucket, s->bucket ? s->bucket : "");
	if (s->prefix && s->prefix[0])
		sg_buf_printf(&bucket, "/%s", s->prefix);
	ok = emit_mapping_start(e, NULL) &&
		emit_word(e, "apiVersion", "stackgres.io/v1beta1") &&
		emit_word(e, "kind", "SGObjectStorage") &&
		emit_mapping_start(e, "metadata") &&
		(s->name == NULL || emit_pair(e, "name", s->name)) &&
		emit_mapping_end(e) &&
		emit_mapping_start(e, "spec") &&
		emit_word(e, "type", type) &&
		emit_mapping_start(e, type) &&
		emit_pair(e, "bucket", bucket.data) &&
		(s->region == NULL || emit_pair(e, "region", s->region)) &&
		(s->storage_class == NULL || emit_pair(e, "storageClass", s->storage_class)) &&
		(!compatible || s->endpoint == NULL || emit_pair(e, "endpoint", s->endpoint)) &&
		(!compatible || !s->force_path_style ||
		 emit_word(e, "enablePathStyleAddressing", "true")) &&
		emit_credentials(e, s, compatible) &&
		emit_mapping_end(e) &&
		emit_mapping_end(e) &&
		emit_mapping_end(e);
	sg_buf_free(&bucket);
	return ok;
}

static bool
emit_performance(yaml_emitter_t *e, const sg_cluster_backups *c)
{
	if (c->upload_concurrency < 0 && c->max_network_bandwidth < 0 &&
		c->max_disk_bandwidth < 0)
		return true;
	return emit_mapping_start(e, "performance") &&
		emit_number(e, "uploadConcurrency", c->upload_concurrency) &&
		emit_number(e, "maxNetworkBandwidth", c->max_network_bandwidth) &&
		emit_number(e, "maxDiskBandwidth", c->max_disk_bandwidth) &&
		emit_mapping_end(e);
}

/* an SGCluster holding only the backups section */
static bool
emit_backups(yaml_emitter_t *e, const void *arg)
{
	const sg_cluster_backups *c = arg;

	return emit_mapping_start(e, NULL) &&
		emit_word(e, "apiVersion", "stackgres.io/v1") &&
		emit_word(e, "kind", "SGCluster") &&
		emit_mapping_start(e, "metadata") &&
		emit_word(e, "name", "applied") &&
		emit_mapping_end(e) &&
		emit_mapping_start(e, "spec") &&
		emit_mapping_start(e, "configurations") &&
		emit_sequence_start(e, "backups") &&
		emit_mapping_start(e, NULL) &&
		emit_pair(e, "sgObjectStorage", c->object_storage) &&
		(c->path == NULL || emit_pair(e, "path", c->path)) &&
		(!c->has_compression ||
		 emit_word(e, "compression", sg_compression_name(c->compression))) &&
		(c->cron_schedule == NULL || emit_pair(e, "cronSchedule", c->cron_schedule)) &&
		emit_number(e, "retention", c->retention) &&
		emit_performance(e, c) &&
		emit_mapping_end(e) &&
		emit_sequence_end(e) &&
		emit_mapping_end(e) &&
		emit_mapping_end(e) &&
		emit_mapping_end(e);
}

/*
 * A YAML stream of the one document that emit_document writes, or NULL if
 * libyaml fails (out of memory, or a value that is not UTF-8).  Values are
 * double-quoted, so that libyaml escapes what YAML would change or refuse.
 */
static char *
emit_yaml(bool (*emit_document) (yaml_emitter_t *e, const void *arg),
		  const void *arg)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	sg_buf		out;
	bool		ok;

	if (!yaml_emitter_initialize(&e))
		return NULL;
	sg_buf_init(&out);
	yaml_emitter_set_output(&e, emit_to_buf, &out);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, -1);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	ok = yaml_emitter_emit(&e, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	ok = ok && yaml_emitter_emit(&e, &ev) && emit_document(&e, arg);
	yaml_document_end_event_initialize(&ev, 1);
	ok = ok && yaml_emitter_emit(&e, &ev);
	yaml_stream_end_event_initialize(&ev);
	ok = ok && yaml_emitter_emit(&e, &ev) && yaml_emitter_flush(&e);
	yaml_emitter_delete(&e);
	if (!ok)
	{
		sg_buf_free(&out);
		return NULL;
	}
	return out.data;
}

char *
sg_storage_to_yaml(const sg_storage *s)
{
	return emit_yaml(emit_storage, s);
}

char *
sg_cluster_backups_to_yaml(const sg_cluster_backups *c)
{
	if (c->object_storage == NULL)
		return NULL;
	return emit_yaml(emit_backups, c);
}
