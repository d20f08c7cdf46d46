/*
 * test_sigv4.c - checks s3_sign.c against AWS's SigV4 test suite and the
 * Amazon S3 worked examples (shared/sigv4, see its README.md).
 *
 * Usage: test/unit/test_sigv4 [SIGV4_DIR]; the directory also comes from
 * SG_SIGV4_DIR, else test/data/sigv4 (run from the repository root; a copy
 * of AWS's SigV4 test suite and the S3 documentation's examples).
 */
#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <yaml.h>

#include "s3_sign.h"
#include "unit.h"

#define MAX_ITEMS 32

/* signing values of the generic suite */
static const s3_sign_key suite_key = {
	"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	"us-east-1", "service", "20150830T123600Z"
};

/* a parsed .req file; every string is malloc'ed */
typedef struct parsed_req
{
	char	   *method;
	char	   *path;
	s3_kv		query[MAX_ITEMS];
	int			nquery;
	s3_kv		headers[MAX_ITEMS];
	int			nheaders;
	char	   *body;
} parsed_req;

static char *
copy_n(const char *s, size_t n)
{
	char	   *copy = sg_malloc(n + 1);

	memcpy(copy, s, n);
	copy[n] = '\0';
	return copy;
}

/* decode %XX escapes (the .req files hold raw text, this is harmless) */
static char *
percent_decode(const char *s, size_t n)
{
	char	   *out = sg_malloc(n + 1);
	size_t		i,
				j = 0;

	for (i = 0; i < n; i++)
	{
		if (s[i] == '%' && i + 2 < n &&
			isxdigit((unsigned char) s[i + 1]) &&
			isxdigit((unsigned char) s[i + 2]))
		{
			char		hex[3] = {s[i + 1], s[i + 2], '\0'};

			out[j++] = (char) strtol(hex, NULL, 16);
			i += 2;
		}
		else
			out[j++] = s[i];
	}
	out[j] = '\0';
	return out;
}

/* "a=1&b&c=" into name/value pairs; a key without '=' gets value "" */
static int
parse_query(const char *q, s3_kv *kv, int max)
{
	int			n = 0;

	while (*q && n < max)
	{
		size_t		len = strcspn(q, "&");
		const char *eq = memchr(q, '=', len);

		if (len > 0)
		{
			size_t		klen = eq ? (size_t) (eq - q) : len;

			kv[n].name = percent_decode(q, klen);
			kv[n].value = eq ? percent_decode(eq + 1, len - klen - 1) : sg_strdup("");
			n++;
		}
		q += len;
		if (*q == '&')
			q++;
	}
	return n;
}

static void
parse_request_line(parsed_req *r, const char *line, size_t len)
{
	const char *sp1 = memchr(line, ' ', len);
	const char *sp2 = line + len;
	const char *target;
	size_t		tlen;
	const char *qmark;

	/* the protocol is split off at the last space: paths may hold spaces */
	while (sp2 > line && *sp2 != ' ')
		sp2--;
	r->method = copy_n(line, sp1 - line);
	target = sp1 + 1;
	tlen = sp2 - target;
	qmark = memchr(target, '?', tlen);
	if (qmark)
	{
		char	   *q = copy_n(qmark + 1, tlen - (qmark + 1 - target));

		r->nquery = parse_query(q, r->query, MAX_ITEMS);
		free(q);
		tlen = qmark - target;
	}
	r->path = percent_decode(target, tlen);
}

