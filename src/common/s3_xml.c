/*
 * s3_xml.c - building and reading the XML bodies of S3 requests with
 * libxml2 (see s3_xml.h).  S3 replies carry a default namespace, so
 * elements are matched by local name only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "s3_xml.h"

static xmlDocPtr
parse_with(const char *body, size_t len, int options)
{
	if (body == NULL || len == 0)
		return NULL;
	return xmlReadMemory(body, (int) len, NULL, NULL,
						 options | XML_PARSE_NONET | XML_PARSE_NOERROR |
						 XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS);
}

static xmlDocPtr
parse(const char *body, size_t len)
{
	return parse_with(body, len, 0);
}

static bool
is_element(xmlNodePtr node, const char *name)
{
	return node->type == XML_ELEMENT_NODE &&
		strcmp((const char *) node->name, name) == 0;
}

/* the root element if it is called name, else NULL */
static xmlNodePtr
root_named(xmlDocPtr doc, const char *name)
{
	xmlNodePtr	root = doc ? xmlDocGetRootElement(doc) : NULL;

	return (root && is_element(root, name)) ? root : NULL;
}

static xmlNodePtr
child(xmlNodePtr parent, const char *name)
{
	xmlNodePtr	n;

	for (n = parent->children; n; n = n->next)
		if (is_element(n, name))
			return n;
	return NULL;
}

/* malloc'ed text of parent's child element name, or NULL */
static char *
child_text(xmlNodePtr parent, const char *name)
{
	xmlNodePtr	n = child(parent, name);
	xmlChar    *content;
	char	   *copy;

	if (n == NULL)
		return NULL;
	content = xmlNodeGetContent(n);
	copy = sg_strdup(content ? (const char *) content : "");
	xmlFree(content);
	return copy;
}

/* copy the child's text into a fixed buffer ("" when absent) */
static void
child_copy(xmlNodePtr parent, const char *name, char *out, size_t size)
{
	char	   *text = child_text(parent, name);

	out[0] = '\0';
	if (text)
	{
		strncpy(out, text, size - 1);
		out[size - 1] = '\0';
		free(text);
	}
}

/* drop the quotes around an ETag, in place */
static char *
unquote(char *s)
{
	size_t		len;

	if (s == NULL)
		return NULL;
	len = strlen(s);
	if (len >= 2 && s[0] == '"' && s[len - 1] == '"')
	{
		memmove(s, s + 1, len - 2);
		s[len - 2] = '\0';
	}
	return s;
}

static void
read_error(xmlNodePtr node, s3_xml_error *out)
{
	child_copy(node, "Code", out->code, sizeof(out->code));
	child_copy(node, "Message", out->message, sizeof(out->message));
	child_copy(node, "Key", out->key, sizeof(out->key));
}

bool
s3_xml_parse_error(const char *body, size_t len, s3_xml_error *out)
{
	/* only the start of a long error reply is kept: read what is there */
	xmlDocPtr	doc = parse_with(body, len, XML_PARSE_RECOVER);
	xmlNodePtr	root = root_named(doc, "Error");

	memset(out, 0, sizeof(*out));
	if (root)
		read_error(root, out);
	xmlFreeDoc(doc);
	return root != NULL;
}

/* the fields of an object of ListObjectsV2; false when it has no key */
static bool
read_object(xmlNodePtr node, s3_xml_entry *e)
{
	char	   *size = child_text(node, "Size");

	e->size = size ? strtoll(size, NULL, 10) : 0;
	e->etag = unquote(child_text(node, "ETag"));
	e->last_modified = child_text(node, "LastModified");
	e->storage_class = child_text(node, "StorageClass");
	free(size);
	return e->key != NULL;
}

/* the fields of an upload of ListMultipartUploads; false without key or id */
static bool
read_upload(xmlNodePtr node, s3_xml_entry *e)
{
	e->upload_id = child_text(node, "UploadId");
	e->initiated = child_text(node, "Initiated");
	return e->key != NULL && e->upload_id != NULL;
}

/* what the two listings differ in */
static const struct list_kind
{
	const char *document;		/* the root element */
	const char *entry;			/* its entries */
	bool		(*read) (xmlNodePtr node, s3_xml_entry *e);
	const char *next[S3_XML_MARKERS];	/* where the next page starts */
}			list_kinds[] = {
	[S3_XML_OBJECTS] = {"ListBucketResult", "Contents", read_object,
	{"NextContinuationToken", NULL}},
	[S3_XML_UPLOADS] = {"ListMultipartUploadsResult", "Upload", read_upload,
	{"NextKeyMarker", "NextUploadIdMarker"}},
};

const char *
s3_xml_list_document(s3_xml_list_kind kind)
{
	return list_kinds[kind].document;
}

static void
entry_free(s3_xml_entry *e)
{
	free(e->key);
	free(e->etag);
	free(e->last_modified);
	free(e->storage_class);
	free(e->upload_id);
	free(e->initiated);
}

