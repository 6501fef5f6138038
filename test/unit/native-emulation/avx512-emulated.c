/*
 * The native kernel's AVX-512 loop, compiled WITHOUT AVX-512: kernel-body.h instantiated with the
 * very same primitives file as the real build (native/src/isa-avx512.h), but with the four
 * _mm512_* intrinsics it uses written out in portable C from Intel's pseudo-code. It checks the
 * AVX-512 loop's source (lane layout, the mask count, the quarter-dot test at 16 lanes) on any
 * CPU; the compiler's AVX-512 code generation itself runs only on an AVX-512 CPU (the addon's
 * avx512 tests). Built and driven by native-kernel-avx512-emulation.test.ts:
 *
 *   emulated counts < lines "<seed> <chunk> <points>"   -> one inside count per line
 *   emulated cells <first> <count>                      -> "<inside> <disagreements>"
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

typedef uint32_t u32x16 __attribute__((vector_size(64)));
typedef int32_t i32x16 __attribute__((vector_size(64)));
typedef long long __m512i __attribute__((vector_size(64)));
typedef uint16_t __mmask16;

/* dst.i32[j] = a.i16[2j] * b.i16[2j] + a.i16[2j+1] * b.i16[2j+1] (wrapping) */
static __m512i _mm512_madd_epi16(__m512i a, __m512i b) {
  int16_t x[32], y[32];
  uint32_t r[16];
  memcpy(x, &a, 64);
  memcpy(y, &b, 64);
  for (int j = 0; j < 16; j++) r[j] = (uint32_t)((int32_t)x[2 * j] * y[2 * j]) + (uint32_t)((int32_t)x[2 * j + 1] * y[2 * j + 1]);
  __m512i out;
  memcpy(&out, r, 64);
  return out;
}

/* bit j = a.i32[j] < b.i32[j] (signed) */
static __mmask16 _mm512_cmplt_epi32_mask(__m512i a, __m512i b) {
  int32_t x[16], y[16];
  memcpy(x, &a, 64);
  memcpy(y, &b, 64);
  __mmask16 k = 0;
  for (int j = 0; j < 16; j++) k |= (__mmask16)((x[j] < y[j]) << j);
  return k;
}

/* dst.i32[j] = k[j] ? a.i32[j] - b.i32[j] : src.i32[j] */
static __m512i _mm512_mask_sub_epi32(__m512i src, __mmask16 k, __m512i a, __m512i b) {
  uint32_t s[16], x[16], y[16];
  memcpy(s, &src, 64);
  memcpy(x, &a, 64);
  memcpy(y, &b, 64);
  for (int j = 0; j < 16; j++) if ((k >> j) & 1) s[j] = x[j] - y[j];
  __m512i out;
  memcpy(&out, s, 64);
  return out;
}

static __m512i _mm512_set1_epi32(int32_t v) {
  int32_t r[16];
  for (int j = 0; j < 16; j++) r[j] = v;
  __m512i out;
  memcpy(&out, r, 64);
  return out;
}

#define KB_FN(name) name##_emulated
#define KB_TARGET "arch=x86-64"
#include "isa-avx512.h"
#include "kernel-body.h"

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "counts") == 0) {
    unsigned long long seed, chunk, points;
    while (scanf("%llu %llu %llu", &seed, &chunk, &points) == 3) {
      pigrid_state state;
      pigrid_init(&state, (uint64_t)seed, (uint32_t)chunk);
      uint64_t inside = 0;
      for (uint64_t steps = points / PIGRID_LANES; steps > 0;) {
        const uint32_t piece = steps < PIGRID_MAX_RUN_STEPS ? (uint32_t)steps : PIGRID_MAX_RUN_STEPS;
        inside += run_emulated(&state, piece);
        steps -= piece;
      }
      inside += pigrid_tail(&state, (uint32_t)(points % PIGRID_LANES));
      printf("%llu\n", (unsigned long long)inside);
    }
    return 0;
  }
  if (argc == 4 && strcmp(argv[1], "cells") == 0) {
    uint64_t inside = 0, disagreements = 0;
    check_cells_emulated((uint32_t)strtoul(argv[2], NULL, 10), (uint32_t)strtoul(argv[3], NULL, 10), &inside, &disagreements);
    printf("%llu %llu\n", (unsigned long long)inside, (unsigned long long)disagreements);
    return 0;
  }
  fprintf(stderr, "usage: %s counts < \"seed chunk points\" lines | cells <first> <count>\n", argv[0]);
  return 2;
}