/* parse a .req: request line, headers with continuations, optional body */
static void
parse_req(const char *text, parsed_req *r)
{
	const char *p = text;
	size_t		len = strcspn(p, "\n");

	memset(r, 0, sizeof(*r));
	parse_request_line(r, p, len);
	p += len;
	while (*p == '\n')
	{
		p++;
		len = strcspn(p, "\n");
		if (len == 0)
		{
			/* a blank line: the rest is the body */
			if (*p == '\n')
				p++;
			r->body = sg_strdup(p);
			break;
		}
		if ((*p == ' ' || *p == '\t') && r->nheaders > 0)
		{
			/* a folded line continues the previous value */
			s3_kv	   *h = &r->headers[r->nheaders - 1];
			sg_buf		v;

			sg_buf_init(&v);
			sg_buf_printf(&v, "%s\n%.*s", h->value, (int) len, p);
			free((char *) h->value);
			h->value = v.data;
		}
		else if (r->nheaders < MAX_ITEMS)
		{
			const char *colon = memchr(p, ':', len);

			if (colon == NULL)
				colon = p + len;
			r->headers[r->nheaders].name = copy_n(p, colon - p);
			r->headers[r->nheaders].value =
				colon < p + len ? copy_n(colon + 1, p + len - colon - 1) : sg_strdup("");
			r->nheaders++;
		}
		p += len;
	}
	if (r->body == NULL)
		r->body = sg_strdup("");
}

static void
free_req(parsed_req *r)
{
	int			i;

	for (i = 0; i < r->nquery; i++)
	{
		free((char *) r->query[i].name);
		free((char *) r->query[i].value);
	}
	for (i = 0; i < r->nheaders; i++)
	{
		free((char *) r->headers[i].name);
		free((char *) r->headers[i].value);
	}
	free(r->method);
	free(r->path);
	free(r->body);
}

static bool
starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* the token is the last non-empty line of post-sts-token/readme.txt */
static char *
read_sts_token(const char *suite)
{
	char		path[4096];
	char	   *text;
	char	   *end;
	char	   *start;
	char	   *token;

	snprintf(path, sizeof(path), "%s/post-sts-token/readme.txt", suite);
	text = sg_read_file(path, NULL);
	if (text == NULL)
		return NULL;
	end = text + strlen(text);
	while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	start = end;
	while (start > text && start[-1] != '\n')
		start--;
	token = copy_n(start, end - start);
	free(text);
	return token;
}

/*
 * Run one case folder: dir is the folder, rel its name under the suite
 * ("get-vanilla", "post-sts-token/post-sts-header-after").
 */
