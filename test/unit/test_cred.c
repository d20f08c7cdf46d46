/*
 * test_cred.c - unit tests for s3_cred.c: every credential source, every
 * error, and that no secret value ever shows up in an error's text.
 *
 * Works in a temporary directory under /tmp; changes HOME and the AWS_*
 * variables of its own process only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s3_cred.h"
#include "sg_buf.h"
#include "unit.h"

/* every secret written anywhere by this test */
static const char *const secrets[] = {
	"SELECTORSECRETabc/def+ghi",
	"ENVSECRETxyz",
	"ENVTOKENxyz",
	"FILESECRETdefault",
	"FILESECRETother",
	"FILETOKENother",
	"HOMESECRET",
};

static char tmpdir[256];

static void
write_file(const char *path, const char *text)
{
	FILE	   *f = fopen(path, "w");

	if (f == NULL)
	{
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

static char *
tmp_path(const char *rel)
{
	static char path[8][512];
	static int	next = 0;
	char	   *p = path[next++ % 8];

	snprintf(p, 512, "%s/%s", tmpdir, rel);
	return p;
}

static void
clear_env(void)
{
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	unsetenv("AWS_PROFILE");
	setenv("HOME", tmp_path("emptyhome"), 1);
}

/* no secret in msg, detail or hint */
static void
check_no_secret(const sg_error *err, const char *what)
{
	size_t		i;
	bool		clean = true;

	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (strstr(err->msg, secrets[i]) || strstr(err->detail, secrets[i]) ||
			strstr(err->hint, secrets[i]))
			clean = false;
	UNIT_OK(clean, "%s: no secret value in the error text", what);
}

static bool
contains(const char *s, const char *part)
{
	return s && strstr(s, part) != NULL;
}

static void
show_error(const sg_error *err)
{
	printf("#   msg: %s\n#   detail: %s\n#   hint: %s\n",
		   err->msg, err->detail, err->hint);
}

/* load expecting failure; returns the error for more checks */
static void
expect_error(const sg_storage *st, const char *secrets_dir, sg_error_kind kind,
			 const char *msg_part, const char *what, sg_error *err)
{
	s3_credentials c;
	bool		ok;

	sg_error_clear(err);
	ok = s3_credentials_load(st, secrets_dir, &c, err);
	UNIT_OK(!ok && err->kind == kind && contains(err->msg, msg_part),
			"%s: fails with \"%s\"", what, msg_part);
	show_error(err);
	check_no_secret(err, what);
	if (ok)
		s3_credentials_free(&c);
}

static void
set_selectors(sg_storage *st, const char *name)
{
	memset(st, 0, sizeof(*st));
	st->type = "s3";
	st->access_key_id.name = (char *) name;
	st->access_key_id.key = "accessKeyId";
	st->secret_access_key.name = (char *) name;
	st->secret_access_key.key = "secretAccessKey";
}

static void
test_selectors(void)
{
	sg_storage	st;
	s3_credentials c;
	sg_error	err;
	char	   *value;
	sg_secret_selector ca = {"s3-secret", "ca.crt"};

	clear_env();
	/* the environment must not win over the selectors */
	setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRETxyz", 1);

	set_selectors(&st, "s3-secret");
	sg_error_clear(&err);
	UNIT_OK(s3_credentials_load(&st, tmp_path("secrets"), &c, &err),
			"selectors: load succeeds");
	UNIT_STREQ(c.access_key, "AKIDSELECTOR", "selectors: access key, newline trimmed");
	UNIT_STREQ(c.secret_key, "SELECTORSECRETabc/def+ghi", "selectors: secret key, newline trimmed");
	UNIT_OK(c.session_token == NULL, "selectors: no session token");
	UNIT_STREQ(c.source, "secret s3-secret/accessKeyId", "selectors: source");
	s3_credentials_free(&c);
	UNIT_OK(c.access_key == NULL && c.secret_key == NULL,
			"s3_credentials_free clears the pointers");

	/* no secrets directory */
	expect_error(&st, NULL, SG_ERR_CONFIG, "sgbackup.secrets_directory is not set",
				 "selectors without secrets_directory", &err);
	UNIT_OK(err.hint[0] != '\0' && contains(err.detail, "s3.awsCredentials.secretKeySelectors.accessKeyId"),
			"selectors without secrets_directory: hint given, detail names the field");
	expect_error(&st, "", SG_ERR_CONFIG, "sgbackup.secrets_directory is not set",
				 "selectors with empty secrets_directory", &err);

	/* missing file */
	set_selectors(&st, "no-such-secret");
	expect_error(&st, tmp_path("secrets"), SG_ERR_CREDENTIALS,
				 tmp_path("secrets/no-such-secret/accessKeyId"),
				 "selectors: missing file", &err);

	/* secret key file missing while access key file exists */
	set_selectors(&st, "half-secret");
	expect_error(&st, tmp_path("secrets"), SG_ERR_CREDENTIALS,
				 tmp_path("secrets/half-secret/secretAccessKey"),
				 "selectors: missing secret key file", &err);

	/* empty file */
	set_selectors(&st, "empty-secret");
	expect_error(&st, tmp_path("secrets"), SG_ERR_CREDENTIALS, "is empty",
				 "selectors: empty file", &err);

	/* a name that climbs out of the secrets directory */
	set_selectors(&st, "..");
	expect_error(&st, tmp_path("secrets"), SG_ERR_CONFIG, "invalid secret key selector",
				 "selectors: name \"..\"", &err);

	/* IAM role */
	set_selectors(&st, "s3-secret");
	st.use_iam_role = true;
	expect_error(&st, tmp_path("secrets"), SG_ERR_CONFIG,
				 "IAM role credentials are not supported yet", "use_iam_role", &err);

	/* s3_read_selector for the CA certificate keeps inner newlines */
	sg_error_clear(&err);
	UNIT_OK(s3_read_selector(tmp_path("secrets"), &ca,
							 "s3Compatible.awsCredentials.secretKeySelectors.caCertificate",
							 &value, &err),
			"s3_read_selector: CA certificate read");
	UNIT_STREQ(value, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
			   "s3_read_selector: content with the trailing newline removed");
	free(value);
}

static void
test_environment(void)
{
	sg_storage	st;
	s3_credentials c;
	sg_error	err;

	memset(&st, 0, sizeof(st));
	clear_env();
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRETxyz", 1);
	setenv("AWS_SESSION_TOKEN", "ENVTOKENxyz", 1);
	/* a shared file must not win over the environment */
	setenv("AWS_SHARED_CREDENTIALS_FILE", tmp_path("credentials"), 1);
	sg_error_clear(&err);
	UNIT_OK(s3_credentials_load(&st, NULL, &c, &err), "environment: load succeeds");
	UNIT_STREQ(c.access_key, "AKIDENV", "environment: access key");
	UNIT_STREQ(c.secret_key, "ENVSECRETxyz", "environment: secret key");
	UNIT_STREQ(c.session_token, "ENVTOKENxyz", "environment: session token");
	UNIT_STREQ(c.source, "environment", "environment: source");
	s3_credentials_free(&c);

	unsetenv("AWS_SESSION_TOKEN");
	UNIT_OK(s3_credentials_load(&st, NULL, &c, &err) && c.session_token == NULL,
			"environment: no session token when AWS_SESSION_TOKEN is unset");
	s3_credentials_free(&c);

	unsetenv("AWS_SECRET_ACCESS_KEY");
	expect_error(&st, NULL, SG_ERR_CREDENTIALS, "AWS_SECRET_ACCESS_KEY",
				 "environment: only AWS_ACCESS_KEY_ID", &err);
	unsetenv("AWS_ACCESS_KEY_ID");
	setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRETxyz", 1);
	expect_error(&st, NULL, SG_ERR_CREDENTIALS, "AWS_ACCESS_KEY_ID",
				 "environment: only AWS_SECRET_ACCESS_KEY", &err);
}

static void
test_shared_file(void)
{
	sg_storage	st;
	s3_credentials c;
	sg_error	err;
	char		want_source[600];

	memset(&st, 0, sizeof(st));
	clear_env();
	setenv("AWS_SHARED_CREDENTIALS_FILE", tmp_path("credentials"), 1);
	sg_error_clear(&err);
	UNIT_OK(s3_credentials_load(&st, NULL, &c, &err), "shared file: default profile loads");
	UNIT_STREQ(c.access_key, "AKIDDEFAULT", "shared file: default access key");
	UNIT_STREQ(c.secret_key, "FILESECRETdefault", "shared file: default secret key, spaces trimmed");
	UNIT_OK(c.session_token == NULL, "shared file: default has no token");
	snprintf(want_source, sizeof(want_source),
			 "shared credentials file %s, profile default", tmp_path("credentials"));
	UNIT_STREQ(c.source, want_source, "shared file: source");
	s3_credentials_free(&c);

	setenv("AWS_PROFILE", "other", 1);
	UNIT_OK(s3_credentials_load(&st, NULL, &c, &err), "shared file: AWS_PROFILE=other loads");
	UNIT_STREQ(c.access_key, "AKIDOTHER", "shared file: other access key");
	UNIT_STREQ(c.secret_key, "FILESECRETother", "shared file: other secret key");
	UNIT_STREQ(c.session_token, "FILETOKENother", "shared file: other session token");
	s3_credentials_free(&c);

	setenv("AWS_PROFILE", "nosuch", 1);
	expect_error(&st, NULL, SG_ERR_CREDENTIALS, "profile \"nosuch\" not found",
				 "shared file: unknown profile", &err);

	setenv("AWS_PROFILE", "incomplete", 1);
	expect_error(&st, NULL, SG_ERR_CREDENTIALS, "has no aws_secret_access_key",
				 "shared file: profile without a secret key", &err);

	unsetenv("AWS_PROFILE");
	setenv("AWS_SHARED_CREDENTIALS_FILE", tmp_path("no-such-file"), 1);
	expect_error(&st, NULL, SG_ERR_CREDENTIALS, tmp_path("no-such-file"),
				 "shared file: AWS_SHARED_CREDENTIALS_FILE names a missing file", &err);

	/* $HOME/.aws/credentials */
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	setenv("HOME", tmp_path("home"), 1);
	UNIT_OK(s3_credentials_load(&st, NULL, &c, &err), "shared file: $HOME/.aws/credentials loads");
	UNIT_STREQ(c.access_key, "AKIDHOME", "shared file: home access key");
	UNIT_STREQ(c.secret_key, "HOMESECRET", "shared file: home secret key");
	UNIT_OK(contains(c.source, "home/.aws/credentials, profile default"),
			"shared file: home source: %s", c.source);
	s3_credentials_free(&c);
}

static void
test_nothing_found(void)
{
	sg_storage	st;
	sg_error	err;

	memset(&st, 0, sizeof(st));
	clear_env();
	expect_error(&st, tmp_path("secrets"), SG_ERR_CREDENTIALS, "no S3 credentials found",
				 "nothing configured", &err);
	UNIT_OK(contains(err.detail, "AWS_ACCESS_KEY_ID") &&
			contains(err.detail, tmp_path("emptyhome/.aws/credentials")) &&
			contains(err.detail, "profile \"default\"") && err.hint[0] != '\0',
			"nothing configured: detail lists where sgbackup looked, hint given");

	/* a home whose credentials file lacks the default profile */
	setenv("HOME", tmp_path("otherhome"), 1);
	expect_error(&st, NULL, SG_ERR_CREDENTIALS, "no S3 credentials found",
				 "home file without the default profile", &err);

	unsetenv("HOME");
	expect_error(&st, NULL, SG_ERR_CREDENTIALS, "no S3 credentials found",
				 "no HOME and no AWS_SHARED_CREDENTIALS_FILE", &err);
}

static void
make_fixtures(void)
{
	mkdir(tmp_path("secrets"), 0700);
	mkdir(tmp_path("secrets/s3-secret"), 0700);
	mkdir(tmp_path("secrets/half-secret"), 0700);
	mkdir(tmp_path("secrets/empty-secret"), 0700);
	mkdir(tmp_path("home"), 0700);
	mkdir(tmp_path("home/.aws"), 0700);
	mkdir(tmp_path("otherhome"), 0700);
	mkdir(tmp_path("otherhome/.aws"), 0700);
	mkdir(tmp_path("emptyhome"), 0700);

	write_file(tmp_path("secrets/s3-secret/accessKeyId"), "AKIDSELECTOR\n");
	write_file(tmp_path("secrets/s3-secret/secretAccessKey"), "SELECTORSECRETabc/def+ghi\n");
	write_file(tmp_path("secrets/s3-secret/ca.crt"),
			   "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
	write_file(tmp_path("secrets/half-secret/accessKeyId"), "AKIDHALF");
	write_file(tmp_path("secrets/empty-secret/accessKeyId"), "\n");
	write_file(tmp_path("secrets/empty-secret/secretAccessKey"), "");

	write_file(tmp_path("credentials"),
			   "# a comment\n"
			   "; another comment\n"
			   "[default]\n"
			   "aws_access_key_id = AKIDDEFAULT\n"
			   "aws_secret_access_key=   FILESECRETdefault   \n"
			   "\n"
			   "  [ other ]  \n"
			   "  aws_access_key_id=AKIDOTHER\r\n"
			   "AWS_Secret_Access_Key = FILESECRETother\n"
			   "aws_session_token = FILETOKENother\n"
			   "region = eu-west-1\n"
			   "[incomplete]\n"
			   "aws_access_key_id = AKIDINCOMPLETE\n");
	write_file(tmp_path("home/.aws/credentials"),
			   "[default]\naws_access_key_id=AKIDHOME\naws_secret_access_key=HOMESECRET\n");
	write_file(tmp_path("otherhome/.aws/credentials"),
			   "[work]\naws_access_key_id=AKIDWORK\naws_secret_access_key=HOMESECRET\n");
}

int
main(void)
{
	int			rc;
	char		cmd[600];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sg_test_cred_XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
	{
		perror("mkdtemp");
		return 2;
	}
	make_fixtures();

	test_selectors();
	test_environment();
	test_shared_file();
	test_nothing_found();

	rc = UNIT_DONE();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	return rc;
}
