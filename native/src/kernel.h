/*
 * pigrid's native π kernel: the stream of worker/kernel/stream-spec.ts (16 sfc32 lanes of
 * 32 bits, 16-bit cell midpoints), counted with SIMD on x86-64.
 *
 * Every function here is plain C compiled for the baseline x86-64 target. The SIMD loops in
 * kernels.c are compiled per function with target("avx2") or target("avx512f,avx512bw") and
 * are only called after addon.c has checked the CPU (pigrid_cpu_has): nothing in this
 * library executes an instruction the CPU lacks.
 */
#ifndef PIGRID_KERNEL_H
#define PIGRID_KERNEL_H

#include <stdint.h>

/** Number of interleaved generator lanes per chunk (stream-spec.ts STREAM_LANES). */
#define PIGRID_LANES 16
/** Value of every lane's counter for the first output (SFC_COUNTER_START). */
#define PIGRID_COUNTER_START 1u
/** Must equal STREAM_VERSION in stream-spec.ts; the loader refuses an addon that differs. */
#define PIGRID_STREAM_VERSION "sfc32x16-mid16/1"
/** Most steps (outputs per lane) that one pigrid_run_* call may advance: the per-lane
 * counts then fit a u32 (a chunk draws at most 2^28 outputs per lane). */
#define PIGRID_MAX_RUN_STEPS (1u << 28)

/**
 * The chunk's generator state between calls. `counter` is the value of the last output drawn
 * (starts at PIGRID_COUNTER_START - 1). 64 words, so callers can hold it in a Uint32Array(64).
 */
typedef struct pigrid_state {
  uint32_t a[PIGRID_LANES];
  uint32_t b[PIGRID_LANES];
  uint32_t c[PIGRID_LANES];
  uint32_t counter;
  uint32_t reserved[PIGRID_LANES - 1];
} pigrid_state;

/**
 * The SIMD loops compiled into the library. avx2-w16 is the avx512 loop's 16-lane shape
 * compiled for AVX2 (see kernels.c); it exists so the tests run that shape on any AVX2 CPU.
 */
typedef enum pigrid_isa {
  PIGRID_ISA_AVX2 = 0,
  PIGRID_ISA_AVX2_W16 = 1,
  PIGRID_ISA_AVX512 = 2,
  PIGRID_ISA_COUNT = 3
} pigrid_isa;

/** CPU features the dispatch looks at (from __builtin_cpu_supports, which also checks that
 * the operating system saves the wide registers). */
typedef struct pigrid_cpu {
  int avx2;
  int avx512f;
  int avx512bw;
} pigrid_cpu;

/** Reads the CPU's features (all zero on a non-x86-64 build). */
pigrid_cpu pigrid_cpu_features(void);
/** True when `isa` was compiled into this library and the CPU can run it. */
int pigrid_cpu_has(pigrid_isa isa);
/** True when `isa`'s loop is compiled into this library (all are on x86-64). */
int pigrid_isa_compiled(pigrid_isa isa);
/** Short name of a loop: "avx2", "avx2-w16" or "avx512"; NULL for an unknown value. */
const char *pigrid_isa_name(pigrid_isa isa);

/** Derives the 16 lane states of chunk (seed, chunkIndex) (stream-spec.ts "Lane state"). */
void pigrid_init(pigrid_state *state, uint64_t seed, uint32_t chunk_index);

/**
 * Advances all 16 lanes by `steps` outputs (steps <= PIGRID_MAX_RUN_STEPS) and returns how
 * many of the 16 * steps samples are inside. The CPU must have `isa` (pigrid_cpu_has).
 */
uint64_t pigrid_run(pigrid_isa isa, pigrid_state *state, uint32_t steps);

/** Draws one more output on every lane and counts lanes 0..lanes-1 only (the partial last
 * step of a chunk; lanes 0..15). Scalar, with the plain u64 inside test. */
uint32_t pigrid_tail(pigrid_state *state, uint32_t lanes);

/** pigrid_count_chunks' count of a chunk withdrawn before it started, and of one stopped mid-way. */
#define PIGRID_CHUNK_WITHDRAWN (-1.0)
#define PIGRID_CHUNK_STOPPED (-2.0)

/**
 * Counts chunks first_chunk .. first_chunk + count - 1 of `seed` (first_chunk + count - 1 <= 2^32 - 1), `points`
 * points each (>= 1), with pigrid_run in pieces of at most `piece_steps` steps (1..PIGRID_MAX_RUN_STEPS): inside[k]
 * is chunk k's count and elapsed_ms[k] its kernel time in milliseconds (CLOCK_MONOTONIC). With `cells` (a pool's
 * task control, 2 int32 per slot; chunk k has slot first_slot + k), chunk k is first claimed for `thread_id` and
 * skipped if it was not QUEUED (inside[k] = PIGRID_CHUNK_WITHDRAWN), stops at a piece boundary where its slot reads
 * STOP (PIGRID_CHUNK_STOPPED), and its slot is set DONE after; `cells` may be NULL. The CPU must have `isa`.
 */
void pigrid_count_chunks(pigrid_isa isa, pigrid_state *state, uint64_t seed, uint32_t first_chunk, uint32_t count,
                         uint32_t points, uint32_t piece_steps, int32_t *cells, uint32_t first_slot, int32_t thread_id,
                         double *inside, double *elapsed_ms);

/**
 * Evaluates the inside test of `isa`'s loop (the very function the loop inlines) on the
 * outputs first .. first + count - 1 (count a multiple of 16, mod 2^32), and a second,
 * independent formulation on the same outputs: adds the cells the loop's test calls inside
 * to *inside and the cells on which the two disagree to *disagreements.
 */
void pigrid_check_cells(pigrid_isa isa, uint32_t first, uint32_t count, uint64_t *inside, uint64_t *disagreements);

#endif