static void
run_case(const char *suite, const char *dir, const char *rel)
{
	const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
	char		path[4096];
	char	   *req_text,
			   *want_creq,
			   *want_sts,
			   *want_authz;
	parsed_req	r;
	s3_sign_request sreq;
	sg_buf		creq,
				signed_headers,
				sts,
				authz;
	char		payload_hash[65];
	char		what[512];
	bool		normalize = starts_with(rel, "normalize-path/");
	bool		form_urlencoded = starts_with(base, "post-x-www-form-urlencoded");

	/* S3 never normalizes: only get-space needs no normalization */
	if (normalize && strcmp(base, "get-space") != 0)
	{
		snprintf(what, sizeof(what), "%s: creq, sts, authz", rel);
		UNIT_SKIP(what, "S3 does not normalize paths (normalize-path.txt)");
		return;
	}

	snprintf(path, sizeof(path), "%s/%s.req", dir, base);
	req_text = sg_read_file(path, NULL);
	snprintf(path, sizeof(path), "%s/%s.creq", dir, base);
	want_creq = sg_read_file(path, NULL);
	snprintf(path, sizeof(path), "%s/%s.sts", dir, base);
	want_sts = sg_read_file(path, NULL);
	snprintf(path, sizeof(path), "%s/%s.authz", dir, base);
	want_authz = sg_read_file(path, NULL);
	if (!req_text || !want_creq || !want_sts || !want_authz)
	{
		UNIT_OK(false, "%s: read .req/.creq/.sts/.authz", rel);
		return;
	}

	parse_req(req_text, &r);
	s3_sha256_hex(r.body, strlen(r.body), payload_hash);
	sreq.method = r.method;
	sreq.path = r.path;
	sreq.query = r.query;
	sreq.nquery = r.nquery;
	sreq.headers = r.headers;
	sreq.nheaders = r.nheaders;
	sreq.payload_hash = payload_hash;

	sg_buf_init(&creq);
	sg_buf_init(&signed_headers);
	sg_buf_init(&sts);
	sg_buf_init(&authz);
	s3_canonical_request(&sreq, &creq, &signed_headers);
	s3_string_to_sign(&suite_key, creq.data, &sts);
	s3_authorization(&sreq, &suite_key, &authz);

	UNIT_STREQ(creq.data, want_creq, "%s: canonical request", rel);
	if (form_urlencoded)
	{
		snprintf(what, sizeof(what), "%s: string to sign, authorization", rel);
		UNIT_SKIP(what, ".sts/.authz not updated for Content-Length (README known issue)");
	}
	else
	{
		UNIT_STREQ(sts.data, want_sts, "%s: string to sign", rel);
		UNIT_STREQ(authz.data, want_authz, "%s: authorization", rel);
	}

	/* header-after: the token is added to the request after signing */
	if (strcmp(base, "post-sts-header-after") == 0)
	{
		char	   *token = read_sts_token(suite);
		char	   *want_sreq;
		sg_buf		signed_req;

		snprintf(path, sizeof(path), "%s/%s.sreq", dir, base);
		want_sreq = sg_read_file(path, NULL);
		sg_buf_init(&signed_req);
		sg_buf_printf(&signed_req, "%s\nX-Amz-Security-Token:%s\nAuthorization: %s",
					  req_text, token ? token : "", authz.data);
		UNIT_STREQ(signed_req.data, want_sreq,
				   "%s: signed request with the token added after signing", rel);
		sg_buf_free(&signed_req);
		free(want_sreq);
		free(token);
	}
	if (strcmp(base, "post-sts-header-before") == 0)
		UNIT_OK(strstr(signed_headers.data, "x-amz-security-token") != NULL,
				"%s: the token header is signed", rel);

	sg_buf_free(&creq);
	sg_buf_free(&signed_headers);
	sg_buf_free(&sts);
	sg_buf_free(&authz);
	free_req(&r);
	free(req_text);
	free(want_creq);
	free(want_sts);
	free(want_authz);
}

static bool
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int	walk_suite(const char *suite, const char *rel);

/* one folder entry: a case folder holds <name>.req, others group cases */
static int
walk_entry(const char *suite, const char *dir, const char *rel,
		   const char *name)
{
	char		sub[4096];
	char		subrel[4096];
	char		req[8192];

	if (name[0] == '.')
		return 0;
	snprintf(sub, sizeof(sub), "%s/%s", dir, name);
	snprintf(subrel, sizeof(subrel), "%s%s%s", rel, rel[0] ? "/" : "", name);
	if (!is_dir(sub))
		return 0;
	snprintf(req, sizeof(req), "%s/%s.req", sub, name);
	if (access(req, R_OK) != 0)
		return walk_suite(suite, subrel);
	run_case(suite, sub, subrel);
	return 1;
}

/* run every case under suite/rel in name order; returns how many */
static int
walk_suite(const char *suite, const char *rel)
{
	char		dir[4096];
	struct dirent **names;
	int			n,
				i,
				cases = 0;

	snprintf(dir, sizeof(dir), "%s%s%s", suite, rel[0] ? "/" : "", rel);
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++)
	{
		int			found = walk_entry(suite, dir, rel, names[i]->d_name);

		if (found > 0)
			cases += found;
		free(names[i]);
	}
	free(names);
	return cases;
}

/* --- s3-examples.json, read with libyaml (JSON is valid YAML here) --- */

static yaml_node_t *
map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pair;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pair = map->data.mapping.pairs.start;
		 pair < map->data.mapping.pairs.top; pair++)
	{
		yaml_node_t *k = yaml_document_get_node(doc, pair->key);

		if (k && k->type == YAML_SCALAR_NODE &&
			strcmp((char *) k->data.scalar.value, key) == 0)
			return yaml_document_get_node(doc, pair->value);
	}
	return NULL;
}

