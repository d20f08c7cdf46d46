/*
 * crc32c.h - CRC-32C (Castagnoli), the checksum PostgreSQL's backup
 * manifests use with --manifest-checksums=CRC32C.
 *
 * The conventions are PostgreSQL's INIT_CRC32C / COMP_CRC32C / FIN_CRC32C:
 *
 *     uint32_t crc = SG_CRC32C_INIT;
 *     crc = sg_crc32c_update(crc, data, len);     (as many times as needed)
 *     crc = sg_crc32c_final(crc);
 *
 * sg_crc32c_update is the bare reflected update (polynomial 0x1EDC6F41)
 * with no inversion of its own, so it can be fed piece by piece.
 */
#ifndef SG_CRC32C_H
#define SG_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SG_CRC32C_INIT	0xFFFFFFFFu

static inline uint32_t
sg_crc32c_final(uint32_t crc)
{
	return crc ^ 0xFFFFFFFFu;
}

/* the fastest implementation this CPU has (SSE4.2 or tables) */
extern uint32_t sg_crc32c_update(uint32_t crc, const void *data, size_t len);

/* init, update and final over one buffer */
extern uint32_t sg_crc32c(const void *data, size_t len);

/*
 * The two implementations, for tests: the table one works everywhere; the
 * SSE4.2 one only where sg_crc32c_have_sse42() says so.
 */
extern uint32_t sg_crc32c_update_table(uint32_t crc, const void *data,
									   size_t len);
extern bool sg_crc32c_have_sse42(void);
extern uint32_t sg_crc32c_update_sse42(uint32_t crc, const void *data,
									   size_t len);

#endif							/* SG_CRC32C_H */
