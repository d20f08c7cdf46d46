/*
 * cli_restore.c - `sgbackup restore NAME|LATEST PGDATA [target]`: a base
 * backup from the store into an empty PGDATA, with the recovery settings
 * that make starting the server the only step left.
 *
 * The order makes an interrupted restore refuse to start and be refused
 * by the next attempt:
 *   1. PGDATA is checked (empty, or --force empties it) and the marker
 *      file sgbackup_restore.incomplete is written first;
 *   2. the archives are unpacked, every file checked against
 *      backup_manifest (backup_restore.h), global/pg_control under a
 *      temporary name, so that the directory cannot start;
 *   3. backup_manifest, recovery.signal and the recovery settings (in
 *      postgresql.auto.conf, which the server reads last) are written;
 *   4. the file systems are synced (syncfs), pg_control is renamed into
 *      place and the marker removed, each followed by an fsync of its
 *      directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "backup_catalog.h"
#include "backup_restore.h"
#include "backup_select.h"
#include "cli_config.h"
#include "cli_restore.h"
#include "cli_target.h"
#include "store.h"

#define MARKER "sgbackup_restore.incomplete"

/* what the command line asks for */
typedef struct restore_args
{
	const char *config_path;
	const char *name;			/* NAME or LATEST */
	const char *pgdata;
	cli_target	target;
	struct mapping
	{
		char	   *old;
		char	   *new;
	}		   *maps;			/* --tablespace-mapping OLD=NEW */
	size_t		nmap;
	size_t		map_cap;
	bool		force;
	bool		json;
} restore_args;

/* a restore under way */
typedef struct restore_run
{
	restore_args *args;
	char		pgdata[PATH_MAX];
	char	  **tablespaces;	/* directories written, to sync */
	size_t		ntablespaces;
	size_t		ts_cap;
	bool		progress;		/* on a terminal */
	int64_t		total_bytes;	/* expected, for the progress line */
	struct timespec started;
	double		last_shown;
} restore_run;

static double
seconds_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- PGDATA: empty, or emptied with --force ---- */

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (ftw->level == 0)
		return 0;
	return remove(path) == 0 ? 0 : -1;
}

