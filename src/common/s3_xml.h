/*
 * s3_xml.h - the XML bodies the S3 client sends and reads (libxml2):
 * error replies, ListObjectsV2 pages, DeleteObjects requests and results,
 * multipart upload requests and results, ListMultipartUploads pages,
 * GetBucketLocation.
 *
 * Internal to the S3 client (s3_client.c, s3_object.c, s3_multipart.c).
 */
#ifndef SG_S3_XML_H
#define SG_S3_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_buf.h"

/*
 * <Error><Code>..</Code><Message>..</Message></Error>; false if not one.
 * A body cut short still gives the code and message it holds.
 */
typedef struct s3_xml_error
{
	char		code[64];
	char		message[256];
	char		key[256];		/* <Key> of a DeleteObjects error */
} s3_xml_error;

extern bool s3_xml_parse_error(const char *body, size_t len, s3_xml_error *out);

/*
 * One page of a listing: ListObjectsV2 (ListBucketResult, entries
 * <Contents>) or ListMultipartUploads (ListMultipartUploadsResult, entries
 * <Upload>).  The readers below have the s3_read_fn shape (s3_request.h):
 * body, length and what they fill.
 */
typedef enum s3_xml_list_kind
{
	S3_XML_OBJECTS,
	S3_XML_UPLOADS
} s3_xml_list_kind;

#define S3_XML_MARKERS 2

typedef struct s3_xml_entry
{
	char	   *key;			/* full key, as stored */
	int64_t		size;			/* objects: */
	char	   *etag;			/* without quotes */
	char	   *last_modified;
	char	   *storage_class;
	char	   *upload_id;		/* uploads: */
	char	   *initiated;
} s3_xml_entry;

typedef struct s3_xml_list
{
	s3_xml_list_kind kind;		/* set by the caller */
	s3_xml_entry *items;
	int			nitems;
	bool		truncated;
	/* NextContinuationToken; or NextKeyMarker and NextUploadIdMarker */
	char	   *next[S3_XML_MARKERS];
} s3_xml_list;

/* read a page into list (an s3_xml_list of its kind); false if not one */
extern bool s3_xml_read_list(const char *body, size_t len, void *list);
extern void s3_xml_list_free(s3_xml_list *list);
/* the root element of a page of kind: "ListBucketResult" */
extern const char *s3_xml_list_document(s3_xml_list_kind kind);

/* <Delete><Quiet>true</Quiet><Object><Key>..</Key></Object>..</Delete> */
extern void s3_xml_delete_request(const char *const *keys, int nkeys, sg_buf *out);

/* DeleteResult: how many <Error> entries, and the first */
typedef struct s3_xml_delete_result
{
	int			nerrors;
	s3_xml_error first;
} s3_xml_delete_result;

/* read a DeleteResult into out (an s3_xml_delete_result); false if not one */
extern bool s3_xml_read_delete_result(const char *body, size_t len, void *out);

/*
 * UploadId of InitiateMultipartUploadResult into *(char **) out
 * (malloc'ed); false when there is none
 */
extern bool s3_xml_read_upload_id(const char *body, size_t len, void *out);

/* <CompleteMultipartUpload> with parts (sorted by part number) */
extern void s3_xml_complete_request(const int *part_no, char *const *etags,
									int nparts, sg_buf *out);

/* true when body is a CompleteMultipartUploadResult (out is unused) */
extern bool s3_xml_read_complete_result(const char *body, size_t len, void *out);

/* LocationConstraint of GetBucketLocation (malloc'ed, "" for us-east-1) */
extern char *s3_xml_location(const char *body, size_t len);

#endif							/* SG_S3_XML_H */
