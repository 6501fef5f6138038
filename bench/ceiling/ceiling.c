/*
 * The ceiling for the native kernel benchmark: a plain, self-contained C loop doing the same
 * work per sample as the kernel (16 sfc32 lanes, the quarter-dot inside test, one count per
 * sample) at the same vector width, with no Node-API, no pieces and no dispatch, compiled by
 * the benchmark with -O3 -march=native. It also prints its count of a fixed chunk, which the
 * benchmark compares with the native kernel's (so the ceiling provably does the same work).
 *
 *   cc -O3 -march=native -DWIDTH=256 -o ceiling ceiling.c     (AVX2: two ymm per state word)
 *   cc -O3 -march=native -DWIDTH=512 -o ceiling ceiling.c     (AVX-512: one zmm per state word)
 *   ./ceiling <run-ms> <runs>   ->  {"wall":[...],"cpu":[...],"check":N}   samples/s per run
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifndef WIDTH
#define WIDTH 256
#endif

static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static void lane_states(uint64_t seed, uint32_t chunk, uint32_t a[16], uint32_t b[16], uint32_t c[16]) {
  const uint64_t gamma = 0x9e3779b97f4a7c15ull, z0 = mix64(seed + gamma);
  for (uint32_t lane = 0; lane < 16; lane++) {
    const uint64_t id = (uint64_t)chunk * 16 + lane, k1 = z0 + (2 * id + 1) * gamma;
    const uint64_t z1 = mix64(k1), z2 = mix64(k1 + gamma);
    a[lane] = (uint32_t)z1; b[lane] = (uint32_t)(z1 >> 32); c[lane] = (uint32_t)z2;
  }
}

#if WIDTH == 512
/* 16 samples (all lanes) per step in one zmm per word. */
static uint64_t count(uint64_t seed, uint32_t chunk, uint64_t steps) {
  uint32_t sa[16], sb[16], sc[16];
  lane_states(seed, chunk, sa, sb, sc);
  __m512i a = _mm512_loadu_si512(sa), b = _mm512_loadu_si512(sb), c = _mm512_loadu_si512(sc);
  __m512i counter = _mm512_setzero_si512(), acc = _mm512_setzero_si512();
  const __m512i one = _mm512_set1_epi32(1), ones16 = _mm512_set1_epi32(0x00010001), bound = _mm512_set1_epi32((1 << 29) - (1 << 14));
  const __m512i minus1 = _mm512_set1_epi32(-1);
  for (uint64_t i = 0; i < steps; i++) {
    counter = _mm512_add_epi32(counter, one);
    const __m512i t = _mm512_add_epi32(_mm512_add_epi32(a, b), counter);
    a = _mm512_xor_si512(b, _mm512_srli_epi32(b, 9));
    b = _mm512_add_epi32(c, _mm512_slli_epi32(c, 3));
    c = _mm512_add_epi32(_mm512_rol_epi32(c, 21), t);
    const __m512i d = _mm512_madd_epi16(t, ones16);
    const __m512i q = _mm512_add_epi32(_mm512_madd_epi16(t, t), d);
    const __m512i h = _mm512_add_epi32(_mm512_srli_epi32(q, 2), _mm512_slli_epi32(d, 14));
    acc = _mm512_mask_sub_epi32(acc, _mm512_cmplt_epi32_mask(h, bound), acc, minus1);
  }
  uint32_t lanes[16];
  _mm512_storeu_si512(lanes, acc);
  uint64_t inside = 0;
  for (int k = 0; k < 16; k++) inside += lanes[k];
  return inside;
}
#else
/* 16 samples per step in two ymm per word. */
static uint64_t count(uint64_t seed, uint32_t chunk, uint64_t steps) {
  uint32_t sa[16], sb[16], sc[16];
  lane_states(seed, chunk, sa, sb, sc);
  __m256i a0 = _mm256_loadu_si256((const __m256i *)sa), a1 = _mm256_loadu_si256((const __m256i *)(sa + 8));
  __m256i b0 = _mm256_loadu_si256((const __m256i *)sb), b1 = _mm256_loadu_si256((const __m256i *)(sb + 8));
  __m256i c0 = _mm256_loadu_si256((const __m256i *)sc), c1 = _mm256_loadu_si256((const __m256i *)(sc + 8));
  __m256i counter = _mm256_setzero_si256(), acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
  const __m256i one = _mm256_set1_epi32(1), ones16 = _mm256_set1_epi32(0x00010001), bound = _mm256_set1_epi32((1 << 29) - (1 << 14));
#define STEP(a, b, c, acc)                                                                   \
  do {                                                                                      \
    const __m256i t = _mm256_add_epi32(_mm256_add_epi32(a, b), counter);                    \
    a = _mm256_xor_si256(b, _mm256_srli_epi32(b, 9));                                       \
    b = _mm256_add_epi32(c, _mm256_slli_epi32(c, 3));                                       \
    c = _mm256_add_epi32(_mm256_or_si256(_mm256_slli_epi32(c, 21), _mm256_srli_epi32(c, 11)), t); \
    const __m256i d = _mm256_madd_epi16(t, ones16);                                         \
    const __m256i q = _mm256_add_epi32(_mm256_madd_epi16(t, t), d);                         \
    const __m256i h = _mm256_add_epi32(_mm256_srli_epi32(q, 2), _mm256_slli_epi32(d, 14));  \
    acc = _mm256_sub_epi32(acc, _mm256_cmpgt_epi32(bound, h));                              \
  } while (0)
  for (uint64_t i = 0; i < steps; i++) {
    counter = _mm256_add_epi32(counter, one);
    STEP(a0, b0, c0, acc0);
    STEP(a1, b1, c1, acc1);
  }
  uint32_t lanes[16];
  _mm256_storeu_si256((__m256i *)lanes, acc0);
  _mm256_storeu_si256((__m256i *)(lanes + 8), acc1);
  uint64_t inside = 0;
  for (int k = 0; k < 16; k++) inside += lanes[k];
  return inside;
}
#endif

