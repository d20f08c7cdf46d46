/*
 * test_crc32c.c - unit tests of CRC-32C (crc32c.h): the published check
 * values (the "123456789" check and RFC 3720's iSCSI vectors) from both
 * implementations, feeding piece by piece, and the SSE4.2 code against the
 * tables on random buffers of many lengths and alignments.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "unit.h"

typedef uint32_t (*crc_fn) (uint32_t crc, const void *data, size_t len);

static uint32_t
whole(crc_fn fn, const void *data, size_t len)
{
	return sg_crc32c_final(fn(SG_CRC32C_INIT, data, len));
}

/* RFC 3720 B.4 and the "123456789" check value, with one implementation */
static void
test_vectors(const char *name, crc_fn fn)
{
	unsigned char buf[32];

	UNIT_OK(whole(fn, "123456789", 9) == 0xE3069283u,
			"%s: \"123456789\" gives 0xE3069283", name);
	UNIT_OK(whole(fn, "", 0) == 0, "%s: no bytes give 0", name);
	memset(buf, 0, sizeof(buf));
	UNIT_OK(whole(fn, buf, 32) == 0x8A9136AAu, "%s: 32 zero bytes give 0x8A9136AA", name);
	memset(buf, 0xFF, sizeof(buf));
	UNIT_OK(whole(fn, buf, 32) == 0x62A8AB43u, "%s: 32 0xFF bytes give 0x62A8AB43", name);
	for (int i = 0; i < 32; i++)
		buf[i] = (unsigned char) i;
	UNIT_OK(whole(fn, buf, 32) == 0x46DD794Eu, "%s: bytes 0..31 give 0x46DD794E", name);
	for (int i = 0; i < 32; i++)
		buf[i] = (unsigned char) (31 - i);
	UNIT_OK(whole(fn, buf, 32) == 0x113FDB5Cu, "%s: bytes 31..0 give 0x113FDB5C", name);
}

/* any split of the input gives the whole input's CRC */
static void
test_pieces(void)
{
	const char *s = "123456789abcdefghijklmnopqrstuvwxyz";
	size_t		len = strlen(s);
	bool		ok = true;

	for (size_t cut = 0; cut <= len; cut++)
	{
		uint32_t	crc = SG_CRC32C_INIT;

		crc = sg_crc32c_update(crc, s, cut);
		crc = sg_crc32c_update(crc, s + cut, len - cut);
		if (sg_crc32c_final(crc) != sg_crc32c(s, len))
			ok = false;
	}
	UNIT_OK(ok, "fed in two pieces, cut anywhere, the CRC is the whole text's");
	UNIT_OK(sg_crc32c("15\n", 3) == 0x2247748Au,
			"PG_VERSION \"15\\n\" gives 0x2247748A (the manifest's \"8a744722\" in memory order)");
}

/* SSE4.2 and tables agree on random data at every offset and many lengths */
static void
test_sse_vs_table(void)
{
	size_t		max = (1 << 20) + 64;
	unsigned char *buf = malloc(max);
	uint64_t	rng = 0x9E3779B97F4A7C15ULL;
	int			mismatches = 0;
	int			cases = 0;
	size_t		big[] = {4096, 65536 + 7, 1 << 20};

	if (!sg_crc32c_have_sse42())
	{
		UNIT_SKIP("SSE4.2 and table CRCs agree", "this CPU has no SSE4.2");
		free(buf);
		return;
	}
	for (size_t i = 0; i < max; i++)
		buf[i] = (unsigned char) unit_rng(&rng);
	for (size_t off = 0; off < 16; off++)
	{
		for (size_t len = 0; len <= 600; len++)
		{
			uint32_t	seed = (uint32_t) unit_rng(&rng);

			cases++;
			if (sg_crc32c_update_sse42(seed, buf + off, len) !=
				sg_crc32c_update_table(seed, buf + off, len))
				mismatches++;
		}
		for (int b = 0; b < 3; b++)
		{
			cases++;
			if (whole(sg_crc32c_update_sse42, buf + off, big[b]) !=
				whole(sg_crc32c_update_table, buf + off, big[b]))
				mismatches++;
		}
	}
	UNIT_OK(mismatches == 0, "SSE4.2 and table CRCs agree on %d random buffers (%d differ)",
			cases, mismatches);
	UNIT_OK(whole(sg_crc32c_update, buf, max) == whole(sg_crc32c_update_table, buf, max),
			"sg_crc32c_update (SSE4.2 here) agrees with the tables on 1 MiB");
	free(buf);
}

int
main(void)
{
	test_vectors("tables", sg_crc32c_update_table);
	if (sg_crc32c_have_sse42())
		test_vectors("SSE4.2", sg_crc32c_update_sse42);
	else
		UNIT_SKIP("SSE4.2 check values", "this CPU has no SSE4.2");
	test_vectors("chosen", sg_crc32c_update);
	test_pieces();
	test_sse_vs_table();
	return UNIT_DONE();
}
