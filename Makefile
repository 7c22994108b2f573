# v4eval — build, test, evaluate.
#
#   make            install missing Debian packages (scripts/install-deps), build bin/v4eval
#   make test       build and run every CUnit test under tests/ (the test command of README.md)
#   make eval SUITE=longctx [MODEL=DIR] [LIMIT=N] [LENGTHS=1024,4096] [BACKEND=…] [RUN=ID]
#   make report RUN=ID
#   make asan       tests under AddressSanitizer + UBSan
#   make fuzz       bounded libFuzzer runs of the tokenizer.json loader and the DSML parser
#   make fixtures   regenerate the reference fixtures (needs python3-torch)
#   make help       this list
#
# Sources are found by wildcard: every .c under engine/ suites/ scorers/ harness/ (except
# harness/main.c) goes into build/libv4eval.a; every tests/test_*.c is its own test program.

SHELL   := /bin/bash
BUILD   ?= build
OPT     ?= -O2
SAN     ?=
CFLAGS  := -std=c11 $(OPT) -g -Wall -Wextra -D_GNU_SOURCE -fopenmp -I. $(SAN) $(EXTRA_CFLAGS)
LDFLAGS := -fopenmp $(SAN)
LDLIBS  := -lopenblas -lcjson -lpcre2-8 -larchive -lcurl -lcunit -lm -lpthread

LIB_SRC  := $(sort $(wildcard engine/*.c engine/kernels/*.c suites/*.c scorers/*.c) \
              $(filter-out harness/main.c,$(wildcard harness/*.c)))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
DEPS_OK  := $(BUILD)/.deps-ok

PY       := /usr/bin/python3
MODEL    ?=
SUITE    ?= longctx
PREFIX_MODEL = $(if $(MODEL),$(MODEL),$(shell scripts/default-model))

.PHONY: all deps test asan fuzz eval report fixtures clean help train bench
all: bin/v4eval

help:
	@sed -n '3,11p' Makefile | sed 's/^# \{0,1\}//'

deps: $(DEPS_OK)
$(DEPS_OK): scripts/install-deps
	@scripts/install-deps
	@mkdir -p $(@D) && touch $@

$(BUILD)/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# The run manifest records the flags this build was made with.
$(BUILD)/harness/manifest.o: CFLAGS += -DV4EVAL_CFLAGS='"$(CC) $(OPT) $(SAN) $(EXTRA_CFLAGS)"'

$(BUILD)/libv4eval.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

bin/v4eval: $(BUILD)/harness/main.o $(BUILD)/libv4eval.a
	@mkdir -p bin
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(BUILD)/libv4eval.a tests/test_util.h | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -o $@ $< $(BUILD)/libv4eval.a $(LDFLAGS) $(LDLIBS)

# The README's test command. Every test program runs even if one fails; the last line is the
# plain "tests: N passed, N failed" summary.
test: bin/v4eval $(TEST_BIN)
	@scripts/run-tests $(TEST_BIN)

asan:
	$(MAKE) BUILD=build-asan OPT=-O1 SAN="-fsanitize=address,undefined -fno-omit-frame-pointer" \
	    build-asan/libv4eval.a $(TEST_SRC:tests/%.c=build-asan/tests/%)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    scripts/run-tests $(TEST_SRC:tests/%.c=build-asan/tests/%)

fuzz: $(DEPS_OK)
	@scripts/run-fuzz

eval: bin/v4eval
	bin/v4eval run --suite $(SUITE) --model "$(PREFIX_MODEL)" \
	    $(if $(LIMIT),--limit $(LIMIT)) $(if $(LENGTHS),--lengths $(LENGTHS)) \
	    $(if $(BACKEND),--backend $(BACKEND)) $(if $(RUN),--run-id $(RUN)) $(if $(SEED),--seed $(SEED))

report: bin/v4eval
	@test -n "$(RUN)" || { echo "make report: RUN=<run-id> is required" >&2; exit 2; }
	bin/v4eval report --run-id $(RUN)

fixtures:
	$(PY) scripts/reference/make_fixtures.py --out tests/fixtures

clean:
	rm -rf $(BUILD) build-asan bin/v4eval

-include $(LIB_OBJ:.o=.d) $(BUILD)/harness/main.d $(TEST_BIN:=.d)

# The default model: data from the suite generators (train seeds), training, export to
# models/tiny-v4 (+ models/tiny-v4-fp8), engine verification, loss plot. 2.5-3.5 hours on
# 2 cores (two data-parallel training processes: the curriculum, then four tunes); TRAIN_SMOKE=1 runs a few-minute end-to-end check under build/train-smoke instead.
# run.sh sets OPENBLAS_CORETYPE (SkylakeX on AVX-512 CPUs) for torch.
train: bin/v4eval
	scripts/train/run.sh

# make bench [MODEL=DIR] [LENGTHS=1024,4096,16384] — prefill/decode speed on the default model
# plus the per-format kernel microbenchmark (fast path vs scalar reference, side by side).
bench: bin/v4eval
	bin/v4eval bench --model "$(PREFIX_MODEL)" $(if $(LENGTHS),--lengths $(LENGTHS))
	bin/v4eval bench --kernels
