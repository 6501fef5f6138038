/*
 * The ISA-independent, scalar part of the kernel: lane states from (seed, chunkIndex), the
 * partial last step of a chunk, and the CPU feature check. Compiled for the baseline target.
 */
#include "kernel.h"

#include <stddef.h>

#define GAMMA UINT64_C(0x9e3779b97f4a7c15)
#define MIX_M1 UINT64_C(0xbf58476d1ce4e5b9)
#define MIX_M2 UINT64_C(0x94d049bb133111eb)

/* splitmix64's finalizer (Stafford's Mix13), a bijection on u64. */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * MIX_M1;
  z = (z ^ (z >> 27)) * MIX_M2;
  return z ^ (z >> 31);
}

void pigrid_init(pigrid_state *state, uint64_t seed, uint32_t chunk_index) {
  const uint64_t z0 = mix64(seed + GAMMA);
  for (uint32_t lane = 0; lane < PIGRID_LANES; lane++) {
    const uint64_t id = (uint64_t)chunk_index * PIGRID_LANES + lane;
    const uint64_t k1 = z0 + (2 * id + 1) * GAMMA;
    const uint64_t z1 = mix64(k1);
    const uint64_t z2 = mix64(k1 + GAMMA);
    state->a[lane] = (uint32_t)z1;
    state->b[lane] = (uint32_t)(z1 >> 32);
    state->c[lane] = (uint32_t)z2;
  }
  state->counter = PIGRID_COUNTER_START - 1;
  for (size_t i = 0; i < PIGRID_LANES - 1; i++) state->reserved[i] = 0;
}

/* The geometric test, in u64: u(u+1) + v(v+1) <= 2^32 - 1 (stream-spec.ts). */
static int inside_u64(uint32_t t) {
  const uint64_t u = (t >> 16) ^ 0x8000u;
  const uint64_t v = (t & 0xffffu) ^ 0x8000u;
  return u * (u + 1) + v * (v + 1) <= UINT64_C(0xffffffff);
}

uint32_t pigrid_tail(pigrid_state *state, uint32_t lanes) {
  const uint32_t counter = state->counter + 1;
  uint32_t inside = 0;
  for (uint32_t lane = 0; lane < lanes && lane < PIGRID_LANES; lane++) {
    const uint32_t a = state->a[lane], b = state->b[lane], c = state->c[lane];
    const uint32_t t = a + b + counter;
    state->a[lane] = b ^ (b >> 9);
    state->b[lane] = c + (c << 3);
    state->c[lane] = ((c << 21) | (c >> 11)) + t;
    inside += (uint32_t)inside_u64(t);
  }
  /* Lanes >= `lanes` are not advanced: the chunk ends here, the state is not used again. */
  state->counter = counter;
  return inside;
}

pigrid_cpu pigrid_cpu_features(void) {
  pigrid_cpu cpu = {0, 0, 0};
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  cpu.avx2 = __builtin_cpu_supports("avx2") != 0;
  cpu.avx512f = __builtin_cpu_supports("avx512f") != 0;
  cpu.avx512bw = __builtin_cpu_supports("avx512bw") != 0;
#endif
  return cpu;
}

int pigrid_isa_compiled(pigrid_isa isa) {
#if defined(__x86_64__)
  return isa == PIGRID_ISA_AVX2 || isa == PIGRID_ISA_AVX2_W16 || isa == PIGRID_ISA_AVX512;
#else
  (void)isa;
  return 0;
#endif
}

int pigrid_cpu_has(pigrid_isa isa) {
  if (!pigrid_isa_compiled(isa)) return 0;
  const pigrid_cpu cpu = pigrid_cpu_features();
  switch (isa) {
    case PIGRID_ISA_AVX2:
    case PIGRID_ISA_AVX2_W16: return cpu.avx2;
    case PIGRID_ISA_AVX512: return cpu.avx512f && cpu.avx512bw;
    default: return 0;
  }
}

const char *pigrid_isa_name(pigrid_isa isa) {
  switch (isa) {
    case PIGRID_ISA_AVX2: return "avx2";
    case PIGRID_ISA_AVX2_W16: return "avx2-w16";
    case PIGRID_ISA_AVX512: return "avx512";
    default: return NULL;
  }
}