static const char *
map_str(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	yaml_node_t *v = map_get(doc, map, key);

	if (v == NULL || v->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *) v->data.scalar.value;
}

/* the S3 doc writes "," where the generic suite writes ", " */
static char *
without_comma_space(const char *s)
{
	sg_buf		b;

	sg_buf_init(&b);
	for (; s && *s; s++)
	{
		sg_buf_append(&b, s, 1);
		if (*s == ',' && s[1] == ' ')
			s++;
	}
	return b.data;
}

static void
run_example(yaml_document_t *doc, yaml_node_t *ex)
{
	const char *name = map_str(doc, ex, "name");
	const char *payload = map_str(doc, ex, "payload");
	yaml_node_t *hmap = map_get(doc, ex, "headers");
	s3_sign_key key;
	s3_sign_request req;
	s3_kv		headers[MAX_ITEMS];
	s3_kv		query[MAX_ITEMS];
	int			nheaders = 0;
	int			nquery;
	yaml_node_pair_t *pair;
	char		hash[65];
	char		sig[65];
	sg_buf		creq,
				signed_headers,
				sts,
				authz;
	char	   *got_authz,
			   *want_authz;
	int			i;

	if (name == NULL || payload == NULL || hmap == NULL ||
		hmap->type != YAML_MAPPING_NODE)
	{
		UNIT_OK(false, "s3-examples.json: example has name, payload and headers");
		return;
	}
	key.access_key = map_str(doc, ex, "access-key-id");
	key.secret_key = map_str(doc, ex, "secret-access-key");
	key.region = map_str(doc, ex, "region");
	key.service = map_str(doc, ex, "service");
	key.amz_date = map_str(doc, ex, "x-amz-date");

	for (pair = hmap->data.mapping.pairs.start;
		 pair < hmap->data.mapping.pairs.top && nheaders < MAX_ITEMS; pair++)
	{
		headers[nheaders].name = (const char *)
			yaml_document_get_node(doc, pair->key)->data.scalar.value;
		headers[nheaders].value = (const char *)
			yaml_document_get_node(doc, pair->value)->data.scalar.value;
		nheaders++;
	}
	nquery = parse_query(map_str(doc, ex, "query") ? map_str(doc, ex, "query") : "",
						 query, MAX_ITEMS);

	s3_sha256_hex(payload, strlen(payload), hash);
	UNIT_STREQ(hash, map_str(doc, ex, "payload-hash"), "%s: sha256 of the payload", name);

	req.method = map_str(doc, ex, "method");
	req.path = map_str(doc, ex, "path");
	req.query = query;
	req.nquery = nquery;
	req.headers = headers;
	req.nheaders = nheaders;
	req.payload_hash = hash;

	sg_buf_init(&creq);
	sg_buf_init(&signed_headers);
	sg_buf_init(&sts);
	sg_buf_init(&authz);
	s3_canonical_request(&req, &creq, &signed_headers);
	UNIT_STREQ(signed_headers.data, map_str(doc, ex, "signed-headers"),
			   "%s: signed headers", name);
	UNIT_STREQ(creq.data, map_str(doc, ex, "canonical-request"),
			   "%s: canonical request", name);
	s3_string_to_sign(&key, creq.data, &sts);
	UNIT_STREQ(sts.data, map_str(doc, ex, "string-to-sign"),
			   "%s: string to sign", name);
	s3_signature(&key, sts.data, sig);
	UNIT_STREQ(sig, map_str(doc, ex, "signature"), "%s: signature", name);
	s3_authorization(&req, &key, &authz);
	got_authz = without_comma_space(authz.data);
	want_authz = without_comma_space(map_str(doc, ex, "authorization"));
	UNIT_STREQ(got_authz, want_authz,
			   "%s: authorization (\", \" and \",\" compared alike)", name);

	free(got_authz);
	free(want_authz);
	sg_buf_free(&creq);
	sg_buf_free(&signed_headers);
	sg_buf_free(&sts);
	sg_buf_free(&authz);
	for (i = 0; i < nquery; i++)
	{
		free((char *) query[i].name);
		free((char *) query[i].value);
	}
}

