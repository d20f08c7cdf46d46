/*
 * unit.h - a tiny TAP producer for the C unit tests under test/unit.
 * Each test program prints "ok N - name" / "not ok N - name" lines and
 * a plan at the end; test/t/001_unit.pl runs them under prove.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* the largest object body the tests read into memory */
#define UNIT_MAX_BODY ((size_t) 256 * 1024 * 1024)

static int	unit_count = 0;
static int	unit_failed = 0;

#define UNIT_OK(cond, ...) \
	do { \
		unit_count++; \
		if (cond) printf("ok %d - ", unit_count); \
		else { printf("not ok %d - ", unit_count); unit_failed++; } \
		printf(__VA_ARGS__); \
		printf("\n"); \
		fflush(stdout); \
	} while (0)

/* compare two strings; print both on mismatch */
#define UNIT_STREQ(got, want, ...) \
	do { \
		const char *g_ = (got), *w_ = (want); \
		int same_ = (g_ && w_ && strcmp(g_, w_) == 0); \
		UNIT_OK(same_, __VA_ARGS__); \
		if (!same_) \
			printf("# got:  %s\n# want: %s\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
	} while (0)

/* a check that could not run here, counted by prove as skipped, with why */
#define UNIT_SKIP(what, ...) \
	do { \
		unit_count++; \
		printf("ok %d - %s # SKIP ", unit_count, (what)); \
		printf(__VA_ARGS__); \
		printf("\n"); \
		fflush(stdout); \
	} while (0)

/* xorshift64: reproducible pseudo-random numbers from *state (not 0) */
static inline uint64_t
unit_rng(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* write data to a new file at path */
static inline bool
unit_write_file(const char *path, const void *data, size_t len)
{
	FILE	   *f = fopen(path, "wb");
	bool		ok;

	if (f == NULL)
		return false;
	ok = fwrite(data, 1, len, f) == len;
	return fclose(f) == 0 && ok;
}

#define UNIT_DONE() \
	(printf("1..%d\n", unit_count), unit_failed ? 1 : 0)

#endif							/* UNIT_H */
