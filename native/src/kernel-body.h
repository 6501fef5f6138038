/*
 * The one definition of the SIMD loops, included by kernels.c once per instruction set.
 * The includer defines:
 *   KB_FN(name)   the function's name for this instantiation, e.g. name##_avx2
 *   KB_TARGET     the target attribute's argument, e.g. "avx2"
 *   KB_W          32-bit lanes per vector (8 or 16); the 16 stream lanes are 16 / KB_W vectors
 *   U32V, I32V    GCC/Clang vector types of KB_W u32 / i32 lanes
 *   KB_MADD(a, b) pmaddwd: per 32-bit lane, a.lo*b.lo + a.hi*b.hi of the signed 16-bit halves
 *   KB_LESS(a, b) -1 in the lanes where a < b (signed), 0 elsewhere
 *   KB_COUNT_LESS(acc, a, b)  acc + 1 in the lanes where a < b (the loop's count; a mask
 *                 subtract on AVX-512, a compare and subtract on AVX2)
 * It undefines all of them at its end.
 * Everything else is generic vector arithmetic (+ ^ << >> <), which the compiler lowers to the
 * instructions of KB_TARGET because every function here carries that target attribute; the
 * translation unit itself is compiled for the baseline target.
 *
 * Inside test ("quarter dot", docs/exactness.md). Read output t's halves as signed 16-bit
 * x = u - 32768, y = v - 32768. With D = x + y and Q = x(x+1) + y(y+1) (0 <= Q < 2^31):
 *   u(u+1) + v(v+1) <= 2^32 - 1  <=>  Q + 2^16 D <= 2^31 - 2^16 - 1
 *                                <=>  floor(Q/4) + 2^14 D < 2^29 - 2^14
 * (Q is even, so Q = 4q + r with r in {0, 2}; 4(q + 2^14 D) is a multiple of 4 and the bound
 * minus r lies strictly between 2^31 - 2^16 - 4 and 2^31 - 2^16, so the test is
 * 4(q + 2^14 D) <= 2^31 - 2^16 - 4.) Both terms fit i32 without clamping: floor(Q/4) < 2^29,
 * 2^14 D in [-2^30, 2^30). Q = (x^2 + y^2) + D modulo 2^32; pmaddwd wraps only at
 * x = y = -32768, and Q's true value is below 2^31, so the wrap cancels.
 * Seven vector instructions per vector of samples, one fewer than the WebAssembly "dot" form.
 */

#define KB_NV (PIGRID_LANES / KB_W)
#define KB_INLINE static inline __attribute__((always_inline, target(KB_TARGET)))

/* The bound of the quarter-dot test: inside iff H < KB_BOUND. */
#define KB_BOUND ((1 << 29) - (1 << 14))

/* H = floor(Q/4) + 2^14 D of each output (see the comment at the top). */
KB_INLINE I32V KB_FN(quarter_dot)(U32V t) {
  const U32V ones16 = (U32V){0} + 0x00010001u;
  const I32V d = KB_MADD(t, ones16);             /* D = x + y */
  const I32V s = KB_MADD(t, t);                  /* x^2 + y^2, modulo 2^32 */
  const U32V q = (U32V)(s + d);                  /* Q */
  return (I32V)((q >> 2) + ((U32V)d << 14));
}

/* acc + 1 in the lanes whose output's cell midpoint is inside: the loop's count. */
KB_INLINE U32V KB_FN(count_inside)(U32V acc, U32V t) {
  return KB_COUNT_LESS(acc, KB_FN(quarter_dot)(t), (I32V){0} + KB_BOUND);
}

/* -1 in the lanes whose output's cell midpoint is inside, 0 elsewhere. */
KB_INLINE I32V KB_FN(inside_mask)(U32V t) {
  return KB_LESS(KB_FN(quarter_dot)(t), (I32V){0} + KB_BOUND);
}

