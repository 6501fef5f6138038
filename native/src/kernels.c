/*
 * Instantiates kernel-body.h for each instruction set. This file is compiled for the baseline
 * x86-64 target (binding.gyp passes no -mavx2 / -march): only the functions carry a target
 * attribute, and pigrid_run / pigrid_check_cells call one of them only after pigrid_cpu_has.
 *
 *   avx2      8 lanes per vector, the 16 stream lanes in two ymm registers per state word
 *   avx2-w16  the AVX-512 shape (all 16 lanes in one 64-byte vector) compiled for AVX2, where
 *             the compiler splits each operation in two: it runs the avx512 instantiation's
 *             loop structure on CPUs without AVX-512, so the tests exercise it here
 *   avx512    16 lanes per vector: each state word is exactly one zmm register
 */
#include "kernel.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

typedef uint32_t u32x8 __attribute__((vector_size(32)));
typedef int32_t i32x8 __attribute__((vector_size(32)));
typedef uint32_t u32x16 __attribute__((vector_size(64)));
typedef int32_t i32x16 __attribute__((vector_size(64)));

/* ---- avx2: 8 lanes per vector ---------------------------------------------------------- */
#define KB_FN(name) name##_avx2
#define KB_TARGET "avx2"
#define KB_W 8
#define U32V u32x8
#define I32V i32x8
#define KB_MADD(a, b) ((i32x8)_mm256_madd_epi16((__m256i)(a), (__m256i)(b)))
#define KB_LESS(a, b) ((i32x8)_mm256_cmpgt_epi32((__m256i)(b), (__m256i)(a)))
#define KB_COUNT_LESS(acc, a, b) ((acc) - (u32x8)KB_LESS(a, b))
#include "kernel-body.h"

/* ---- avx2-w16: the 16-lane shape on AVX2 (pmaddwd on each half) ------------------------- */
typedef union { u32x16 whole; __m256i half[2]; } pigrid_w16;

static inline __attribute__((always_inline, target("avx2"))) i32x16 madd_w16_avx2(u32x16 a, u32x16 b) {
  pigrid_w16 x = {.whole = a}, y = {.whole = b}, r;
  r.half[0] = _mm256_madd_epi16(x.half[0], y.half[0]);
  r.half[1] = _mm256_madd_epi16(x.half[1], y.half[1]);
  return (i32x16)r.whole;
}

#define KB_FN(name) name##_avx2_w16
#define KB_TARGET "avx2"
#define KB_W 16
#define U32V u32x16
#define I32V i32x16
#define KB_MADD(a, b) madd_w16_avx2((u32x16)(a), (u32x16)(b))
#define KB_LESS(a, b) ((a) < (b))
#define KB_COUNT_LESS(acc, a, b) ((acc) - (u32x16)KB_LESS(a, b))
#include "kernel-body.h"

/* ---- avx512: 16 lanes per vector (AVX-512F, and BW for the 512-bit pmaddwd) -------------- */
#define KB_FN(name) name##_avx512
#define KB_TARGET "avx512f,avx512bw"
#include "isa-avx512.h"
#include "kernel-body.h"

uint64_t pigrid_run(pigrid_isa isa, pigrid_state *state, uint32_t steps) {
  switch (isa) {
    case PIGRID_ISA_AVX2: return run_avx2(state, steps);
    case PIGRID_ISA_AVX2_W16: return run_avx2_w16(state, steps);
    case PIGRID_ISA_AVX512: return run_avx512(state, steps);
    default: return 0;
  }
}

void pigrid_check_cells(pigrid_isa isa, uint32_t first, uint32_t count, uint64_t *inside, uint64_t *disagreements) {
  switch (isa) {
    case PIGRID_ISA_AVX2: check_cells_avx2(first, count, inside, disagreements); break;
    case PIGRID_ISA_AVX2_W16: check_cells_avx2_w16(first, count, inside, disagreements); break;
    case PIGRID_ISA_AVX512: check_cells_avx512(first, count, inside, disagreements); break;
    default: break;
  }
}

#else /* not x86-64: no SIMD loop is compiled; pigrid_isa_compiled is false for every ISA */

uint64_t pigrid_run(pigrid_isa isa, pigrid_state *state, uint32_t steps) {
  (void)isa; (void)state; (void)steps;
  return 0;
}

void pigrid_check_cells(pigrid_isa isa, uint32_t first, uint32_t count, uint64_t *inside, uint64_t *disagreements) {
  (void)isa; (void)first; (void)count; (void)inside; (void)disagreements;
}

#endif
