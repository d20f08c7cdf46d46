/*
 * cli_target.c - the recovery target of `sgbackup restore` (see
 * cli_target.h).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_target.h"
#include "wal_store.h"

extern char **environ;

void
cli_target_init(cli_target *t)
{
	memset(t, 0, sizeof(*t));
	t->t.kind = RESTORE_TARGET_NONE;
	t->timeline = sg_strdup("latest");
}

void
cli_target_free(cli_target *t)
{
	free(t->value);
	free(t->timeline);
	memset(t, 0, sizeof(*t));
}

/*
 * "2026-12-02 04:00:00[.123456](Z|+HH[:MM]|-HH[:MM])", 'T' for the space
 * accepted; a time without a zone is refused, since the server would read
 * it in its own time zone
 */
static bool
parse_time(const char *s, int64_t *usec)
{
	struct tm	tm = {0};
	int			n = 0;
	int			zh = 0;
	int			zm = 0;
	long		frac = 0;
	int			digits = 0;
	const char *p;
	int64_t		secs;

	if (sscanf(s, "%4d-%2d-%2d%*1[ T]%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n == 0)
		return false;
	p = s + n;
	if (*p == '.')
		for (p++; isdigit((unsigned char) *p); p++, digits++)
			if (digits < 6)
				frac = frac * 10 + (*p - '0');
	for (; digits < 6; digits++)
		frac *= 10;
	while (*p == ' ')
		p++;
	if (*p == 'Z' || strcmp(p, "UTC") == 0)
		p += (*p == 'Z') ? 1 : 3;
	else if ((*p == '+' || *p == '-') && isdigit((unsigned char) p[1]) && isdigit((unsigned char) p[2]))
	{
		int			sign = *p == '-' ? -1 : 1;

		zh = (p[1] - '0') * 10 + (p[2] - '0');
		p += 3;
		if (*p == ':')
			p++;
		if (isdigit((unsigned char) p[0]) && isdigit((unsigned char) p[1]))
		{
			zm = (p[0] - '0') * 10 + (p[1] - '0');
			p += 2;
		}
		zh *= sign;
		zm *= sign;
	}
	else
		return false;
	if (*p != '\0' || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
		tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	secs = (int64_t) timegm(&tm) - zh * 3600 - zm * 60;
	*usec = secs * 1000000 + frac;
	return true;
}

static char *
format_utc(int64_t usec)
{
	char		text[64];
	char		out[80];
	time_t		secs = (time_t) (usec / 1000000);
	struct tm	tm;

	gmtime_r(&secs, &tm);
	strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(out, sizeof(out), "%s.%06lld+00", text, (long long) (usec % 1000000));
	return sg_strdup(out);
}

static bool
set_kind(cli_target *t, restore_target_kind kind, const char *value)
{
	t->ngiven++;
	t->t.kind = kind;
	free(t->value);
	t->value = sg_strdup(value);
	return true;
}

static bool
bad_value(sg_error *err, const char *option, const char *arg, const char *hint)
{
	sg_error_set(err, SG_ERR_CONFIG, "invalid value for %s: \"%s\"", option, arg);
	sg_error_hint(err, "%s", hint);
	return false;
}

static bool
set_timeline(cli_target *t, const char *arg, sg_error *err)
{
	char	   *end;
	unsigned long tli;

	if (strcmp(arg, "latest") != 0 && strcmp(arg, "current") != 0)
	{
		errno = 0;
		tli = strtoul(arg, &end, 10);
		if (errno || *end || end == arg || tli == 0 || tli > UINT32_MAX)
			return bad_value(err, "--target-timeline", arg, "Use latest, current or a timeline number.");
		t->t.timeline = (uint32_t) tli;
	}
	else
		t->t.timeline = 0;
	t->t.timeline_current = strcmp(arg, "current") == 0;
	free(t->timeline);
	t->timeline = sg_strdup(arg);
	return true;
}

bool
cli_target_option(cli_target *t, int opt, const char *arg, sg_error *err)
{
	char	   *end;

	switch (opt)
	{
		case 'T':
			if (!parse_time(arg, &t->t.time_usec))
				return bad_value(err, "--target-time", arg,
								 "Give a time with its zone, such as \"2026-12-02 04:00:00+00\" or \"2026-12-02T04:00:00Z\".");
			set_kind(t, RESTORE_TARGET_TIME, arg);
			free(t->value);
			t->value = format_utc(t->t.time_usec);
			return true;
		case 'L':
			if (!sg_parse_lsn(arg, strlen(arg), &t->t.lsn))
				return bad_value(err, "--target-lsn", arg, "Give an LSN such as 0/3000060.");
			return set_kind(t, RESTORE_TARGET_LSN, arg);
		case 'X':
			errno = 0;
			t->t.xid = strtoull(arg, &end, 10);
			if (errno || *end || end == arg || t->t.xid < 3)
				return bad_value(err, "--target-xid", arg, "Give a transaction ID such as 1234.");
			return set_kind(t, RESTORE_TARGET_XID, arg);
		case 'N':
			if (arg[0] == '\0' || strlen(arg) > 63)
				return bad_value(err, "--target-name", arg, "Give the name of a restore point (1 to 63 bytes).");
			set_kind(t, RESTORE_TARGET_NAME, arg);
			t->t.name = t->value;
			return true;
		case 'I':
			if (strcmp(arg, "immediate") != 0)
				return bad_value(err, "--target", arg, "The only value is immediate.");
			return set_kind(t, RESTORE_TARGET_IMMEDIATE, arg);
		case 't':
			return set_timeline(t, arg, err);
		case 'e':
			t->exclusive = true;
			return true;
	}
	return sg_error_set(err, SG_ERR_CONFIG, "unknown option for restore");
}

bool
cli_target_finish(cli_target *t, sg_error *err)
{
	if (t->ngiven > 1)
	{
		sg_error_set(err, SG_ERR_CONFIG, "more than one recovery target given");
		sg_error_hint(err, "Give one of --target-time, --target-lsn, --target-xid, --target-name and --target immediate.");
		return false;
	}
	if (t->exclusive && (t->t.kind == RESTORE_TARGET_NONE || t->t.kind == RESTORE_TARGET_IMMEDIATE))
	{
		sg_error_set(err, SG_ERR_CONFIG, "--target-exclusive needs a time, LSN, XID or name target");
		return false;
	}
	return true;
}

bool
cli_target_from_config(cli_target *t, const sg_config *o, const char **name, sg_error *err)
{
	if (*name == NULL && o->restore_backup_name)
		*name = o->restore_backup_name;
	if (*name == NULL)
	{
		sg_error_set(err, SG_ERR_CONFIG, "restore needs a backup");
		sg_error_hint(err, "Give a backup name or LATEST, or spec.initialData.restore.fromBackup.name in an SGCluster in --config.");
		return false;
	}
	if (t->ngiven == 0 && o->restore_to_usec != 0)
	{
		set_kind(t, RESTORE_TARGET_TIME, "");
		t->t.time_usec = o->restore_to_usec;
		free(t->value);
		t->value = format_utc(t->t.time_usec);
	}
	return true;
}

const char *
cli_target_text(const cli_target *t)
{
	static char text[256];
	static const char *const kinds[] = {"end of the archived WAL", "time", "LSN", "XID",
	"restore point", "immediate (as soon as consistent)"};

	if (t->t.kind == RESTORE_TARGET_NONE || t->t.kind == RESTORE_TARGET_IMMEDIATE)
		snprintf(text, sizeof(text), "%s", kinds[t->t.kind]);
	else
		snprintf(text, sizeof(text), "%s %s%s", kinds[t->t.kind], t->value,
				 t->exclusive ? " (exclusive)" : "");
	return text;
}

/* ---- choosing the backup ---- */

/* the history of timeline tli (NULL for timeline 1) */
static bool
read_history(sg_store *st, uint32_t tli, timeline_history *h, sg_error *err)
{
	int			rc;

	if (tli <= 1)
		return true;
	if ((rc = wal_fetch_history(st, tli, h, err)) == 0)
	{
		sg_error_set(err, SG_ERR_CONFIG, "timeline %u has no history file %08X.history in storage",
					 tli, tli);
		sg_error_hint(err, "Choose a timeline that was archived, or --target-timeline current.");
	}
	return rc == 1;
}

/* refused when the target lies beyond what is archived */
static bool
check_reachable(const cli_target *t, const wal_listing *w, uint32_t tli,
				const timeline_history *h, sg_error *err)
{
	int64_t		newest = 0;
	uint64_t	end;
	char		newest_name[25];

	if (t->t.kind == RESTORE_TARGET_TIME && w->newest_time[0] &&
		sg_parse_time(w->newest_time, &newest) && t->t.time_usec > newest)
	{
		sg_error_set(err, SG_ERR_CONFIG, "the target time %s is after the newest archived WAL (stored at %s)",
					 t->value, w->newest_time);
		sg_error_hint(err, "Archive the WAL up to that time first (SELECT pg_switch_wal() on the server), or choose an earlier target.");
		return false;
	}
	if (t->t.kind == RESTORE_TARGET_LSN &&
		wal_newest_segment(w->names, w->n, WAL_DEFAULT_SEGMENT_SIZE, tli, h, newest_name, &end) &&
		t->t.lsn > end)
	{
		char		lsn[32];

		sg_format_lsn(lsn, sizeof(lsn), end);
		sg_error_set(err, SG_ERR_CONFIG, "the target LSN %s is beyond the newest archived WAL of timeline %u (which ends at %s)",
					 t->value, tli, lsn);
		sg_error_hint(err, "Archive the WAL up to that LSN first, or choose an earlier target.");
		return false;
	}
	return true;
}

int
cli_choose_backup(sg_store *st, const backup_info *list, int n, const char *name,
				  cli_target *t, sg_error *err)
{
	wal_listing w;
	timeline_history h;
	uint32_t	tli;
	int			chosen = -1;

	memset(&h, 0, sizeof(h));
	if (!wal_list(st, &w, err))
		return -1;
	tli = t->t.timeline;
	if (tli == 0 && !t->t.timeline_current)
		tli = wal_latest_timeline(w.names, w.n);
	if (tli == 0)
		tli = 1;
	t->t.timeline = tli;
	if ((t->t.timeline_current || read_history(st, tli, &h, err)) &&
		(chosen = backup_select(list, n, name, &t->t,
								t->t.timeline_current || tli <= 1 ? NULL : &h, err)) >= 0 &&
		!check_reachable(t, &w, t->t.timeline_current ? list[chosen].timeline : tli,
						 t->t.timeline_current || tli <= 1 ? NULL : &h, err))
		chosen = -1;
	timeline_history_free(&h);
	wal_listing_free(&w);
	return chosen;
}

/* ---- the local server's version ---- */

/* the major version of the postgres program at path, 0 if it is not one */
static int
postgres_major(const char *path)
{
	char		cmd[PATH_MAX + 16];
	char		line[256];
	FILE	   *p;
	int			major = 0;
	const char *v;

	if (access(path, X_OK) != 0)
		return 0;
	snprintf(cmd, sizeof(cmd), "'%s' -V 2>/dev/null", path);
	if ((p = popen(cmd, "r")) == NULL)
		return 0;
	if (fgets(line, sizeof(line), p) && (v = strstr(line, "(PostgreSQL) ")) != NULL)
		major = atoi(v + strlen("(PostgreSQL) "));
	pclose(p);
	return major;
}

/* postgres next to this program, else the first on PATH */
static int
find_postgres(char *found, size_t size)
{
	char		self[PATH_MAX];
	ssize_t		len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *path = getenv("PATH");
	int			major = 0;

	if (len > 0)
	{
		self[len] = '\0';
		*strrchr(self, '/') = '\0';
		snprintf(found, size, "%s/postgres", self);
		if ((major = postgres_major(found)) > 0)
			return major;
	}
	while (path && *path)
	{
		const char *colon = strchr(path, ':');
		int			dlen = colon ? (int) (colon - path) : (int) strlen(path);

		snprintf(found, size, "%.*s/postgres", dlen, path);
		if (dlen > 0 && (major = postgres_major(found)) > 0)
			return major;
		path += dlen + (colon ? 1 : 0);
	}
	return 0;
}

bool
cli_check_server_version(const backup_info *b, sg_error *err)
{
	char		found[PATH_MAX];
	int			want = b->pg_version_num / 10000;
	int			have = find_postgres(found, sizeof(found));

	if (have == 0)
	{
		sg_error_set(err, SG_ERR_CONFIG, "no postgres program found to check the version against");
		sg_error_hint(err, "Put the bin directory of PostgreSQL %d on PATH.", want);
		return false;
	}
	if (want != have)
	{
		sg_error_set(err, SG_ERR_CONFIG, "backup \"%s\" is of PostgreSQL %d, but %s is PostgreSQL %d",
					 b->name, want, found, have);
		sg_error_hint(err, "Restore with the programs of PostgreSQL %d on PATH.", want);
		return false;
	}
	return true;
}

/* ---- the settings ---- */

/* s in single quotes for the shell */
static void
shell_quote(sg_buf *out, const char *s)
{
	sg_buf_append_str(out, "'");
	for (; *s; s++)
	{
		if (*s == '\'')
			sg_buf_append_str(out, "'\\''");
		else
			sg_buf_append(out, s, 1);
	}
	sg_buf_append_str(out, "'");
}

/* name = 'value' with quotes and backslashes doubled, as postgresql.conf reads them */
static void
conf_line(sg_buf *out, const char *name, const char *value)
{
	sg_buf_printf(out, "%s = '", name);
	for (; *value; value++)
	{
		if (*value == '\'' || *value == '\\')
			sg_buf_append(out, value, 1);
		sg_buf_append(out, value, 1);
	}
	sg_buf_append_str(out, "'\n");
}

/* the SGBACKUP_* environment, this program and --config: the configuration of this restore */
static void
restore_command(sg_buf *out, const char *config_path)
{
	char		self[PATH_MAX];
	ssize_t		len = readlink("/proc/self/exe", self, sizeof(self) - 1);

	for (char **e = environ; *e; e++)
	{
		const char *eq = strchr(*e, '=');

		if (strncmp(*e, "SGBACKUP_", 9) != 0 || eq == NULL)
			continue;
		sg_buf_append(out, *e, eq - *e + 1);
		shell_quote(out, eq + 1);
		sg_buf_append_str(out, " ");
	}
	self[len > 0 ? len : 0] = '\0';
	shell_quote(out, len > 0 ? self : "sgbackup");
	sg_buf_append_str(out, " wal-fetch");
	if (config_path)
	{
		char		abs[PATH_MAX];

		sg_buf_append_str(out, " --config ");
		shell_quote(out, realpath(config_path, abs) ? abs : config_path);
	}
	sg_buf_append_str(out, " %f %p");
}

void
cli_recovery_settings(const cli_target *t, const char *config_path,
					  const backup_info *b, sg_buf *out)
{
	static const char *const names[] = {NULL, "recovery_target_time", "recovery_target_lsn",
	"recovery_target_xid", "recovery_target_name", "recovery_target"};
	char		stamp[40];
	sg_buf		cmd;

	sg_format_time(stamp, sizeof(stamp), (int64_t) time(NULL) * 1000000);
	sg_buf_printf(out, "\n# written by sgbackup restore of backup %s at %s\n", b->name, stamp);
	sg_buf_init(&cmd);
	restore_command(&cmd, config_path);
	conf_line(out, "restore_command", cmd.data);
	sg_buf_free(&cmd);
	/*
	 * Every other target is reset, so that one inherited from the backed-up
	 * server does not clash, and before the one chosen: the server refuses
	 * a reset that comes after another target is set.
	 */
	for (int k = RESTORE_TARGET_TIME; k <= RESTORE_TARGET_IMMEDIATE; k++)
		if ((int) t->t.kind != k)
			conf_line(out, names[k], "");
	if (t->t.kind != RESTORE_TARGET_NONE)
		conf_line(out, names[t->t.kind], t->value);
	conf_line(out, "recovery_target_inclusive", t->exclusive ? "off" : "on");
	conf_line(out, "recovery_target_timeline", t->timeline);
	conf_line(out, "recovery_target_action", "promote");
}