/* The "mul" form, for the exhaustive check only: a = u(u+1), b = v(v+1) in u32 (both < 2^32);
 * inside iff a + b does not carry. */
KB_INLINE I32V KB_FN(inside_mask_mul)(U32V t) {
  const U32V f = t ^ 0x80008000u;
  const U32V u = f >> 16;
  const U32V v = f & 0xffffu;
  const U32V a = u * (u + 1);
  const U32V b = v * (v + 1);
  return (I32V)((a + b) >= a);
}

static __attribute__((target(KB_TARGET), noinline)) uint64_t KB_FN(run)(pigrid_state *state, uint32_t steps) {
  U32V a[KB_NV], b[KB_NV], c[KB_NV], acc[KB_NV];
  for (int j = 0; j < KB_NV; j++) {
    memcpy(&a[j], state->a + j * KB_W, sizeof a[j]);
    memcpy(&b[j], state->b + j * KB_W, sizeof b[j]);
    memcpy(&c[j], state->c + j * KB_W, sizeof c[j]);
    acc[j] = (U32V){0};
  }
  U32V counter = (U32V){0} + state->counter;
#pragma GCC unroll 2
  for (uint32_t i = 0; i < steps; i++) {
    counter += 1;
#pragma GCC unroll 2
    for (int j = 0; j < KB_NV; j++) {
      /* sfc32: t = a + b + counter; a = b ^ (b >> 9); b = c + (c << 3); c = rotl(c, 21) + t */
      const U32V t = a[j] + b[j] + counter;
      a[j] = b[j] ^ (b[j] >> 9);
      b[j] = c[j] + (c[j] << 3);
      c[j] = ((c[j] << 21) | (c[j] >> 11)) + t;
      acc[j] = KB_FN(count_inside)(acc[j], t);
    }
  }
  uint64_t inside = 0;
  for (int j = 0; j < KB_NV; j++) {
    memcpy(state->a + j * KB_W, &a[j], sizeof a[j]);
    memcpy(state->b + j * KB_W, &b[j], sizeof b[j]);
    memcpy(state->c + j * KB_W, &c[j], sizeof c[j]);
    for (int k = 0; k < KB_W; k++) inside += acc[j][k];
  }
  state->counter += steps;
  return inside;
}

static __attribute__((target(KB_TARGET), noinline)) void KB_FN(check_cells)(
    uint32_t first, uint32_t count, uint64_t *inside, uint64_t *disagreements) {
  U32V t[KB_NV], in[KB_NV], diff[KB_NV];
  for (int j = 0; j < KB_NV; j++) {
    for (int k = 0; k < KB_W; k++) t[j][k] = first + (uint32_t)(j * KB_W + k);
    in[j] = (U32V){0};
    diff[j] = (U32V){0};
  }
  /* Per-lane counts stay below 2^32 for count <= 2^32 - 16 (at most count / 16 per lane). */
  for (uint32_t i = 0; i < count / PIGRID_LANES; i++) {
    for (int j = 0; j < KB_NV; j++) {
      /* The count as the loop makes it, and the mask form against the "mul" form. */
      in[j] = KB_FN(count_inside)(in[j], t[j]);
      diff[j] -= (U32V)(KB_FN(inside_mask)(t[j]) ^ KB_FN(inside_mask_mul)(t[j]));
      t[j] += PIGRID_LANES;
    }
  }
  for (int j = 0; j < KB_NV; j++) {
    for (int k = 0; k < KB_W; k++) {
      *inside += in[j][k];
      *disagreements += diff[j][k];
    }
  }
}

/* The header consumes its parameters, so the next instantiation can define them afresh. */
#undef KB_INLINE
#undef KB_BOUND
#undef KB_NV
#undef KB_FN
#undef KB_TARGET
#undef KB_W
#undef U32V
#undef I32V
#undef KB_MADD
#undef KB_LESS
#undef KB_COUNT_LESS
