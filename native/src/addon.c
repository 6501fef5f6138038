/*
 * Node-API glue of the native kernel (plain node_api.h, ABI-stable across Node versions).
 * The exports are low-level on purpose; native/native-kernel.ts wraps them into the kernel
 * contract (validation, pieces, cancellation, error codes):
 *
 *   streamVersion                      string, PIGRID_STREAM_VERSION
 *   cpuFeatures()                      { avx2, avx512f, avx512bw }
 *   compiledLoops()                    names of the SIMD loops in this build
 *   init(state, seed, chunkIndex)      state: Uint32Array(64); seed: bigint u64; chunkIndex: u32
 *   run(loop, state, steps) -> n       advances 16 lanes by `steps` (<= 2^28) outputs
 *   tail(state, lanes) -> n            one more output, counted on lanes 0..lanes-1
 *   checkCells(loop, first, count)     [inside, disagreements] over outputs first..first+count-1
 *   countChunks(loop, state, seed, firstChunk, count, points, pieceSteps, cells, firstSlot, threadId,
 *               inside, elapsedMs)     a run of consecutive chunks in one call (pigrid_count_chunks):
 *                                      cells an Int32Array of the pool's task control or null,
 *                                      inside / elapsedMs Float64Arrays of at least `count`
 *
 * Every argument is checked here too: a wrong type or range throws a RangeError/TypeError with
 * code KERNEL_INVALID_INPUT, and a loop the CPU cannot run throws code KERNEL_ERROR instead of
 * executing an instruction the CPU lacks.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <stdio.h>
#include <string.h>

#include "kernel.h"

#define INVALID "KERNEL_INVALID_INPUT"

/* Returns NULL after throwing when a Node-API call failed (an exception may be pending). */
#define NAPI_OK(env, call)                                                   \
  do {                                                                        \
    if ((call) != napi_ok) {                                                  \
      bool pending = false;                                                   \
      napi_is_exception_pending((env), &pending);                             \
      if (!pending) napi_throw_error((env), "KERNEL_ERROR", "Node-API call failed: " #call); \
      return NULL;                                                            \
    }                                                                         \
  } while (0)

static napi_value throw_range(napi_env env, const char *message) {
  napi_throw_range_error(env, INVALID, message);
  return NULL;
}

/* The state argument: a Uint32Array of at least 64 elements. */
static pigrid_state *state_arg(napi_env env, napi_value value) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) {
    napi_throw_type_error(env, INVALID, "state must be a Uint32Array(64)");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, NULL, NULL) != napi_ok
      || type != napi_uint32_array || length * sizeof(uint32_t) < sizeof(pigrid_state) || data == NULL) {
    napi_throw_type_error(env, INVALID, "state must be a Uint32Array(64)");
    return NULL;
  }
  return (pigrid_state *)data;
}

/* A number argument that must be an integer in 0..max; returns 0 after throwing otherwise. */
static int u32_arg(napi_env env, napi_value value, uint32_t max, const char *name, uint32_t *out) {
  char message[160];
  double d = -1;
  napi_valuetype kind;
  if (napi_typeof(env, value, &kind) == napi_ok && kind == napi_number) napi_get_value_double(env, value, &d);
  if (!(d >= 0 && d <= (double)max && d == (double)(uint32_t)d)) {
    snprintf(message, sizeof message, "%s must be an integer in 0..%u", name, max);
    throw_range(env, message);
    return 0;
  }
  *out = (uint32_t)d;
  return 1;
}

/* The loop argument: a loop name compiled in and runnable on this CPU. */
static int loop_arg(napi_env env, napi_value value, pigrid_isa *out) {
  char name[32] = {0};
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, name, sizeof name, &length) != napi_ok) {
    napi_throw_type_error(env, INVALID, "loop must be a string");
    return 0;
  }
  for (int isa = 0; isa < PIGRID_ISA_COUNT; isa++) {
    if (strcmp(name, pigrid_isa_name((pigrid_isa)isa)) != 0) continue;
    if (!pigrid_cpu_has((pigrid_isa)isa)) {
      char message[128];
      snprintf(message, sizeof message, "the %s loop cannot run on this CPU (or is not compiled in)", name);
      napi_throw_error(env, "KERNEL_ERROR", message);
      return 0;
    }
    *out = (pigrid_isa)isa;
    return 1;
  }
  napi_throw_range_error(env, INVALID, "loop must be one of avx2, avx2-w16, avx512");
  return 0;
}