static bool
empty_directory(const char *dir, sg_error *err)
{
	if (nftw(dir, remove_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0)
		return sg_error_set(err, SG_ERR_IO, "could not empty directory \"%s\": %s",
							dir, strerror(errno));
	return true;
}

/* 1 empty or created, 0 holds something, -1 error */
static int
directory_state(const char *dir, sg_error *err)
{
	DIR		   *d = opendir(dir);
	struct dirent *e;
	int			state = 1;

	if (d == NULL && errno == ENOENT)
		return sg_make_dirs(dir, 1, true, err) ? 1 : -1;
	if (d == NULL)
	{
		sg_error_set(err, SG_ERR_IO, "could not open directory \"%s\": %s", dir, strerror(errno));
		return -1;
	}
	while (state == 1 && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			state = 0;
	closedir(d);
	return state;
}

/* a postmaster.pid whose process is alive */
static bool
server_running(const char *pgdata)
{
	char		path[PATH_MAX];
	FILE	   *f;
	long		pid = 0;

	snprintf(path, sizeof(path), "%s/postmaster.pid", pgdata);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid > 0 && (kill((pid_t) pid, 0) == 0 || errno == EPERM);
}

static bool
has_marker(const char *pgdata)
{
	char		path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/" MARKER, pgdata);
	return access(path, F_OK) == 0;
}

/* an empty directory to restore into, or a clear refusal */
static bool
prepare_directory(const char *dir, const char *what, bool force, sg_error *err)
{
	int			state = directory_state(dir, err);

	if (state < 0)
		return false;
	if (state == 0 && server_running(dir))
	{
		sg_error_set(err, SG_ERR_CONFIG, "a server is running in \"%s\"", dir);
		sg_error_hint(err, "Stop it first, or restore into another directory.");
		return false;
	}
	if (state == 0 && !force)
	{
		if (has_marker(dir))
		{
			sg_error_set(err, SG_ERR_CONFIG, "\"%s\" holds a restore that did not finish", dir);
			sg_error_hint(err, "Run the restore again with --force to remove it and start over.");
		}
		else
		{
			sg_error_set(err, SG_ERR_CONFIG, "%s \"%s\" is not empty", what, dir);
			sg_error_hint(err, "Restore into an empty or new directory, or add --force to delete what it holds.");
		}
		return false;
	}
	if (state == 0 && !empty_directory(dir, err))
		return false;
	if (chmod(dir, 0700) != 0)
		return sg_error_set(err, SG_ERR_IO, "could not set permissions of \"%s\": %s",
							dir, strerror(errno));
	return true;
}

static bool
write_file(const char *path, const char *data, size_t len, bool append, sg_error *err)
{
	int			fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0600);
	bool		ok;

	if (fd < 0)
		return sg_error_set(err, SG_ERR_IO, "could not create file \"%s\": %s", path, strerror(errno));
	ok = sg_write_all(fd, data, len, path, err);
	if (ok && fsync(fd) != 0)
		ok = sg_error_set(err, SG_ERR_IO, "could not fsync file \"%s\": %s", path, strerror(errno));
	if (close(fd) != 0 && ok)
		ok = sg_error_set(err, SG_ERR_IO, "could not close file \"%s\": %s", path, strerror(errno));
	return ok;
}

static bool
write_marker(restore_run *run, const backup_info *b, sg_error *err)
{
	char		path[PATH_MAX];
	char		text[512];

	snprintf(path, sizeof(path), "%s/" MARKER, run->pgdata);
	snprintf(text, sizeof(text), "sgbackup is restoring backup %s into this directory;\n"
			 "it is not complete until this file is gone.\n", b->name);
	return write_file(path, text, strlen(text), false, err) && sg_fsync_parent(path, err);
}

/* ---- tablespaces ---- */

static char *
map_tablespace(void *arg, const char *oid, const char *target, sg_error *err)
{
	restore_run *run = arg;
	const restore_args *a = run->args;
	const char *dir = target;

	for (size_t i = 0; i < a->nmap; i++)
		if (strcmp(a->maps[i].old, target) == 0)
			dir = a->maps[i].new;
	if (!prepare_directory(dir, "tablespace directory", a->force, err))
	{
		sg_error_detail(err, "Tablespace %s was in \"%s\"; --tablespace-mapping OLD=NEW puts it elsewhere.",
						oid, target);
		return NULL;
	}
	run->tablespaces = sg_array_grow(run->tablespaces, sizeof(char *), run->ntablespaces,
									 &run->ts_cap, 4);
	run->tablespaces[run->ntablespaces++] = sg_strdup(dir);
	return sg_strdup(dir);
}

/* ---- progress ---- */

static void
show_progress(void *arg, int64_t bytes, int64_t files)
{
	restore_run *run = arg;
	double		t = seconds_since(&run->started);
	double		rate = t > 0 ? bytes / t : 0;
	double		left = rate > 0 && run->total_bytes > bytes ? (run->total_bytes - bytes) / rate : 0;

	/* the first time, then every half second */
	if (!run->progress || (run->last_shown > 0 && t - run->last_shown < 0.5 &&
						   bytes < run->total_bytes))
		return;
	run->last_shown = t;
	fprintf(stderr, "\r%lld/%lld MB, %lld files, %.0f MB/s, %.0f s left   ",
			(long long) (bytes >> 20), (long long) (run->total_bytes >> 20),
			(long long) files, rate / (1 << 20), left);
	fflush(stderr);
}

/* ---- the end: settings, sync, pg_control, marker ---- */

static bool
sync_directory(const char *dir, sg_error *err)
{
	int			fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool		ok = fd >= 0 && syncfs(fd) == 0;

	if (!ok)
		sg_error_set(err, SG_ERR_IO, "could not sync the file system of \"%s\": %s",
					 dir, strerror(errno));
	if (fd >= 0)
		close(fd);
	return ok;
}

static bool
write_settings(restore_run *run, const backup_info *b, const sg_buf *manifest, sg_error *err)
{
	char		path[PATH_MAX];
	sg_buf		conf;
	bool		ok;

	snprintf(path, sizeof(path), "%s/backup_manifest", run->pgdata);
	if (!write_file(path, manifest->data, manifest->len, false, err))
		return false;
	sg_buf_init(&conf);
	cli_recovery_settings(&run->args->target, run->args->config_path, b, &conf);
	snprintf(path, sizeof(path), "%s/postgresql.auto.conf", run->pgdata);
	ok = write_file(path, conf.data, conf.len, true, err);
	sg_buf_free(&conf);
	snprintf(path, sizeof(path), "%s/recovery.signal", run->pgdata);
	return ok && write_file(path, "", 0, false, err);
}

static bool
finish(restore_run *run, sg_error *err)
{
	char		held[PATH_MAX];
	char		control[PATH_MAX];

	if (!sync_directory(run->pgdata, err))
		return false;
	for (size_t i = 0; i < run->ntablespaces; i++)
		if (!sync_directory(run->tablespaces[i], err))
			return false;
	snprintf(control, sizeof(control), "%s/" UNPACK_HELD_BACK, run->pgdata);
	snprintf(held, sizeof(held), "%s" UNPACK_HELD_SUFFIX, control);
	if (rename(held, control) != 0)
		return sg_error_set(err, SG_ERR_IO, "could not rename \"%s\": %s", held, strerror(errno));
	if (!sg_fsync_parent(control, err))
		return false;
	snprintf(held, sizeof(held), "%s/" MARKER, run->pgdata);
	if (unlink(held) != 0)
		return sg_error_set(err, SG_ERR_IO, "could not remove \"%s\": %s", held, strerror(errno));
	return sg_fsync_parent(held, err);
}

/* ---- the command ---- */

static void
print_summary(const restore_run *run, const backup_info *b, const unpack_stats *stats)
{
	double		t = seconds_since(&run->started);

	if (run->args->json)
	{
		json_object *o = json_object_new_object();

		json_object_object_add(o, "backup", json_object_new_string(b->name));
		json_object_object_add(o, "pgdata", json_object_new_string(run->pgdata));
		json_object_object_add(o, "bytes", json_object_new_int64(stats->bytes));
		json_object_object_add(o, "files", json_object_new_int64(stats->files));
		json_object_object_add(o, "seconds", json_object_new_double(t));
		json_object_object_add(o, "target", json_object_new_string(cli_target_text(&run->args->target)));
		json_object_object_add(o, "tablespaces", json_object_new_int((int) run->ntablespaces));
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		return;
	}
	if (run->progress)
		fputc('\n', stderr);
	printf("restored backup %s into %s: %lld files, %lld MB in %.1f s\n", b->name, run->pgdata,
		   (long long) stats->files, (long long) (stats->bytes >> 20), t);
	printf("recovery target: %s\n", cli_target_text(&run->args->target));
	printf("start the server to replay WAL from storage and promote:\n"
		   "    pg_ctl -D %s start\n", run->pgdata);
}

static bool
absolute_pgdata(restore_run *run, sg_error *err)
{
	const char *p = run->args->pgdata;
	char		cwd[PATH_MAX];

	if (p[0] == '/')
		snprintf(run->pgdata, sizeof(run->pgdata), "%s", p);
	else if (getcwd(cwd, sizeof(cwd)) == NULL)
		return sg_error_set(err, SG_ERR_IO, "could not find the current directory: %s", strerror(errno));
	else
		snprintf(run->pgdata, sizeof(run->pgdata), "%s/%s", cwd, p);
	return true;
}

static bool
run_restore(restore_run *run, const sg_config *o, sg_store *st, sg_error *err)
{
	restore_args *a = run->args;
	backup_info *list = NULL;
	int			n = 0;
	int			chosen;
	backup_manifest *m = NULL;
	sg_buf		manifest;
	unpack_stats stats;
	s3_limits	limits = {0};
	restore_source src = {&o->storage, o->secrets_directory, &limits, st, o->download_concurrency};
	restore_options ro = {run->pgdata, map_tablespace, run, show_progress, run};
	bool		ok;

	/* an SGCluster's spec.initialData.restore.downloadDiskConcurrency wins */
	if (o->restore_download_disk_concurrency > 0)
		src.concurrency = o->restore_download_disk_concurrency;
	/* sgbackup.max_network_bandwidth, shared by the parallel reads */
	limits.max_bandwidth = o->max_network_bandwidth / (src.concurrency > 0 ? src.concurrency : 1);
	sg_buf_init(&manifest);
	ok = backup_catalog_list(st, NULL, NULL, &list, &n, err);
	if (ok)
		ok = (chosen = cli_choose_backup(st, list, n, a->name, &a->target, err)) >= 0;
	ok = ok && cli_check_server_version(&list[chosen], err) &&
		prepare_directory(run->pgdata, "data directory", a->force, err) &&
		write_marker(run, &list[chosen], err) &&
		backup_fetch_manifest(&src, &list[chosen], &m, &manifest, err);
	if (ok)
	{
		run->total_bytes = list[chosen].size_bytes;
		clock_gettime(CLOCK_MONOTONIC, &run->started);
		ok = backup_unpack_all(&src, &list[chosen], m, &ro, &stats, err) &&
			write_settings(run, &list[chosen], &manifest, err) && finish(run, err);
	}
	if (ok)
		print_summary(run, &list[chosen], &stats);
	else if (run->progress)
		fputc('\n', stderr);
	manifest_free(m);
	sg_buf_free(&manifest);
	backup_list_free(list, n);
	return ok;
}

static bool
add_mapping(restore_args *a, const char *arg, sg_error *err)
{
	const char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg || eq[1] != '/' || arg[0] != '/')
	{
		sg_error_set(err, SG_ERR_CONFIG, "invalid tablespace mapping \"%s\"", arg);
		sg_error_hint(err, "Use --tablespace-mapping OLDDIR=NEWDIR with absolute paths.");
		return false;
	}
	a->maps = sg_array_grow(a->maps, sizeof(*a->maps), a->nmap, &a->map_cap, 4);
	a->maps[a->nmap].old = strndup(arg, eq - arg);
	a->maps[a->nmap++].new = sg_strdup(eq + 1);
	return true;
}