static double seconds(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  const double run_ms = argc > 1 ? atof(argv[1]) : 400;
  const int runs = argc > 2 ? atoi(argv[2]) : 5;
  /* Check: countInside(7, 3, 2^24) computed by this loop (a whole number of steps). */
  const uint64_t check = count(7, 3, (1u << 24) / 16);
  /* Calibrate the steps of one run to about run_ms. */
  uint64_t steps = 1u << 16;
  double dt = 0;
  volatile uint64_t sink = 0;
  while ((dt = seconds(CLOCK_MONOTONIC), sink += count(1, 0, steps), dt = seconds(CLOCK_MONOTONIC) - dt) < 0.05) steps *= 2;
  steps = (uint64_t)((double)steps * (run_ms / 1000.0) / dt) + 1;
  printf("{\"width\":%d,\"check\":%llu,\"wall\":[", WIDTH, (unsigned long long)check);
  double cpu[64];
  for (int r = 0; r < runs && r < 64; r++) {
    const double w0 = seconds(CLOCK_MONOTONIC), c0 = seconds(CLOCK_THREAD_CPUTIME_ID);
    sink += count(2 + (uint64_t)r, (uint32_t)r, steps);
    const double wall = seconds(CLOCK_MONOTONIC) - w0;
    cpu[r] = 16.0 * (double)steps / (seconds(CLOCK_THREAD_CPUTIME_ID) - c0);
    printf("%s%.6e", r ? "," : "", 16.0 * (double)steps / wall);
  }
  printf("],\"cpu\":[");
  for (int r = 0; r < runs && r < 64; r++) printf("%s%.6e", r ? "," : "", cpu[r]);
  printf("]}\n");
  return sink == 42 ? 1 : 0;
}