static int args(napi_env env, napi_callback_info info, size_t expected, napi_value *argv) {
  size_t argc = expected;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc < expected) {
    napi_throw_type_error(env, INVALID, "too few arguments");
    return 0;
  }
  return 1;
}

static napi_value js_cpu_features(napi_env env, napi_callback_info info) {
  (void)info;
  const pigrid_cpu cpu = pigrid_cpu_features();
  napi_value result, flag;
  NAPI_OK(env, napi_create_object(env, &result));
  NAPI_OK(env, napi_get_boolean(env, cpu.avx2, &flag));
  NAPI_OK(env, napi_set_named_property(env, result, "avx2", flag));
  NAPI_OK(env, napi_get_boolean(env, cpu.avx512f, &flag));
  NAPI_OK(env, napi_set_named_property(env, result, "avx512f", flag));
  NAPI_OK(env, napi_get_boolean(env, cpu.avx512bw, &flag));
  NAPI_OK(env, napi_set_named_property(env, result, "avx512bw", flag));
  return result;
}

static napi_value js_compiled_loops(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result, name;
  uint32_t n = 0;
  NAPI_OK(env, napi_create_array(env, &result));
  for (int isa = 0; isa < PIGRID_ISA_COUNT; isa++) {
    if (!pigrid_isa_compiled((pigrid_isa)isa)) continue;
    NAPI_OK(env, napi_create_string_utf8(env, pigrid_isa_name((pigrid_isa)isa), NAPI_AUTO_LENGTH, &name));
    NAPI_OK(env, napi_set_element(env, result, n++, name));
  }
  return result;
}

static napi_value js_init(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!args(env, info, 3, argv)) return NULL;
  pigrid_state *state = state_arg(env, argv[0]);
  if (state == NULL) return NULL;
  uint64_t seed = 0;
  bool lossless = false;
  napi_valuetype kind;
  if (napi_typeof(env, argv[1], &kind) != napi_ok || kind != napi_bigint
      || napi_get_value_bigint_uint64(env, argv[1], &seed, &lossless) != napi_ok || !lossless) {
    return throw_range(env, "seed must be a bigint in 0..2^64-1");
  }
  uint32_t chunk = 0;
  if (!u32_arg(env, argv[2], UINT32_MAX, "chunkIndex", &chunk)) return NULL;
  pigrid_init(state, seed, chunk);
  return NULL;
}

static napi_value js_run(napi_env env, napi_callback_info info) {
  napi_value argv[3], result;
  pigrid_isa isa;
  uint32_t steps = 0;
  if (!args(env, info, 3, argv) || !loop_arg(env, argv[0], &isa)) return NULL;
  pigrid_state *state = state_arg(env, argv[1]);
  if (state == NULL || !u32_arg(env, argv[2], PIGRID_MAX_RUN_STEPS, "steps", &steps)) return NULL;
  NAPI_OK(env, napi_create_double(env, (double)pigrid_run(isa, state, steps), &result));
  return result;
}

static napi_value js_tail(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  uint32_t lanes = 0;
  if (!args(env, info, 2, argv)) return NULL;
  pigrid_state *state = state_arg(env, argv[0]);
  if (state == NULL || !u32_arg(env, argv[1], PIGRID_LANES - 1, "lanes", &lanes)) return NULL;
  NAPI_OK(env, napi_create_uint32(env, pigrid_tail(state, lanes), &result));
  return result;
}

/* A typed array argument of `type` with at least `min_length` elements; NULL after throwing otherwise. */
static void *typed_arg(napi_env env, napi_value value, napi_typedarray_type type, size_t min_length, const char *message) {
  bool is_typed = false;
  napi_typedarray_type actual;
  size_t length = 0;
  void *data = NULL;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed
      || napi_get_typedarray_info(env, value, &actual, &length, &data, NULL, NULL) != napi_ok || actual != type
      || length < min_length || data == NULL) {
    napi_throw_type_error(env, INVALID, message);
    return NULL;
  }
  return data;
}

