# otpdesk — branch-office OTP administration terminal and reference verifier.
#
#   make            build otpctl, otpdesk and the test runners
#   make demo       install missing packages, start the private cluster, seed, open otpdesk
#   make check      build and run every test (unit, database, tmux TUI)
#   make check SAN=1   the same under ASan+UBSan (separate build dir)
#   make db / db-stop  start / stop the private PostgreSQL cluster under var/
#   make bench      benchmarks (not part of check)
#
# Sources are taken per directory (one directory = one layer, see docs/ARCHITECTURE.md).

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/otpdesk
LOCALEDIR ?= $(PREFIX)/share/locale
DESTDIR ?=
SAN     ?= 0
ifeq ($(SAN),1)
BUILD   ?= build-san
else
BUILD   ?= build
endif
CC      ?= cc

ifeq ($(V),1)
Q :=
else
Q := @
endif

PKGS_LIB := libpq libcrypto libxml-2.0 libqrencode
PKGS_TUI := ncursesw formw menuw panelw
PKGS_TEST := cunit

PKG_CONFIG ?= pkg-config
pkg_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pkg_libs   = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral -Wno-format-truncation
CFLAGS  ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -I. -DOTP_SRCDIR='"$(CURDIR)"' -DOTP_LOCALEDIR='"$(CURDIR)/$(BUILD)/locale"'
ALL_CFLAGS = -std=gnu17 $(WARN) $(CFLAGS) -MMD -MP \
	$(call pkg_cflags,$(PKGS_LIB) $(PKGS_TUI) $(PKGS_TEST))
ifeq ($(SAN),1)
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
LIBS_LIB := $(call pkg_libs,$(PKGS_LIB)) -lm
LIBS_TUI := $(call pkg_libs,$(PKGS_TUI))
LIBS_TEST := $(call pkg_libs,$(PKGS_TEST))

LIB_SRCS  := $(sort $(wildcard common/*.c db/*.c otp/*.c audit/*.c cal/*.c))
CLI_SRCS  := $(sort $(wildcard cli/*.c))
TUI_SRCS  := $(sort $(wildcard tui/*.c))
TLIB_SRCS := $(sort $(wildcard tests/lib/*.c))
UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
DBT_SRCS  := $(sort $(wildcard tests/db/*.c))
BENCH_SRCS := $(sort $(wildcard bench/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIB_OBJS  := $(call obj,$(LIB_SRCS))
CLI_OBJS  := $(call obj,$(CLI_SRCS))
TUI_OBJS  := $(call obj,$(TUI_SRCS))
TLIB_OBJS := $(call obj,$(TLIB_SRCS))
UNIT_OBJS := $(call obj,$(UNIT_SRCS))
DBT_OBJS  := $(call obj,$(DBT_SRCS))
BENCH_OBJS := $(call obj,$(BENCH_SRCS))

LIB      := $(BUILD)/libotpdesk.a
OTPCTL   := $(BUILD)/bin/otpctl
OTPDESK  := $(BUILD)/bin/otpdesk
UNIT_RUN := $(BUILD)/tests/unit-tests
DB_RUN   := $(BUILD)/tests/db-tests
BENCH_RUN := $(BUILD)/bench/otpbench
PO_FILES := $(wildcard po/*.po)
MO_FILES := $(patsubst po/%.po,$(BUILD)/locale/%/LC_MESSAGES/otpdesk.mo,$(PO_FILES))

.PHONY: all deps db db-stop demo check check-unit check-db check-tui bench bench-compare \
	install uninstall clean distclean pkgcheck

all: pkgcheck $(OTPCTL) $(OTPDESK) $(UNIT_RUN) $(DB_RUN) $(MO_FILES)

pkgcheck:
	@for p in $(PKGS_LIB) $(PKGS_TUI) $(PKGS_TEST); do \
	  $(PKG_CONFIG) --exists $$p || { echo "error: pkg-config cannot find '$$p' (run: make deps)" >&2; exit 1; }; \
	done

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(OTPCTL): $(CLI_OBJS) $(LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(LIB) $(LIBS_LIB)

$(OTPDESK): $(TUI_OBJS) $(LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(TUI_OBJS) $(LIB) $(LIBS_TUI) $(LIBS_LIB)

$(UNIT_RUN): $(UNIT_OBJS) $(TLIB_OBJS) $(LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(UNIT_OBJS) $(TLIB_OBJS) $(LIB) $(LIBS_TEST) $(LIBS_LIB) -lpthread

$(DB_RUN): $(DBT_OBJS) $(TLIB_OBJS) $(LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(DBT_OBJS) $(TLIB_OBJS) $(LIB) $(LIBS_TEST) $(LIBS_LIB) -lpthread

$(BENCH_RUN): $(BENCH_OBJS) $(LIB)
	@$(PKG_CONFIG) --exists liboath || { echo "error: pkg-config cannot find 'liboath' (run: make deps)" >&2; exit 1; }
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(BENCH_OBJS) $(LIB) $(call pkg_libs,liboath) $(LIBS_LIB) -lpthread

# po/LANG.po plus the fragments po/LANG.d/*.po (one per screen while several
# people translate at once); msgcat merges them, the main file wins.
.SECONDEXPANSION:
$(BUILD)/locale/%/LC_MESSAGES/otpdesk.mo: po/%.po $$(wildcard po/$$*.d/*.po)
	@mkdir -p $(@D)
	$(Q)msgcat --use-first -o $(@D)/otpdesk.po $^
	$(Q)msgfmt --check -o $@ $(@D)/otpdesk.po

deps:
	@scripts/deps.sh

db: deps
	@scripts/pgctl start

db-stop:
	@scripts/pgctl stop

demo: deps all
	@scripts/pgctl start
	@BUILD=$(BUILD) scripts/demo.sh

check: deps all
	@BUILD=$(BUILD) SAN=$(SAN) scripts/check.sh

check-unit: all
	$(UNIT_RUN)

check-db: all
	@scripts/pgctl start
	@. var/pgenv && $(DB_RUN)

check-tui: all
	@scripts/pgctl start
	@BUILD=$(BUILD) tests/tui/run.sh

bench: deps all $(BENCH_RUN)
	@BUILD=$(BUILD) scripts/bench.sh

bench-compare:
	@scripts/bench-compare.sh $(OLD) bench/results.json

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DATADIR)/schema
	install -m 755 $(OTPCTL) $(OTPDESK) $(DESTDIR)$(BINDIR)/
	install -m 644 schema/*.sql $(DESTDIR)$(DATADIR)/schema/
	for m in docs/*.1; do [ -f "$$m" ] && install -m 644 "$$m" $(DESTDIR)$(MANDIR)/man1/ || true; done
	for mo in $(MO_FILES); do l=$${mo#$(BUILD)/locale/}; install -D -m 644 $$mo $(DESTDIR)$(LOCALEDIR)/$$l; done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/otpctl $(DESTDIR)$(BINDIR)/otpdesk
	rm -f $(DESTDIR)$(MANDIR)/man1/otpctl.1 $(DESTDIR)$(MANDIR)/man1/otpdesk.1
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build build-san build-*

distclean: clean
	-scripts/pgctl destroy
	rm -rf var

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
