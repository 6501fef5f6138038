import type { IContainerPort } from 'kubernetes-models/v1/ContainerPort';
import type { INetworkPolicySpec } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicySpec';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import type { INetworkPolicyPort } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPort';
import type { K8sObject, Violation } from './types.js';
import { byKind, matchingWorkloads, reporter, selectorMatches, spec, workloads } from './types.js';
import { appContainer } from './workloads.js';
import type { Flow, Peer } from '../app-contract.js';
import { EXCLUSIVE_INGRESS, NAMESPACE, NETWORK_FLOWS } from '../app-contract.js';

/** One end of a connection, as NetworkPolicy sees it. */
export interface Endpoint {
  readonly label: string;
  readonly pod: boolean;
  readonly namespace?: string;
  readonly namespaceLabels: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly containerPorts: readonly IContainerPort[];
  readonly ip?: string;
}

/** Resolves a contract peer against the render (pigrid components use their pod templates). */
export function endpointFor(objs: readonly K8sObject[], peer: Peer): Endpoint {
  if ('ip' in peer) return { label: peer.ip, pod: false, namespaceLabels: {}, labels: {}, containerPorts: [], ip: peer.ip };
  if ('component' in peer) {
    const w = workloads(objs).find((x) => x.component === peer.component);
    const ns = objs.find((o) => o.kind === 'Namespace' && o.metadata.name === (w?.obj.metadata.namespace ?? NAMESPACE));
    const namespace = w?.obj.metadata.namespace ?? NAMESPACE;
    return {
      label: peer.component,
      pod: true,
      namespace,
      namespaceLabels: { ...(ns?.metadata.labels ?? {}), 'kubernetes.io/metadata.name': namespace },
      labels: w?.podLabels ?? {},
      containerPorts: (w && appContainer(w)?.ports) ?? [],
    };
  }
  return {
    label: `${peer.namespace}/${Object.values(peer.labels).join(',')}`,
    pod: true,
    namespace: peer.namespace,
    namespaceLabels: { 'kubernetes.io/metadata.name': peer.namespace },
    labels: peer.labels,
    containerPorts: [],
  };
}

function policyTypes(s: INetworkPolicySpec): string[] {
  return s.policyTypes ?? ['Ingress', ...(s.egress ? ['Egress'] : [])];
}

function selecting(objs: readonly K8sObject[], ep: Endpoint, type: 'Ingress' | 'Egress'): { ns: string; s: INetworkPolicySpec }[] {
  if (!ep.pod) return [];
  return byKind(objs, 'NetworkPolicy')
    .filter((np) => np.metadata.namespace === ep.namespace)
    .map((np) => ({ ns: np.metadata.namespace ?? '', s: spec<INetworkPolicySpec>(np) }))
    .filter(({ s }) => policyTypes(s).includes(type) && selectorMatches(s.podSelector ?? {}, { ...ep.labels }));
}

function ipv4(ip: string): number | undefined {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) return undefined;
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const a = ipv4(base ?? '');
  const b = ipv4(ip);
  const bits = Number(bitsText);
  if (a === undefined || b === undefined) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(a / size) === Math.floor(b / size);
}

function peerMatches(peer: INetworkPolicyPeer, policyNs: string, ep: Endpoint): boolean {
  if (peer.ipBlock) {
    const { cidr, except = [] } = peer.ipBlock;
    return ep.ip !== undefined && cidrContains(cidr, ep.ip) && !except.some((e) => cidrContains(e, ep.ip as string));
  }
  if (!ep.pod) return false;
  const nsOk = peer.namespaceSelector ? selectorMatches(peer.namespaceSelector, { ...ep.namespaceLabels }) : ep.namespace === policyNs;
  const podOk = peer.podSelector ? selectorMatches(peer.podSelector, { ...ep.labels }) : true;
  return nsOk && podOk;
}

