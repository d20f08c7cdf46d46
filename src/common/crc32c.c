/*
 * crc32c.c - CRC-32C (Castagnoli) for checking files against PostgreSQL's
 * backup manifests (see crc32c.h).
 *
 * Hand-written: none of the libraries sgbackup may use (OpenSSL, libcurl,
 * libzstd, liblz4, libarchive, json-c, libxml2, libyaml) offers CRC-32C,
 * and PostgreSQL's pg_crc32c is in libpgport, which we do not link.  Two
 * implementations give the same result:
 *
 * - the SSE4.2 crc32 instruction, 8 bytes at a time, on x86-64 CPUs that
 *   have it (checked once at run time with __builtin_cpu_supports);
 * - everywhere else, slicing-by-8: eight 256-entry tables built once,
 *   8 bytes per step.
 */
#include <pthread.h>
#include <string.h>

#include "crc32c.h"

/* CRC-32C polynomial, bit-reversed */
#define CRC32C_POLY_REFLECTED	0x82F63B78u

static uint32_t crc_table[8][256];
static uint32_t (*crc_impl) (uint32_t crc, const void *data, size_t len);
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void
build_tables(void)
{
	for (int i = 0; i < 256; i++)
	{
		uint32_t	c = (uint32_t) i;

		for (int bit = 0; bit < 8; bit++)
			c = (c & 1) ? (c >> 1) ^ CRC32C_POLY_REFLECTED : c >> 1;
		crc_table[0][i] = c;
	}
	for (int i = 0; i < 256; i++)
	{
		for (int k = 1; k < 8; k++)
		{
			uint32_t	prev = crc_table[k - 1][i];

			crc_table[k][i] = (prev >> 8) ^ crc_table[0][prev & 0xFF];
		}
	}
}

/* four bytes, little-endian whatever the CPU (one load where it is LE) */
static inline uint32_t
load_le32(const unsigned char *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) |
		((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

static uint32_t
update_table(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len >= 8)
	{
		uint32_t	lo = load_le32(p) ^ crc;
		uint32_t	hi = load_le32(p + 4);

		crc = crc_table[7][lo & 0xFF] ^
			crc_table[6][(lo >> 8) & 0xFF] ^
			crc_table[5][(lo >> 16) & 0xFF] ^
			crc_table[4][lo >> 24] ^
			crc_table[3][hi & 0xFF] ^
			crc_table[2][(hi >> 8) & 0xFF] ^
			crc_table[1][(hi >> 16) & 0xFF] ^
			crc_table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len-- > 0)
		crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xFF];
	return crc;
}

#if defined(__x86_64__) && defined(__GNUC__)

__attribute__((target("sse4.2")))
static uint32_t
update_sse42(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;
	unsigned long long c = crc;
	uint32_t	c32;

	while (len >= 8)
	{
		unsigned long long v;

		memcpy(&v, p, 8);		/* any alignment */
		c = __builtin_ia32_crc32di(c, v);
		p += 8;
		len -= 8;
	}
	c32 = (uint32_t) c;
	while (len-- > 0)
		c32 = __builtin_ia32_crc32qi(c32, *p++);
	return c32;
}

static bool
cpu_has_sse42(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("sse4.2");
}

#else

/* no SSE4.2 here: the tables stand in, so callers need not care */
static uint32_t
update_sse42(uint32_t crc, const void *data, size_t len)
{
	return update_table(crc, data, len);
}

static bool
cpu_has_sse42(void)
{
	return false;
}

#endif

static void
crc_setup(void)
{
	build_tables();
	crc_impl = cpu_has_sse42() ? update_sse42 : update_table;
}

uint32_t
sg_crc32c_update(uint32_t crc, const void *data, size_t len)
{
	pthread_once(&crc_once, crc_setup);
	return crc_impl(crc, data, len);
}

uint32_t
sg_crc32c(const void *data, size_t len)
{
	return sg_crc32c_final(sg_crc32c_update(SG_CRC32C_INIT, data, len));
}

uint32_t
sg_crc32c_update_table(uint32_t crc, const void *data, size_t len)
{
	pthread_once(&crc_once, crc_setup);
	return update_table(crc, data, len);
}

bool
sg_crc32c_have_sse42(void)
{
	pthread_once(&crc_once, crc_setup);
	return crc_impl == update_sse42;
}

uint32_t
sg_crc32c_update_sse42(uint32_t crc, const void *data, size_t len)
{
	pthread_once(&crc_once, crc_setup);
	return update_sse42(crc, data, len);
}
