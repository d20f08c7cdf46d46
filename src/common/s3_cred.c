/*
 * s3_cred.c - finding S3 credentials (see s3_cred.h).
 *
 * Sources, in order: the storage spec's secret key selectors (files under
 * sgbackup.secrets_directory), the AWS_* environment variables, then the
 * shared credentials file.  Messages name files, variables and fields,
 * never a secret value; secrets are wiped before they are freed.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "s3_cred.h"
#include "sg_buf.h"

/* a secret file larger than this is surely the wrong file */
#define MAX_SECRET_FILE (16 * 1024 * 1024)

static void
wipe_free(char *s)
{
	if (s)
	{
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void
s3_credentials_free(s3_credentials *c)
{
	wipe_free(c->access_key);
	wipe_free(c->secret_key);
	wipe_free(c->session_token);
	c->access_key = c->secret_key = c->session_token = NULL;
	c->source[0] = '\0';
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* a selector part must name an entry in its directory, nothing more */
static bool
plain_file_name(const char *s)
{
	return s && s[0] && strchr(s, '/') == NULL &&
		strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/*
 * Read a whole file; false with errno set on failure.  Plain read(2), so
 * no stdio buffer keeps a copy of the secret.
 */
static bool
read_whole_file(const char *path, sg_buf *out)
{
	int			fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t		n;
	int			saved_errno = 0;

	if (fd < 0)
		return false;
	/* size the buffer once, so no copy of a secret is left by realloc */
	if (fstat(fd, &st) == 0 && st.st_size > 0 && st.st_size < MAX_SECRET_FILE)
		sg_buf_reserve(out, (size_t) st.st_size + 4096);
	for (;;)
	{
		if (out->len >= MAX_SECRET_FILE)
		{
			saved_errno = EFBIG;
			break;
		}
		sg_buf_reserve(out, 4096);
		n = read(fd, out->data + out->len, out->cap - out->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			saved_errno = errno;
		if (n <= 0)
			break;
		out->len += (size_t) n;
		out->data[out->len] = '\0';
	}
	close(fd);
	errno = saved_errno;
	return saved_errno == 0;
}

static void
wipe_buf(sg_buf *b)
{
	if (b->data)
		OPENSSL_cleanse(b->data, b->cap);
	sg_buf_free(b);
}

bool
s3_read_selector(const char *secrets_directory,
				 const sg_secret_selector *sel,
				 const char *field_path,
				 char **out, sg_error *err)
{
	sg_buf		path;
	sg_buf		data;
	int			saved_errno;

	*out = NULL;
	if (sel == NULL || sel->name == NULL || sel->name[0] == '\0')
		return sg_error_set(err, SG_ERR_CONFIG, "%s has no secret name",
							field_path);
	if (sel->key == NULL || sel->key[0] == '\0')
		return sg_error_set(err, SG_ERR_CONFIG, "%s has no key", field_path);
	if (!plain_file_name(sel->name) || !plain_file_name(sel->key))
	{
		sg_error_set(err, SG_ERR_CONFIG, "invalid secret key selector in %s",
					 field_path);
		sg_error_detail(err, "Secret name \"%s\" and key \"%s\" must each be a single file name.",
						sel->name, sel->key);
		return false;
	}
	if (secrets_directory == NULL || secrets_directory[0] == '\0')
	{
		sg_error_set(err, SG_ERR_CONFIG, "sgbackup.secrets_directory is not set");
		sg_error_detail(err, "%s names secret \"%s\", key \"%s\", which is read from <sgbackup.secrets_directory>/%s/%s.",
						field_path, sel->name, sel->key, sel->name, sel->key);
		sg_error_hint(err, "Set sgbackup.secrets_directory (SGBACKUP_SECRETS_DIRECTORY for the sgbackup program) to the directory where the secrets are mounted.");
		return false;
	}

	sg_buf_init(&path);
	sg_buf_printf(&path, "%s/%s/%s", secrets_directory, sel->name, sel->key);
	sg_buf_init(&data);
	if (!read_whole_file(path.data, &data))
	{
		saved_errno = errno;
		wipe_buf(&data);
		sg_error_set(err, SG_ERR_CREDENTIALS, "could not read secret file \"%s\": %s",
					 path.data, strerror(saved_errno));
		sg_error_detail(err, "The file holds key \"%s\" of secret \"%s\", named by %s.",
						sel->key, sel->name, field_path);
		sg_error_hint(err, "Check that the secret is mounted under sgbackup.secrets_directory and readable by the server's user.");
		sg_buf_free(&path);
		return false;
	}

	/* drop the trailing newline (and blanks) an editor or echo adds */
	while (data.len > 0 && is_blank(data.data[data.len - 1]))
		data.data[--data.len] = '\0';
	if (data.len == 0)
	{
		wipe_buf(&data);
		sg_error_set(err, SG_ERR_CREDENTIALS, "secret file \"%s\" is empty", path.data);
		sg_error_detail(err, "The file holds key \"%s\" of secret \"%s\", named by %s.",
						sel->key, sel->name, field_path);
		sg_error_hint(err, "Store the value under key \"%s\" of secret \"%s\".",
					  sel->key, sel->name);
		sg_buf_free(&path);
		return false;
	}
	sg_buf_free(&path);
	*out = data.data;
	return true;
}

/* (a) the storage spec's secret key selectors */
static bool
load_from_selectors(const sg_storage *storage, const char *secrets_directory,
					s3_credentials *out, sg_error *err)
{
	const char *type = storage->type ? storage->type : "s3";
	char		field_ak[128];
	char		field_sk[128];

	snprintf(field_ak, sizeof(field_ak),
			 "%s.awsCredentials.secretKeySelectors.accessKeyId", type);
	snprintf(field_sk, sizeof(field_sk),
			 "%s.awsCredentials.secretKeySelectors.secretAccessKey", type);

	if (!s3_read_selector(secrets_directory, &storage->access_key_id,
						  field_ak, &out->access_key, err))
		return false;
	if (!s3_read_selector(secrets_directory, &storage->secret_access_key,
						  field_sk, &out->secret_key, err))
	{
		s3_credentials_free(out);
		return false;
	}
	snprintf(out->source, sizeof(out->source), "secret %s/%s",
			 storage->access_key_id.name, storage->access_key_id.key);
	return true;
}

static const char *
getenv_nonempty(const char *name)
{
	const char *v = getenv(name);

	return (v && v[0]) ? v : NULL;
}

/* (b) AWS_ACCESS_KEY_ID and friends; *found tells whether any was set */
static bool
load_from_environment(s3_credentials *out, bool *found, sg_error *err)
{
	const char *ak = getenv_nonempty("AWS_ACCESS_KEY_ID");
	const char *sk = getenv_nonempty("AWS_SECRET_ACCESS_KEY");
	const char *token = getenv_nonempty("AWS_SESSION_TOKEN");

	*found = (ak || sk);
	if (!ak && !sk)
		return true;
	if (!ak || !sk)
	{
		const char *set = ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY";
		const char *missing = ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID";

		sg_error_set(err, SG_ERR_CREDENTIALS, "environment variable %s is not set",
					 missing);
		sg_error_detail(err, "%s is set in the environment, but %s is not.",
						set, missing);
		sg_error_hint(err, "Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither.");
		return false;
	}
	out->access_key = sg_strdup(ak);
	out->secret_key = sg_strdup(sk);
	out->session_token = sg_strdup(token);
	snprintf(out->source, sizeof(out->source), "environment");
	return true;
}

/* trim blanks at both ends, in place */
static char *
trim(char *s)
{
	char	   *end;

	while (is_blank(*s))
		s++;
	end = s + strlen(s);
	while (end > s && is_blank(end[-1]))
		*--end = '\0';
	return s;
}

/*
 * Find the profile's keys in the INI text (modified in place).  Returns
 * whether the [profile] section exists; values point into text.
 */
static bool
parse_credentials_ini(char *text, const char *profile,
					  char **ak, char **sk, char **token)
{
	char	   *line = text;
	bool		in_profile = false;
	bool		seen = false;

	*ak = *sk = *token = NULL;
	while (line && *line)
	{
		char	   *next = strchr(line, '\n');
		char	   *s;
		char	   *eq;

		if (next)
			*next++ = '\0';
		s = trim(line);
		line = next;
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[')
		{
			char	   *close = strchr(s, ']');

			if (close)
				*close = '\0';
			in_profile = (strcmp(trim(s + 1), profile) == 0);
			seen |= in_profile;
			continue;
		}
		if (!in_profile || (eq = strchr(s, '=')) == NULL)
			continue;
		*eq = '\0';
		s = trim(s);
		if (strcasecmp(s, "aws_access_key_id") == 0)
			*ak = trim(eq + 1);
		else if (strcasecmp(s, "aws_secret_access_key") == 0)
			*sk = trim(eq + 1);
		else if (strcasecmp(s, "aws_session_token") == 0)
			*token = trim(eq + 1);
	}
	return seen;
}

/*
 * (c) the shared credentials file.  *found is false when there is no file
 * or no such profile and nothing asked for them explicitly.
 */
static bool
load_from_shared_file(const char *path, const char *profile, bool explicit_file,
					  bool explicit_profile, s3_credentials *out, bool *found,
					  sg_error *err)
{
	sg_buf		data;
	char	   *ak,
			   *sk,
			   *token;
	bool		ok = true;

	*found = false;
	sg_buf_init(&data);
	if (!read_whole_file(path, &data))
	{
		int			saved_errno = errno;

		wipe_buf(&data);
		if (saved_errno == ENOENT && !explicit_file)
			return true;
		sg_error_set(err, SG_ERR_CREDENTIALS,
					 "could not read shared credentials file \"%s\": %s",
					 path, strerror(saved_errno));
		if (explicit_file)
		{
			sg_error_detail(err, "AWS_SHARED_CREDENTIALS_FILE names this file.");
			sg_error_hint(err, "Point AWS_SHARED_CREDENTIALS_FILE to a readable file, or unset it.");
		}
		return false;
	}

	if (!parse_credentials_ini(data.data, profile, &ak, &sk, &token))
	{
		wipe_buf(&data);
		if (!explicit_profile && !explicit_file)
			return true;
		sg_error_set(err, SG_ERR_CREDENTIALS,
					 "profile \"%s\" not found in shared credentials file \"%s\"",
					 profile, path);
		sg_error_hint(err, "Add a [%s] section to the file, or set AWS_PROFILE to a profile it has.",
					  profile);
		return false;
	}

	*found = true;
	if (ak == NULL || ak[0] == '\0' || sk == NULL || sk[0] == '\0')
	{
		sg_error_set(err, SG_ERR_CREDENTIALS,
					 "profile \"%s\" in shared credentials file \"%s\" has no %s",
					 profile, path,
					 (ak == NULL || ak[0] == '\0') ? "aws_access_key_id" : "aws_secret_access_key");
		sg_error_hint(err, "Give both aws_access_key_id and aws_secret_access_key in the profile.");
		ok = false;
	}
	else
	{
		out->access_key = sg_strdup(ak);
		out->secret_key = sg_strdup(sk);
		out->session_token = (token && token[0]) ? sg_strdup(token) : NULL;
		snprintf(out->source, sizeof(out->source),
				 "shared credentials file %s, profile %s", path, profile);
	}
	wipe_buf(&data);
	return ok;
}

bool
s3_credentials_load(const sg_storage *storage, const char *secrets_directory,
					s3_credentials *out, sg_error *err)
{
	const char *file_env = getenv_nonempty("AWS_SHARED_CREDENTIALS_FILE");
	const char *profile_env = getenv_nonempty("AWS_PROFILE");
	const char *profile = profile_env ? profile_env : "default";
	const char *home = getenv_nonempty("HOME");
	sg_buf		file;
	bool		found = false;

	memset(out, 0, sizeof(*out));

	if (storage && storage->use_iam_role)
	{
		sg_error_set(err, SG_ERR_CONFIG, "IAM role credentials are not supported yet");
		sg_error_hint(err, "Set useIAMRole (sgbackup.s3_use_iam_role) to false and give secret key selectors, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.");
		return false;
	}

	/* (a) selectors: either one given means the spec wants them */
	if (storage && (storage->access_key_id.name || storage->secret_access_key.name))
		return load_from_selectors(storage, secrets_directory, out, err);

	/* (b) environment */
	if (!load_from_environment(out, &found, err))
		return false;
	if (found)
		return true;

	/* (c) shared credentials file */
	sg_buf_init(&file);
	if (file_env)
		sg_buf_append_str(&file, file_env);
	else if (home)
		sg_buf_printf(&file, "%s/.aws/credentials", home);
	if (file.len > 0)
	{
		if (!load_from_shared_file(file.data, profile, file_env != NULL,
								   profile_env != NULL, out, &found, err))
		{
			sg_buf_free(&file);
			return false;
		}
		if (found)
		{
			sg_buf_free(&file);
			return true;
		}
	}

	/* (d) nothing anywhere */
	sg_error_set(err, SG_ERR_CREDENTIALS, "no S3 credentials found");
	if (file.len > 0)
		sg_error_detail(err, "sgbackup looked for secret key selectors in the object storage configuration, "
						"the environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
						"and profile \"%s\" of the shared credentials file \"%s\".",
						profile, file.data);
	else
		sg_error_detail(err, "sgbackup looked for secret key selectors in the object storage configuration "
						"and the environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; "
						"it found no shared credentials file, as neither AWS_SHARED_CREDENTIALS_FILE nor HOME is set.");
	sg_error_hint(err, "Give awsCredentials.secretKeySelectors in the object storage, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment.");
	sg_buf_free(&file);
	return false;
}