static const char *restore_usage =
"Usage: sgbackup restore NAME|LATEST PGDATA [--target-time T | --target-lsn L |\n"
"         --target-xid X | --target-name N | --target immediate]\n"
"         [--target-timeline latest|current|TLI] [--target-exclusive]\n"
"         [--tablespace-mapping OLDDIR=NEWDIR]... [--force] [--json]\n";

static bool
parse_args(int argc, char **argv, restore_args *a, sg_error *err)
{
	static const struct option options[] = {
		{"config", required_argument, NULL, 'c'},
		{"repository", required_argument, NULL, 'r'},
		{"target-time", required_argument, NULL, 'T'},
		{"target-lsn", required_argument, NULL, 'L'},
		{"target-xid", required_argument, NULL, 'X'},
		{"target-name", required_argument, NULL, 'N'},
		{"target", required_argument, NULL, 'I'},
		{"target-timeline", required_argument, NULL, 't'},
		{"target-exclusive", no_argument, NULL, 'e'},
		{"tablespace-mapping", required_argument, NULL, 'm'},
		{"force", no_argument, NULL, 'f'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0}
	};
	int			opt;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "c:r:", options, NULL)) != -1)
	{
		bool		ok = true;

		if (opt == 'c')
			a->config_path = optarg;
		else if (opt == 'r')
			setenv("SGBACKUP_REPOSITORY_PATH", optarg, 1);
		else if (opt == 'm')
			ok = add_mapping(a, optarg, err);
		else if (opt == 'f')
			a->force = true;
		else if (opt == 'j')
			a->json = true;
		else if (opt == '?')
			ok = sg_error_set(err, SG_ERR_CONFIG, "unknown option for restore");
		else
			ok = cli_target_option(&a->target, opt, optarg, err);
		if (!ok)
			return false;
	}
	/* with one argument, the backup is the SGCluster's fromBackup.name */
	if (argc - optind != 2 && argc - optind != 1)
		return sg_error_set(err, SG_ERR_CONFIG, "restore takes a backup name (or LATEST) and a data directory");
	a->name = argc - optind == 2 ? argv[optind] : NULL;
	a->pgdata = argv[argc - 1];
	return cli_target_finish(&a->target, err);
}

