/*
 * sg_error.h - error reports shared by the server and the sgbackup program.
 *
 * Code in src/common never calls ereport or exits: it fills an sg_error and
 * returns false.  The caller turns it into an ereport (server) or a message
 * on stderr (program).  Texts follow PostgreSQL's style: msg is lower case
 * without a period, detail and hint are full sentences.  No secret value may
 * ever be written into an sg_error.
 */
#ifndef SG_ERROR_H
#define SG_ERROR_H

#include <stdbool.h>

/* what kind of failure, so callers can pick an errcode or an exit status */
typedef enum sg_error_kind
{
	SG_ERR_NONE = 0,
	SG_ERR_CONFIG,				/* bad or missing configuration value */
	SG_ERR_CREDENTIALS,			/* credentials missing or refused */
	SG_ERR_PERMISSION,			/* credentials valid, the action not allowed (AccessDenied) */
	SG_ERR_NOT_FOUND,			/* object or bucket does not exist (404) */
	SG_ERR_CONFLICT,			/* a different object is already stored */
	SG_ERR_CORRUPT,				/* stored data fails its checksum or format */
	SG_ERR_NETWORK,				/* connection failure or time-out after retries */
	SG_ERR_SERVER,				/* S3 answered an error after retries */
	SG_ERR_IO,					/* local file system error */
	SG_ERR_INTERNAL				/* out of memory, library failure */
} sg_error_kind;

typedef struct sg_error
{
	sg_error_kind kind;
	int			http_status;	/* last HTTP status seen, 0 if none */
	char		msg[512];
	char		detail[1024];
	char		hint[512];
} sg_error;

extern void sg_error_clear(sg_error *err);
/* set kind and msg (printf style); detail and hint are cleared */
extern bool sg_error_set(sg_error *err, sg_error_kind kind, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
extern void sg_error_detail(sg_error *err, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
extern void sg_error_hint(sg_error *err, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

#endif							/* SG_ERROR_H */
