/*
 * s3_xml.h - the XML bodies the S3 client sends and reads (libxml2):
 * error replies, ListObjectsV2 pages, DeleteObjects requests and results,
 * multipart upload requests and results, ListMultipartUploads pages,
 * GetBucketLocation.
 *
 * Internal to the S3 client (s3_client.c, s3_multipart.c).
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

/* one page of ListObjectsV2 */
typedef struct s3_xml_list_item
{
	char	   *key;			/* full key, as stored */
	int64_t		size;
	char	   *etag;			/* without quotes */
	char	   *last_modified;
	char	   *storage_class;
} s3_xml_list_item;

typedef struct s3_xml_list
{
	s3_xml_list_item *items;
	int			nitems;
	bool		truncated;
	char	   *next_token;		/* NextContinuationToken, or NULL */
} s3_xml_list;

extern bool s3_xml_parse_list(const char *body, size_t len, s3_xml_list *out);
extern void s3_xml_list_free(s3_xml_list *list);

/* <Delete><Quiet>true</Quiet><Object><Key>..</Key></Object>..</Delete> */
extern void s3_xml_delete_request(const char *const *keys, int nkeys, sg_buf *out);

/*
 * DeleteResult: number of <Error> entries; the first is copied to
 * first_error.  -1 when the body is not a DeleteResult.
 */
extern int	s3_xml_parse_delete_result(const char *body, size_t len,
									   s3_xml_error *first_error);

/* UploadId of InitiateMultipartUploadResult (malloc'ed), or NULL */
extern char *s3_xml_upload_id(const char *body, size_t len);

/* <CompleteMultipartUpload> with parts (sorted by part number) */
extern void s3_xml_complete_request(const int *part_no, char *const *etags,
									int nparts, sg_buf *out);

/* true when body is a CompleteMultipartUploadResult */
extern bool s3_xml_is_complete_result(const char *body, size_t len);

/* one page of ListMultipartUploads */
typedef struct s3_xml_upload
{
	char	   *key;			/* full key, as stored */
	char	   *upload_id;
	char	   *initiated;
} s3_xml_upload;

typedef struct s3_xml_uploads
{
	s3_xml_upload *items;
	int			nitems;
	bool		truncated;
	char	   *next_key_marker;	/* NextKeyMarker, or NULL */
	char	   *next_upload_id_marker;	/* NextUploadIdMarker, or NULL */
} s3_xml_uploads;

extern bool s3_xml_parse_uploads(const char *body, size_t len, s3_xml_uploads *out);
extern void s3_xml_uploads_free(s3_xml_uploads *list);

/* LocationConstraint of GetBucketLocation (malloc'ed, "" for us-east-1) */
extern char *s3_xml_location(const char *body, size_t len);

#endif							/* SG_S3_XML_H */
