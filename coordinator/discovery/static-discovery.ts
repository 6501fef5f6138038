import type { DiscoveryState, WorkerDiscovery } from './discovery.js';
import { DiscoveryError, DiscoveryErrorCode } from './errors.js';
import { checkHostPort, formatHostPort, normalizeAddressSet } from './host-port.js';

/**
 * Validates a worker list given as `"h1:p1,h2:p2"` or as an array of `"host:port"` and returns its
 * canonical form (sorted, de-duplicated, frozen; host names lower-cased). Surrounding whitespace of
 * each entry is ignored. An empty string or empty array is an empty set.
 * @throws {@link DiscoveryError} `INVALID_WORKER_ADDRESS` naming every bad entry and its rule.
 */
export function parseWorkerAddresses(addresses: string | readonly string[]): readonly string[] {
  const entries = typeof addresses === 'string' ? splitList(addresses) : [...addresses];
  const problems: string[] = [];
  const valid: string[] = [];
  entries.forEach((entry, i) => {
    if (typeof entry !== 'string') {
      problems.push(`entry ${i + 1}: not a string`);
      return;
    }
    const r = checkHostPort(entry);
    if ('problem' in r) problems.push(`entry ${i + 1} "${entry}": ${r.problem}`);
    else valid.push(formatHostPort(r.host, r.port));
  });
  if (problems.length > 0) {
    throw new DiscoveryError(
      DiscoveryErrorCode.INVALID_WORKER_ADDRESS,
      `invalid worker address${problems.length > 1 ? 'es' : ''}: ${problems.join('; ')} ` +
        '(expected "host:port", IPv6 as "[::1]:50061", port 1..65535)',
      { problems },
    );
  }
  return normalizeAddressSet(valid);
}

/**
 * A discovery over a fixed list, for local runs. Validation happens here, at construction, so a bad
 * list fails startup. `start()` calls `onChange` once, synchronously, with the whole set.
 * @param addresses `"h1:p1,h2:p2"` or `["h1:p1", "h2:p2"]`.
 * @throws {@link DiscoveryError} `INVALID_WORKER_ADDRESS`, see {@link parseWorkerAddresses}.
 */
export function createStaticDiscovery(addresses: string | readonly string[]): WorkerDiscovery {
  const set = parseWorkerAddresses(addresses);
  let state: DiscoveryState = 'IDLE';
  return {
    start(onChange) {
      if (state === 'CLOSED') return;
      if (state === 'RUNNING') {
        throw new DiscoveryError(DiscoveryErrorCode.DISCOVERY_ALREADY_STARTED, 'static discovery already started');
      }
      state = 'RUNNING';
      onChange(set);
    },
    close() {
      state = 'CLOSED';
    },
  };
}

function splitList(s: string): string[] {
  // "" and "  " mean no workers; a stray trailing comma ("a:1,") is tolerated but ",," is not.
  if (s.trim() === '') return [];
  const parts = s.split(',');
  if (parts.length > 1 && parts[parts.length - 1].trim() === '') parts.pop();
  return parts;
}
