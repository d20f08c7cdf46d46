/*
 * unit_bomb.h - decompression bombs for the C unit tests, and a way to
 * measure the memory a call takes: a bomb is 4 GiB of zeros compressed into
 * one frame (about 130 kB with zstd, 16 MB with lz4), made in memory by the
 * test, never stored in the tree.  unit_in_child runs a call in a child
 * process, where the peak memory it reaches is its own: a process's peak
 * never falls, so measured in the test itself it would hide behind
 * whatever the test allocated before.
 */
#ifndef UNIT_BOMB_H
#define UNIT_BOMB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compress.h"
#include "sg_buf.h"

#define UNIT_BOMB_SIZE ((int64_t) 4 << 30)	/* what a bomb decompresses to */

/* UNIT_BOMB_SIZE zero bytes as one frame of method at level, into out */
static bool
unit_make_bomb(sg_compression method, int level, sg_buf *out)
{
	char	   *zeros = calloc(1, 1 << 20);
	sg_error	err;
	sg_compressor *c = sg_compressor_new(method, level, &err);
	bool		ok = c != NULL;

	for (int64_t done = 0; ok && done < UNIT_BOMB_SIZE; done += 1 << 20)
		ok = sg_compressor_feed(c, zeros, 1 << 20, out, &err);
	ok = ok && sg_compressor_finish(c, out, &err);
	sg_compressor_free(c);
	free(zeros);
	return ok;
}

/* peak resident memory of this process so far, in kB */
static long
unit_peak_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/*
 * Run fn(arg, result) in a child process and copy its result (result_size
 * bytes, plain data) back.  In the child, unit_peak_rss_kb() starts at the
 * memory in use when it was forked.  False when the child gave no result.
 */
static bool
unit_in_child(void (*fn) (void *arg, void *result), void *arg,
			  void *result, size_t result_size)
{
	int			fds[2];
	size_t		got = 0;
	ssize_t		n;
	pid_t		pid;

	memset(result, 0, result_size);
	if (pipe(fds) != 0)
		return false;
	fflush(stdout);
	pid = fork();
	if (pid == 0)
	{
		close(fds[0]);
		fn(arg, result);
		_exit(write(fds[1], result, result_size) == (ssize_t) result_size ? 0 : 1);
	}
	close(fds[1]);
	while (pid > 0 && got < result_size &&
		   (n = read(fds[0], (char *) result + got, result_size - got)) > 0)
		got += (size_t) n;
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return got == result_size;
}

#endif							/* UNIT_BOMB_H */
