import { ErrorCode, PigridError } from '../../shared/errors.js';
import type { DiscoveryState, WorkerDiscovery } from './discovery.js';
import { normalizeAddressSet } from '../../shared/host-port.js';

/**
 * A discovery over a fixed list of addresses (`PIGRID_WORKERS`, checked by the coordinator's config), for local runs.
 * `start()` calls `onChange` once, synchronously, with the whole set (sorted, de-duplicated, frozen).
 */
export function createStaticDiscovery(addresses: readonly string[]): WorkerDiscovery {
  const set = normalizeAddressSet(addresses);
  let state: DiscoveryState = 'IDLE';
  return {
    start(onChange) {
      if (state === 'CLOSED') return;
      if (state === 'RUNNING') throw new PigridError(ErrorCode.INTERNAL, 'static discovery already started');
      state = 'RUNNING';
      onChange(set);
    },
    close() {
      state = 'CLOSED';
    },
  };
}