function portMatches(ports: INetworkPolicyPort[] | undefined, port: number, protocol: string, dst: Endpoint): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== protocol) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === 'number') return port >= p.port && port <= (p.endPort ?? p.port);
    return dst.containerPorts.some((cp) => cp.name === p.port && cp.containerPort === port && (cp.protocol ?? 'TCP') === protocol);
  });
}

/** Whether NetworkPolicy lets `from` open a connection to `to` on port/protocol. */
export function isAllowed(objs: readonly K8sObject[], from: Endpoint, to: Endpoint, port: number, protocol = 'TCP'): boolean {
  const egress = selecting(objs, from, 'Egress');
  const egressOk =
    egress.length === 0 ||
    egress.some(({ ns, s }) =>
      (s.egress ?? []).some(
        (r) => portMatches(r.ports, port, protocol, to) && ((r.to ?? []).length === 0 || (r.to ?? []).some((p) => peerMatches(p, ns, to))),
      ),
    );
  const ingress = selecting(objs, to, 'Ingress');
  const ingressOk =
    ingress.length === 0 ||
    ingress.some(({ ns, s }) =>
      (s.ingress ?? []).some(
        (r) =>
          portMatches(r.ports, port, protocol, to) && ((r.from ?? []).length === 0 || (r.from ?? []).some((p) => peerMatches(p, ns, from))),
      ),
    );
  return egressOk && ingressOk;
}

function flowName(objs: readonly K8sObject[], f: Flow): string {
  return `flow/${endpointFor(objs, f.from).label}->${endpointFor(objs, f.to).label}:${f.port}/${f.protocol ?? 'TCP'}`;
}

/** `network-intent`: every flow of NETWORK_FLOWS is allowed or denied as intended. */
export function checkNetworkIntent(objs: readonly K8sObject[], flows: readonly Flow[] = NETWORK_FLOWS): Violation[] {
  const out: Violation[] = [];
  const report = reporter('network-intent', out);
  for (const f of flows) {
    const allowed = isAllowed(objs, endpointFor(objs, f.from), endpointFor(objs, f.to), f.port, f.protocol ?? 'TCP');
    if (allowed !== f.allowed)
      report(
        flowName(objs, f),
        f.allowed ? 'should be allowed but NetworkPolicy blocks it' : 'should be blocked but NetworkPolicy allows it',
      );
  }
  return out;
}

/**
 * `network-isolation`: every pigrid pod is isolated both ways (default deny), and each
 * exclusive port admits only its one client: every ingress rule that opens it names only
 * pods of that component, in the same namespace.
 */
export function checkNetworkIsolation(objs: readonly K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const report = reporter('network-isolation', out);
  const all = workloads(objs);
  for (const w of all) {
    if (!w.component) continue;
    const ep = endpointFor(objs, { component: w.component });
    for (const t of ['Ingress', 'Egress'] as const)
      if (selecting(objs, ep, t).length === 0) report(w.obj, `no NetworkPolicy isolates its ${t.toLowerCase()}`);
  }
  for (const x of EXCLUSIVE_INGRESS) {
    const target = endpointFor(objs, { component: x.to });
    for (const np of byKind(objs, 'NetworkPolicy')) {
      const s = spec<INetworkPolicySpec>(np);
      if (
        np.metadata.namespace !== target.namespace ||
        !policyTypes(s).includes('Ingress') ||
        !selectorMatches(s.podSelector ?? {}, { ...target.labels })
      )
        continue;
      for (const rule of s.ingress ?? []) {
        if (!portMatches(rule.ports, x.port, 'TCP', target)) continue;
        const peers = rule.from ?? [];
        const ok =
          peers.length > 0 &&
          peers.every((p) => {
            if (p.ipBlock || p.namespaceSelector || !p.podSelector) return false;
            const picked = matchingWorkloads(all, p.podSelector);
            return picked.length > 0 && picked.every((w) => w.component === x.from);
          });
        if (!ok) report(np, `an ingress rule opens ${x.to} port ${x.port} to more than the ${x.from}`);
      }
    }
  }
  return out;
}