static void
run_s3_examples(const char *dir)
{
	char		path[4096];
	FILE	   *f;
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	yaml_node_item_t *item;
	int			count = 0;

	snprintf(path, sizeof(path), "%s/s3-examples.json", dir);
	f = fopen(path, "rb");
	UNIT_OK(f != NULL, "open %s", path);
	if (f == NULL)
		return;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc))
	{
		UNIT_OK(false, "parse %s: %s", path, parser.problem ? parser.problem : "?");
		yaml_parser_delete(&parser);
		fclose(f);
		return;
	}
	root = yaml_document_get_root_node(&doc);
	UNIT_OK(root && root->type == YAML_SEQUENCE_NODE, "s3-examples.json is a list");
	if (root && root->type == YAML_SEQUENCE_NODE)
	{
		for (item = root->data.sequence.items.start;
			 item < root->data.sequence.items.top; item++)
		{
			run_example(&doc, yaml_document_get_node(&doc, *item));
			count++;
		}
	}
	UNIT_OK(count == 4, "s3-examples.json: %d examples checked (4 expected)", count);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
}

/* --- helpers that the vectors do not cover --- */

static void
run_helper_tests(void)
{
	sg_buf		b;
	char		md5[25];
	char		date[17];
	s3_kv		headers[] = {{"Host", "h"}, {"X-Amz-Date", "20150830T123600Z"}};
	s3_kv		query[] = {{"prefix", "a/b c"}, {"list-type", "2"}};
	s3_sign_request req = {"GET", "/bucket/a b/c+d", query, 2, headers, 2,
	"UNSIGNED-PAYLOAD"};
	sg_buf		creq,
				sh;

	sg_buf_init(&b);
	s3_uri_encode(&b, "/a b/~x+y=z/%é", false);
	UNIT_STREQ(b.data, "/a%20b/~x%2By%3Dz/%25%C3%A9", "uri encode keeps '/' in paths");
	sg_buf_reset(&b);
	s3_uri_encode(&b, "a/b", true);
	UNIT_STREQ(b.data, "a%2Fb", "uri encode encodes '/' in query values");
	sg_buf_free(&b);

	s3_md5_base64("", 0, md5);
	UNIT_STREQ(md5, "1B2M2Y8AsgTpgAmY7PhCfg==", "md5 base64 of the empty string");
	s3_md5_base64("Welcome to Amazon S3.", 21, md5);
	UNIT_OK(strlen(md5) == 24, "md5 base64 is 24 characters");

	s3_amz_date_now(date);
	UNIT_OK(strlen(date) == 16 && date[8] == 'T' && date[15] == 'Z',
			"amz date now has the form YYYYMMDDTHHMMSSZ: %s", date);

	sg_buf_init(&creq);
	sg_buf_init(&sh);
	s3_canonical_request(&req, &creq, &sh);
	UNIT_STREQ(creq.data,
			   "GET\n/bucket/a%20b/c%2Bd\nlist-type=2&prefix=a%2Fb%20c\n"
			   "host:h\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
			   "UNSIGNED-PAYLOAD",
			   "canonical request with encoded path and query, unsigned payload");
	sg_buf_free(&creq);
	sg_buf_free(&sh);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("SG_SIGV4_DIR");
	char		suite[4096];
	int			cases;

	if (dir == NULL || dir[0] == '\0')
		dir = "test/data/sigv4";
	printf("# sigv4 vectors from %s\n", dir);

	run_helper_tests();

	snprintf(suite, sizeof(suite), "%s/aws-sig-v4-test-suite", dir);
	cases = walk_suite(suite, "");
	UNIT_OK(cases == 31, "aws-sig-v4-test-suite: %d case folders found (31 expected)", cases);

	run_s3_examples(dir);
	return UNIT_DONE();
}
