/*
 * The AVX-512 instantiation's primitives for kernel-body.h (see there): 16 lanes per 64-byte
 * vector, pmaddwd on zmm (AVX-512BW), the count as a compare into a mask register and a masked
 * subtract of -1. kernels.c includes it with the real intrinsics; test/unit/native-emulation
 * includes the very same file with the four intrinsics emulated in portable C, so the AVX-512
 * loop's source is checked for exactness on CPUs without AVX-512 too.
 * Needs u32x16 / i32x16 (vector_size(64)) and the _mm512_* names in scope.
 */
#define KB_W 16
#define U32V u32x16
#define I32V i32x16
#define KB_MADD(a, b) ((i32x16)_mm512_madd_epi16((__m512i)(a), (__m512i)(b)))
#define KB_LESS(a, b) ((a) < (b))
#define KB_COUNT_LESS(acc, a, b) \
  ((u32x16)_mm512_mask_sub_epi32((__m512i)(acc), _mm512_cmplt_epi32_mask((__m512i)(a), (__m512i)(b)), \
                                 (__m512i)(acc), _mm512_set1_epi32(-1)))
