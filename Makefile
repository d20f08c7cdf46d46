# sgbackup: PostgreSQL extension (library + SQL) and the sgbackup program.
#
#   make && make install    builds and installs both (PGXS; pg_config on PATH)
#   make unit               builds and runs (prove) the C unit tests under test/unit
#   make installcheck       pg_regress (test/sql, test/expected) and TAP (test/t/)
#
# sql/ holds only the extension script; the regression tests are laid out the
# pgvector way, under test/.  The library exports only the symbols listed in
# src/exports.map (check with: nm -D --defined-only sgbackup.so).

EXTENSION = sgbackup
EXTVERSION = 0.1
MODULE_big = sgbackup
DATA = sql/sgbackup--$(EXTVERSION).sql

COMMON_SRCS = $(sort $(wildcard src/common/*.c))
SERVER_SRCS = $(sort $(wildcard src/*.c))
PROGRAM_SRCS = $(sort $(wildcard src/bin/*.c))
COMMON_OBJS = $(COMMON_SRCS:.c=.o)
OBJS = $(SERVER_SRCS:.c=.o) $(COMMON_OBJS)

DEP_LIBS = -lcurl -lssl -lcrypto -lyaml -lzstd -llz4 $(shell pkg-config --libs libxml-2.0 json-c libarchive) -lpthread
PG_CPPFLAGS = -Isrc/common $(shell pkg-config --cflags libxml-2.0 json-c libarchive)
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare
# header dependencies (.d files, from gcc only): a changed header rebuilds
# what includes it
PG_CFLAGS += -MMD -MP
SHLIB_LINK = $(DEP_LIBS) -lpq -Wl,--version-script=src/exports.map
PG_CPPFLAGS += -I$(shell $(PG_CONFIG) --includedir)

REGRESS = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test --temp-instance=./tmp_check --temp-config=test/sgbackup.conf
TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl
EXTRA_CLEAN = src/bin/sgbackup $(PROGRAM_SRCS:.c=.o) $(UNIT_BINS) tmp_check \
	$(wildcard src/*.d src/common/*.d src/bin/*.d test/unit/*.d)

UNIT_SRCS = $(sort $(wildcard test/unit/test_*.c))
UNIT_BINS = $(UNIT_SRCS:.c=)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# the program: plain C, no libpq or backend code; shares src/common with the library
all: src/bin/sgbackup

src/bin/sgbackup: $(PROGRAM_SRCS:.c=.o) $(COMMON_OBJS)
	$(CC) $(CFLAGS) $^ $(LDFLAGS) $(DEP_LIBS) -o $@

install: install-program
install-program: src/bin/sgbackup
	$(MKDIR_P) '$(DESTDIR)$(bindir)'
	$(INSTALL_PROGRAM) src/bin/sgbackup '$(DESTDIR)$(bindir)/sgbackup'

# the library relinks when its export list changes
$(shlib): src/exports.map

# build and run the unit tests; those that talk to the gateway read the
# SG_TEST_S3_* settings: . /tmp/sgbackup-rgw/env.sh first (scripts/test.sh does)
SG_SIGV4_DIR ?= $(CURDIR)/test/data/sigv4
export SG_SIGV4_DIR
unit: $(UNIT_BINS)
	prove --exec '' $(UNIT_BINS)

test/unit/test_%: test/unit/test_%.c test/unit/unit.h $(COMMON_OBJS)
	$(CC) $(CFLAGS) $(CPPFLAGS) $< $(COMMON_OBJS) $(LDFLAGS) $(DEP_LIBS) -o $@

-include $(wildcard src/*.d src/common/*.d src/bin/*.d test/unit/*.d)

.PHONY: install-program unit
