# tether: a plain Makefile with pkg-config. `make` builds build/tether and build/kubesim.
PKGS      := libgit2 libcjson libcurl yaml-0.1 openssl gpgme
SIM_PKGS  := libmicrohttpd libcjson yaml-0.1 openssl
HTTP_PKGS := libmicrohttpd
BUILD     ?= build

CC      ?= cc
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
# A warning flag is used only when the compiler knows it (gcc and clang both build).
cc_flag  = $(shell $(CC) -Werror $(1) -x c -c /dev/null -o /dev/null 2>/dev/null && echo $(1))
CC_NOFMT := $(call cc_flag,-Wno-format-truncation)
CFLAGS  += -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes
CFLAGS  += -Wno-unused-parameter $(CC_NOFMT) -Iinclude -pthread
ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
BUILD   := build/san
endif

have_pkgs = $(shell pkg-config --exists $(1) 2>/dev/null && echo yes)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) $(HTTP_PKGS) 2>/dev/null)
LIBS       = $(shell pkg-config --libs $(PKGS) $(HTTP_PKGS) 2>/dev/null) -lm
SIM_CFLAGS = $(shell pkg-config --cflags $(SIM_PKGS) 2>/dev/null)
SIM_LIBS   = $(shell pkg-config --libs $(SIM_PKGS) 2>/dev/null) -lm

AGENT_SRC  := $(sort $(shell find agent -name '*.c'))
AGENT_MAIN := agent/cli/main.c
AGENT_LIB  := $(filter-out $(AGENT_MAIN),$(AGENT_SRC))
SIM_SRC    := $(sort $(wildcard tests/kubesim/*.c))
SIM_MAIN   := tests/kubesim/main.c
SIM_LIB    := $(filter-out $(SIM_MAIN),$(SIM_SRC))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
SIMUNIT_SRC:= $(sort $(wildcard tests/kubesim/unit/test_*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
AGENT_LIB_OBJ := $(call obj,$(AGENT_LIB))
SIM_LIB_OBJ   := $(call obj,$(SIM_LIB))
UNIT_BIN      := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
SIMUNIT_BIN   := $(patsubst tests/kubesim/unit/%.c,$(BUILD)/tests/kubesim_%,$(SIMUNIT_SRC))

.PHONY: all deps test unit unit-bins e2e demo bench clean format doc install uninstall
all: $(BUILD)/tether $(BUILD)/kubesim

$(BUILD)/obj/agent/%.o: agent/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SIM_CFLAGS) -Itests/kubesim -MMD -MP -c $< -o $@

$(BUILD)/libtether.a: $(AGENT_LIB_OBJ)
	@rm -f $@; ar rcs $@ $^
$(BUILD)/libkubesim.a: $(SIM_LIB_OBJ)
	@rm -f $@; ar rcs $@ $^

$(BUILD)/tether: $(call obj,$(AGENT_MAIN)) $(BUILD)/libtether.a
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(LIBS)
$(BUILD)/kubesim: $(call obj,$(SIM_MAIN)) $(BUILD)/libkubesim.a
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(SIM_LIBS)

# Unit tests reach a module's internal header (agent/MODULE/*_int.h) by name.
UNIT_INC := -Itests $(addprefix -I,$(sort $(patsubst %/,%,$(dir $(AGENT_LIB)))))
$(BUILD)/tests/test_%: tests/unit/test_%.c $(BUILD)/libtether.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(UNIT_INC) -o $@ $^ $(LIBS) -lcmocka
$(BUILD)/tests/kubesim_test_%: tests/kubesim/unit/test_%.c $(BUILD)/libkubesim.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SIM_CFLAGS) -Itests/kubesim -Itests -o $@ $^ $(SIM_LIBS) -lcmocka

# tether(1) and the completion scripts, written by the binary from its own tables.
DOC := $(BUILD)/doc/tether.1 $(BUILD)/doc/tether.bash $(BUILD)/doc/_tether
doc: $(DOC)
$(BUILD)/doc/tether.1: $(BUILD)/tether
	@mkdir -p $(@D)
	$(BUILD)/tether __man >$@.tmp && mv $@.tmp $@
$(BUILD)/doc/tether.bash: $(BUILD)/tether
	@mkdir -p $(@D)
	$(BUILD)/tether completion bash >$@.tmp && mv $@.tmp $@
$(BUILD)/doc/_tether: $(BUILD)/tether
	@mkdir -p $(@D)
	$(BUILD)/tether completion zsh >$@.tmp && mv $@.tmp $@

# make install PREFIX=/usr/local DESTDIR=/staging: the binary, tether(1), completions.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
BASHDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHDIR  ?= $(PREFIX)/share/zsh/site-functions
install: $(BUILD)/tether $(DOC)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHDIR) $(DESTDIR)$(ZSHDIR)
	install -m 0755 $(BUILD)/tether $(DESTDIR)$(BINDIR)/tether
	install -m 0644 $(BUILD)/doc/tether.1 $(DESTDIR)$(MANDIR)/man1/tether.1
	install -m 0644 $(BUILD)/doc/tether.bash $(DESTDIR)$(BASHDIR)/tether
	install -m 0644 $(BUILD)/doc/_tether $(DESTDIR)$(ZSHDIR)/_tether
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/tether $(DESTDIR)$(MANDIR)/man1/tether.1 \
	      $(DESTDIR)$(BASHDIR)/tether $(DESTDIR)$(ZSHDIR)/_tether

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# Installs whatever is missing, from Debian's packages (sudo when not root).
deps:
	@tests/deps.sh

unit: all $(UNIT_BIN) $(SIMUNIT_BIN)

# Every test, then the unit tests and a few end-to-end scripts again under
# AddressSanitizer and UndefinedBehaviorSanitizer (tests/run.sh, SAN_BUILD).
test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN) $(SIMUNIT_BIN)
	@$(MAKE) --no-print-directory SANITIZE=1 all unit-bins
	@SAN_BUILD=build/san tests/run.sh

unit-bins: $(UNIT_BIN) $(SIMUNIT_BIN)

# The demo prints the story: the build goes to a log, shown only when it fails.
demo: deps
	@mkdir -p $(BUILD) && echo "building tether and kubesim (log: $(BUILD)/demo-build.log)"
	@$(MAKE) --no-print-directory all >$(BUILD)/demo-build.log 2>&1 || \
	  { cat $(BUILD)/demo-build.log; echo "build failed"; exit 1; }
	@examples/demo/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@for b in tests/bench/*.sh; do echo "== $$b"; bash "$$b" || exit 1; done

format:
	clang-format -i $(AGENT_SRC) $(filter-out tests/kubesim/proto_desc.c,$(SIM_SRC)) include/*.h \
	  tests/kubesim/*.h # proto_desc.c is generated (tests/kubesim/tools/proto_desc.py)

clean:
	rm -rf build
