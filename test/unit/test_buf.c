/*
 * test_buf.c - unit tests of the allocation helpers (sg_buf.h): an
 * allocation that fails calls the out-of-memory handler (the server's
 * raises an ERROR instead of aborting the backend), sizes that would
 * overflow are refused the same way, and without a handler the process
 * aborts rather than going on with a NULL pointer.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sg_buf.h"
#include "unit.h"

static sigjmp_buf escape;
static size_t failed_size;

/* what the server's handler does with ereport(ERROR): never return */
static void
jump_out(size_t size)
{
	failed_size = size;
	siglongjmp(escape, 1);
}

/* true when fn calls the handler (with the size it could not get) */
static bool
handler_called(void (*fn) (void), size_t *size)
{
	failed_size = 0;
	if (sigsetjmp(escape, 0) != 0)
	{
		*size = failed_size;
		return true;
	}
	fn();
	return false;
}

static void
huge_malloc(void)
{
	void	   *p = sg_malloc(SIZE_MAX / 2);

	free(p);
}

static void
huge_realloc(void)
{
	void	   *p = sg_realloc(NULL, SIZE_MAX / 2);

	free(p);
}

static void
overflowing_reserve(void)
{
	sg_buf		b;

	sg_buf_init(&b);
	sg_buf_append(&b, "x", 1);
	sg_buf_reserve(&b, SIZE_MAX - 1);
	sg_buf_free(&b);
}

/* exit status of a child that allocates too much with no handler set */
static int
child_without_handler(void)
{
	pid_t		pid = fork();
	int			status = 0;

	if (pid == 0)
	{
		sg_set_out_of_memory_handler(NULL);
		fclose(stderr);			/* the message is expected */
		huge_malloc();
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return status;
}

/* an array grown one item at a time keeps every item */
static void
test_array_grow(void)
{
	int		   *items = NULL;
	size_t		cap = 0;
	size_t		n = 0;
	bool		same = true;

	for (int i = 0; i < 1000; i++)
	{
		items = sg_array_grow(items, sizeof(*items), n, &cap, 4);
		items[n++] = i;
	}
	for (int i = 0; i < 1000; i++)
		same = same && items[i] == i;
	UNIT_OK(same && cap >= 1000 && cap < 2048,
			"sg_array_grow keeps 1000 items in %zu slots", cap);
	free(items);
}

static void
huge_array(void)
{
	size_t		cap = SIZE_MAX / 4;

	(void) sg_array_grow(NULL, 8, SIZE_MAX / 4, &cap, 1);
}

int
main(void)
{
	size_t		size = 0;
	int			status;

	sg_set_out_of_memory_handler(jump_out);
	UNIT_OK(handler_called(huge_malloc, &size) && size == SIZE_MAX / 2,
			"a failed sg_malloc calls the handler with its size (%zu)", size);
	UNIT_OK(handler_called(huge_realloc, &size) && size == SIZE_MAX / 2,
			"a failed sg_realloc calls the handler");
	UNIT_OK(handler_called(overflowing_reserve, &size) && size == SIZE_MAX,
			"a buffer size that would overflow calls the handler instead of wrapping");
	UNIT_OK(handler_called(huge_array, &size) && size == SIZE_MAX,
			"an array size that would overflow calls the handler");
	test_array_grow();
	status = child_without_handler();
	UNIT_OK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
			"without a handler the process aborts (never goes on with NULL)");
	return UNIT_DONE();
}
