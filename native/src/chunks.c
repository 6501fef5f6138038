/*
 * A run of consecutive chunks in one call: the loop a pool thread runs between two JavaScript
 * calls (kernel/pool/pi-task.ts through native/native-kernel.ts). Each chunk is counted exactly
 * as a call of its own would count it (pigrid_init, pigrid_run in pieces, pigrid_tail), so its
 * count is bit-identical; what the loop saves is the JavaScript and Node-API glue per chunk,
 * which on a shared VM runs with cold caches after every millisecond of kernel loop
 * (docs/performance.md, "The pool's own excess with small chunks").
 *
 * The pool's task control (kernel/pool/task-control.ts) is honoured chunk by chunk, with the
 * same sequentially consistent atomics as JavaScript's Atomics on the same SharedArrayBuffer:
 * a chunk is claimed (QUEUED -> STARTED, then the thread id) before it runs and skipped if it
 * was withdrawn; a running chunk stops at the first piece boundary where its slot reads STOP;
 * the slot is set DONE when its kernel call is over.
 */
#define _POSIX_C_SOURCE 200809L
#include "kernel.h"

#include <stddef.h>
#include <time.h>

/* task-control.ts SlotState and its two Int32 fields per slot (state, thread id). */
enum { SLOT_QUEUED = 0, SLOT_STARTED = 1, SLOT_STOP = 3, SLOT_DONE = 4, SLOT_FIELDS = 2 };

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

void pigrid_count_chunks(pigrid_isa isa, pigrid_state *state, uint64_t seed, uint32_t first_chunk, uint32_t count,
                         uint32_t points, uint32_t piece_steps, int32_t *cells, uint32_t first_slot, int32_t thread_id,
                         double *inside, double *elapsed_ms) {
  for (uint32_t k = 0; k < count; k++) {
    int32_t *slot = cells == NULL ? NULL : cells + (size_t)(first_slot + k) * SLOT_FIELDS;
    inside[k] = PIGRID_CHUNK_WITHDRAWN;
    elapsed_ms[k] = 0;
    if (slot != NULL) {
      int32_t expected = SLOT_QUEUED;
      if (!__atomic_compare_exchange_n(slot, &expected, SLOT_STARTED, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) continue;
      __atomic_store_n(slot + 1, thread_id, __ATOMIC_SEQ_CST);
    }
    const double start = now_ms();
    pigrid_init(state, seed, first_chunk + k);
    uint32_t steps = points / PIGRID_LANES;
    uint64_t n = 0;
    int stopped = 0;
    while (steps > 0) {
      const uint32_t piece = steps < piece_steps ? steps : piece_steps;
      n += pigrid_run(isa, state, piece);
      steps -= piece;
      if (steps > 0 && slot != NULL && __atomic_load_n(slot, __ATOMIC_SEQ_CST) == SLOT_STOP) {
        stopped = 1;
        break;
      }
    }
    if (!stopped && points % PIGRID_LANES > 0) n += pigrid_tail(state, points % PIGRID_LANES);
    elapsed_ms[k] = now_ms() - start;
    inside[k] = stopped ? PIGRID_CHUNK_STOPPED : (double)n;
    if (slot != NULL) __atomic_store_n(slot, SLOT_DONE, __ATOMIC_SEQ_CST);
  }
}