bool
s3_xml_read_list(const char *body, size_t len, void *out)
{
	s3_xml_list *list = out;
	s3_xml_list_kind kind = list->kind;
	const struct list_kind *k = &list_kinds[kind];
	xmlDocPtr	doc = parse(body, len);
	xmlNodePtr	root = root_named(doc, k->document);
	xmlNodePtr	n;
	char	   *truncated;
	size_t		cap = 0;
	int			i;

	memset(list, 0, sizeof(*list));
	list->kind = kind;
	if (root == NULL)
	{
		xmlFreeDoc(doc);
		return false;
	}
	for (n = root->children; n; n = n->next)
	{
		s3_xml_entry *e;

		if (!is_element(n, k->entry))
			continue;
		list->items = sg_array_grow(list->items, sizeof(s3_xml_entry),
									list->nitems, &cap, 64);
		e = &list->items[list->nitems];
		memset(e, 0, sizeof(*e));
		e->key = child_text(n, "Key");
		if (k->read(n, e))
			list->nitems++;
		else
			entry_free(e);		/* not a usable entry */
	}
	truncated = child_text(root, "IsTruncated");
	list->truncated = truncated && strcmp(truncated, "true") == 0;
	free(truncated);
	for (i = 0; i < S3_XML_MARKERS; i++)
		list->next[i] = k->next[i] ? child_text(root, k->next[i]) : NULL;
	xmlFreeDoc(doc);
	return true;
}

void
s3_xml_list_free(s3_xml_list *list)
{
	int			i;

	for (i = 0; i < list->nitems; i++)
		entry_free(&list->items[i]);
	free(list->items);
	for (i = 0; i < S3_XML_MARKERS; i++)
		free(list->next[i]);
	list->items = NULL;
	list->nitems = 0;
	memset(list->next, 0, sizeof(list->next));
}

/* serialize doc into out (replacing its contents) and free it */
static void
dump(xmlDocPtr doc, sg_buf *out)
{
	xmlChar    *text = NULL;
	int			len = 0;

	xmlDocDumpMemoryEnc(doc, &text, &len, "UTF-8");
	sg_buf_reset(out);
	if (text)
		sg_buf_append(out, text, (size_t) len);
	xmlFree(text);
	xmlFreeDoc(doc);
}

void
s3_xml_delete_request(const char *const *keys, int nkeys, sg_buf *out)
{
	xmlDocPtr	doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr	root = xmlNewNode(NULL, BAD_CAST "Delete");
	int			i;

	xmlDocSetRootElement(doc, root);
	xmlNewTextChild(root, NULL, BAD_CAST "Quiet", BAD_CAST "true");
	for (i = 0; i < nkeys; i++)
	{
		xmlNodePtr	obj = xmlNewChild(root, NULL, BAD_CAST "Object", NULL);

		xmlNewTextChild(obj, NULL, BAD_CAST "Key", BAD_CAST keys[i]);
	}
	dump(doc, out);
}

bool
s3_xml_read_delete_result(const char *body, size_t len, void *out)
{
	s3_xml_delete_result *result = out;
	xmlDocPtr	doc = parse(body, len);
	xmlNodePtr	root = root_named(doc, "DeleteResult");
	xmlNodePtr	n;

	memset(result, 0, sizeof(*result));
	for (n = root ? root->children : NULL; n; n = n->next)
	{
		if (!is_element(n, "Error"))
			continue;
		if (result->nerrors++ == 0)
			read_error(n, &result->first);
	}
	xmlFreeDoc(doc);
	return root != NULL;
}

bool
s3_xml_read_upload_id(const char *body, size_t len, void *out)
{
	char	  **id = out;
	xmlDocPtr	doc = parse(body, len);
	xmlNodePtr	root = root_named(doc, "InitiateMultipartUploadResult");

	*id = root ? child_text(root, "UploadId") : NULL;
	xmlFreeDoc(doc);
	if (*id && (*id)[0] == '\0')
	{
		free(*id);
		*id = NULL;
	}
	return *id != NULL;
}

void
s3_xml_complete_request(const int *part_no, char *const *etags, int nparts,
						sg_buf *out)
{
	xmlDocPtr	doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr	root = xmlNewNode(NULL, BAD_CAST "CompleteMultipartUpload");
	int			i;

	xmlDocSetRootElement(doc, root);
	for (i = 0; i < nparts; i++)
	{
		xmlNodePtr	part = xmlNewChild(root, NULL, BAD_CAST "Part", NULL);
		char		num[16];
		sg_buf		etag;

		snprintf(num, sizeof(num), "%d", part_no[i]);
		sg_buf_init(&etag);
		sg_buf_printf(&etag, "\"%s\"", etags[i]);
		xmlNewTextChild(part, NULL, BAD_CAST "PartNumber", BAD_CAST num);
		xmlNewTextChild(part, NULL, BAD_CAST "ETag", BAD_CAST etag.data);
		sg_buf_free(&etag);
	}
	dump(doc, out);
}

bool
s3_xml_read_complete_result(const char *body, size_t len, void *out)
{
	xmlDocPtr	doc = parse(body, len);
	bool		ok = root_named(doc, "CompleteMultipartUploadResult") != NULL;

	xmlFreeDoc(doc);
	return ok;
}

char *
s3_xml_location(const char *body, size_t len)
{
	xmlDocPtr	doc = parse(body, len);
	xmlNodePtr	root = root_named(doc, "LocationConstraint");
	xmlChar    *content;
	char	   *region = NULL;

	if (root)
	{
		content = xmlNodeGetContent(root);
		region = sg_strdup(content ? (const char *) content : "");
		xmlFree(content);
	}
	xmlFreeDoc(doc);
	return region;
}
