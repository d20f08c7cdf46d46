/*
 * s3_cred.h - where sgbackup finds S3 credentials.
 *
 * In order: secret key selectors of the storage spec (files
 * <secrets_directory>/<name>/<key>), then AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, then the shared credentials
 * file (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, profile
 * AWS_PROFILE or "default").  IAM roles come later.  Error messages name
 * where sgbackup looked, never a secret value.
 */
#ifndef SG_S3_CRED_H
#define SG_S3_CRED_H

#include <stdbool.h>

#include "config_storage.h"
#include "sg_error.h"

typedef struct s3_credentials
{
	char	   *access_key;
	char	   *secret_key;
	char	   *session_token;	/* NULL if none */
	char		source[128];	/* where they came from, for messages */
} s3_credentials;

extern bool s3_credentials_load(const sg_storage *storage,
								const char *secrets_directory,
								s3_credentials *out, sg_error *err);
/* overwrite the secrets with zeros and free them */
extern void s3_credentials_free(s3_credentials *c);

/*
 * Read a secret key selector's file into a malloc'ed string (trailing
 * newline removed).  Used for keys and for the CA certificate selector.
 */
extern bool s3_read_selector(const char *secrets_directory,
							 const sg_secret_selector *sel,
							 const char *field_path,
							 char **out, sg_error *err);

#endif							/* SG_S3_CRED_H */