int
cmd_restore(int argc, char **argv, const char *config_path)
{
	restore_args a = {0};
	restore_run run = {&a};
	sg_config	o;
	sg_error	err;
	sg_store   *st = NULL;
	bool		ok;

	sg_error_clear(&err);
	sg_config_init(&o);
	a.config_path = config_path;
	cli_target_init(&a.target);
	ok = parse_args(argc, argv, &a, &err);
	if (!ok && err.kind == SG_ERR_CONFIG && !err.hint[0])
		sg_error_hint(&err, "%s", restore_usage);
	ok = ok && cli_load_config(a.config_path, &o, &err) &&
		cli_target_from_config(&a.target, &o, &a.name, &err) &&
		absolute_pgdata(&run, &err) &&
		(st = sg_store_open(&o.storage, o.secrets_directory, NULL, &err)) != NULL;
	run.progress = !a.json && isatty(STDERR_FILENO);
	if (ok)
		ok = run_restore(&run, &o, st, &err);
	if (!ok)
		cli_report(&err);
	sg_store_free(st);
	sg_config_free(&o);
	for (size_t i = 0; i < run.ntablespaces; i++)
		free(run.tablespaces[i]);
	free(run.tablespaces);
	for (size_t i = 0; i < a.nmap; i++)
	{
		free(a.maps[i].old);
		free(a.maps[i].new);
	}
	free(a.maps);
	cli_target_free(&a.target);
	if (ok)
		return 0;
	return err.kind == SG_ERR_CONFIG || err.kind == SG_ERR_NOT_FOUND ? 2 : 3;
}
