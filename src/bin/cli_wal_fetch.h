/*
 * cli_wal_fetch.h - `sgbackup wal-fetch FILE DEST`, PostgreSQL's
 * restore_command: retries failures for a bounded time and prefetches the
 * next segments into a cache directory next to DEST (cli_wal_fetch.c).
 */
#ifndef SG_CLI_WAL_FETCH_H
#define SG_CLI_WAL_FETCH_H

/* exit status of wal-fetch when the file is not in storage */
#define WAL_FETCH_NOT_FOUND 1
/* any other failure: above 125, so that PostgreSQL stops recovery instead of ending it */
#define WAL_FETCH_FAILED 255

/* seconds wal-fetch retries a failure, unless the variable says otherwise */
#define WAL_FETCH_RETRY_DEFAULT 60
#define WAL_FETCH_RETRY_VARIABLE "SGBACKUP_WAL_FETCH_RETRY_SECONDS"

/* the prefetch cache: this directory in the directory of DEST */
#define WAL_FETCH_CACHE ".sgbackup-prefetch"

/*
 * Fetch WAL file name into dest and return the exit status: 0 fetched, 1
 * not in storage (nothing printed), 255 after retrying any other failure,
 * 128 + the signal number when SIGTERM or SIGINT stopped it.
 */
extern int	cli_wal_fetch(const char *config_path, const char *name,
						  const char *dest);

#endif							/* SG_CLI_WAL_FETCH_H */