static napi_value js_count_chunks(napi_env env, napi_callback_info info) {
  napi_value argv[12];
  pigrid_isa isa;
  uint64_t seed = 0;
  bool lossless = false;
  napi_valuetype kind;
  uint32_t first_chunk = 0, count = 0, points = 0, piece_steps = 0, first_slot = 0;
  int32_t thread_id = 0;
  int32_t *cells = NULL;
  if (!args(env, info, 12, argv) || !loop_arg(env, argv[0], &isa)) return NULL;
  pigrid_state *state = state_arg(env, argv[1]);
  if (state == NULL) return NULL;
  if (napi_typeof(env, argv[2], &kind) != napi_ok || kind != napi_bigint
      || napi_get_value_bigint_uint64(env, argv[2], &seed, &lossless) != napi_ok || !lossless) {
    return throw_range(env, "seed must be a bigint in 0..2^64-1");
  }
  if (!u32_arg(env, argv[3], UINT32_MAX, "firstChunk", &first_chunk) || !u32_arg(env, argv[4], UINT32_MAX, "count", &count)
      || !u32_arg(env, argv[5], UINT32_MAX, "points", &points) || !u32_arg(env, argv[6], PIGRID_MAX_RUN_STEPS, "pieceSteps", &piece_steps)
      || !u32_arg(env, argv[8], UINT32_MAX, "firstSlot", &first_slot)) {
    return NULL;
  }
  if (count == 0 || points == 0 || piece_steps == 0) return throw_range(env, "count, points and pieceSteps must be at least 1");
  if ((uint64_t)first_chunk + count - 1 > UINT32_MAX) return throw_range(env, "firstChunk + count - 1 must be at most 2^32-1");
  if (napi_typeof(env, argv[7], &kind) != napi_ok) return NULL;
  if (kind != napi_null && kind != napi_undefined) {
    cells = typed_arg(env, argv[7], napi_int32_array, ((size_t)first_slot + count) * 2, "cells must be an Int32Array holding the slots");
    if (cells == NULL) return NULL;
  }
  if (napi_typeof(env, argv[9], &kind) != napi_ok || kind != napi_number || napi_get_value_int32(env, argv[9], &thread_id) != napi_ok) {
    return throw_range(env, "threadId must be a number");
  }
  double *inside = typed_arg(env, argv[10], napi_float64_array, count, "inside must be a Float64Array of at least count");
  if (inside == NULL) return NULL;
  double *elapsed = typed_arg(env, argv[11], napi_float64_array, count, "elapsedMs must be a Float64Array of at least count");
  if (elapsed == NULL) return NULL;
  pigrid_count_chunks(isa, state, seed, first_chunk, count, points, piece_steps, cells, first_slot, thread_id, inside, elapsed);
  return NULL;
}

static napi_value js_check_cells(napi_env env, napi_callback_info info) {
  napi_value argv[3], result, value;
  pigrid_isa isa;
  uint32_t first = 0, count = 0;
  if (!args(env, info, 3, argv) || !loop_arg(env, argv[0], &isa)) return NULL;
  if (!u32_arg(env, argv[1], UINT32_MAX, "first", &first) || !u32_arg(env, argv[2], 1u << 30, "count", &count)) return NULL;
  if (count % PIGRID_LANES != 0) return throw_range(env, "count must be a multiple of 16");
  uint64_t inside = 0, disagreements = 0;
  pigrid_check_cells(isa, first, count, &inside, &disagreements);
  NAPI_OK(env, napi_create_array_with_length(env, 2, &result));
  NAPI_OK(env, napi_create_double(env, (double)inside, &value));
  NAPI_OK(env, napi_set_element(env, result, 0, value));
  NAPI_OK(env, napi_create_double(env, (double)disagreements, &value));
  NAPI_OK(env, napi_set_element(env, result, 1, value));
  return result;
}

NAPI_MODULE_INIT() {
  napi_value version;
  const napi_property_descriptor properties[] = {
    {"cpuFeatures", NULL, js_cpu_features, NULL, NULL, NULL, napi_enumerable, NULL},
    {"compiledLoops", NULL, js_compiled_loops, NULL, NULL, NULL, napi_enumerable, NULL},
    {"init", NULL, js_init, NULL, NULL, NULL, napi_enumerable, NULL},
    {"run", NULL, js_run, NULL, NULL, NULL, napi_enumerable, NULL},
    {"tail", NULL, js_tail, NULL, NULL, NULL, napi_enumerable, NULL},
    {"checkCells", NULL, js_check_cells, NULL, NULL, NULL, napi_enumerable, NULL},
    {"countChunks", NULL, js_count_chunks, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  NAPI_OK(env, napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties));
  NAPI_OK(env, napi_create_string_utf8(env, PIGRID_STREAM_VERSION, NAPI_AUTO_LENGTH, &version));
  NAPI_OK(env, napi_set_named_property(env, exports, "streamVersion", version));
  return exports;
}
