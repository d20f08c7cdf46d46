/*
 * unpack_writer.h - the thread that writes the files of an unpack and
 * checks them against backup_manifest, so that decompression and tar
 * reading (unpack.c, the caller's thread) and the file writes and
 * checksums (this thread) run on two CPUs, as `zstd -d | tar -x` does.
 *
 * The caller queues, in order, for each file: begin, its bytes, end.  The
 * bytes are copied into a bounded ring of chunks (UNPACK_QUEUE_CHUNKS of
 * UNPACK_CHUNK_SIZE bytes), so memory stays bounded and the caller waits
 * when the writer is behind.  The writer's first error stops the writing;
 * every later call returns it, so that the caller stops at once.  The
 * thread runs with every signal blocked and is joined by finish or free.
 */
#ifndef SG_UNPACK_WRITER_H
#define SG_UNPACK_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "manifest.h"
#include "sg_error.h"

#define UNPACK_CHUNK_SIZE (256 * 1024)
#define UNPACK_QUEUE_CHUNKS 16

typedef struct unpack_writer unpack_writer;

/* NULL with err when the thread cannot start */
extern unpack_writer *unpack_writer_start(sg_error *err);

/*
 * A new file checked against f, written to path (created with O_EXCL and
 * O_NOFOLLOW; its directory exists) unless path is NULL (check only)
 */
extern bool unpack_writer_begin(unpack_writer *w, const char *path, mode_t mode,
								const manifest_file *f, sg_error *err);
extern bool unpack_writer_write(unpack_writer *w, const void *data, size_t len,
								sg_error *err);
/* the file is complete: its size and checksum are checked, it is closed */
extern bool unpack_writer_end(unpack_writer *w, sg_error *err);

/* wait until everything queued is written; false with the first error */
extern bool unpack_writer_finish(unpack_writer *w, sg_error *err);
/* stop (abandoning what is queued), join and free; safe after finish */
extern void unpack_writer_free(unpack_writer *w);

#endif							/* SG_UNPACK_WRITER_H */
