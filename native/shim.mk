# berth-shim: `make -f shim.mk` builds build/berth-shim from shim/*.c and the executor's
# library sources (common/, plan/, and init/idmap.c for the id maps); `make -f shim.mk test`
# builds and runs the shim's C unit tests (shim/tests/unit_*.c, 0 pass / 77 skip / else fail).
CC ?= cc
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Iinclude -Ishim
BUILD := build

SHIM_LIB_SRCS := $(wildcard common/*.c) $(wildcard plan/*.c) init/idmap.c
SHIM_SRCS := $(wildcard shim/*.c)
SHIM_OBJS := $(SHIM_SRCS:%.c=$(BUILD)/obj/%.o) $(SHIM_LIB_SRCS:%.c=$(BUILD)/shim-obj/%.o)

SHIM_UNIT_SRCS := $(wildcard shim/tests/unit_*.c)
SHIM_UNIT_BINS := $(SHIM_UNIT_SRCS:shim/tests/%.c=$(BUILD)/test/shim_%)

SAN := $(shell printf 'int main(void){return 0;}' | $(CC) -x c -fsanitize=address,undefined -o /dev/null - >/dev/null 2>&1 && echo -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
TEST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Iinclude -Ishim -Itests $(SAN)

.PHONY: all test
all: $(BUILD)/berth-shim

# Linked statically: glibc's shared objects alone would take most of the 2 MB RSS budget
# per shim. Outputs go to a temp name and are renamed (concurrent builds, ETXTBSY).
$(BUILD)/berth-shim: $(SHIM_OBJS)
	$(CC) $(CFLAGS) -static -o $@.$$$$.tmp $^ $(LDFLAGS) && mv -f $@.$$$$.tmp $@

$(BUILD)/obj/shim/%.o: shim/%.c shim/shim.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -MT $@ -MF $(@:.o=.d) -c -o $@.$$$$.tmp $< && mv -f $@.$$$$.tmp $@

# The library objects are compiled here again, apart from native/Makefile's, so the two
# makefiles never write the same files.
$(BUILD)/shim-obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -MT $@ -MF $(@:.o=.d) -c -o $@.$$$$.tmp $< && mv -f $@.$$$$.tmp $@

$(BUILD)/test/shim_%: shim/tests/%.c shim/log.c shim/diag.c shim/shim.h common/io.c common/error.c
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@.$$$$.tmp $< shim/log.c shim/diag.c common/io.c common/error.c && mv -f $@.$$$$.tmp $@

test: all $(SHIM_UNIT_BINS)
	@fail=0; for t in $(SHIM_UNIT_BINS); do \
	  $$t; rc=$$?; \
	  if [ $$rc -eq 0 ]; then echo "ok   $$t"; \
	  elif [ $$rc -eq 77 ]; then echo "skip $$t"; \
	  else echo "FAIL $$t (exit $$rc)"; fail=1; fi; \
	done; \
	exit $$fail

-include $(SHIM_OBJS:.o=.d)
