import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IServiceSpec } from 'kubernetes-models/v1/ServiceSpec';
import type { IServicePort } from 'kubernetes-models/v1/ServicePort';
import type { INetworkPolicySpec } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicySpec';
import type { ILabelSelector } from '@kubernetes-models/apimachinery/apis/meta/v1/LabelSelector';
import type { K8sObject, Violation, Workload } from './types.js';
import { byKind, mapSelector, matchingWorkloads, reporter, selectorMatches, spec, workloads } from './types.js';
import { envValue, resolveEnv } from './env.js';
import { appContainer } from './workloads.js';
import { CONTRACT, NAMESPACE, OTHER_ENV } from '../app-contract.js';

const CLUSTER_SCOPED = ['Namespace', 'ClusterRole', 'ClusterRoleBinding'];

/** `namespace`: one Namespace, and every namespaced object in it. */
export function checkNamespace(objs: readonly K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const report = reporter('namespace', out);
  const nss = byKind(objs, 'Namespace');
  if (nss.length !== 1 || nss[0]?.metadata.name !== NAMESPACE)
    report('Namespace', `expected exactly Namespace/${NAMESPACE}, found ${nss.map((n) => n.metadata.name).join(', ') || 'none'}`);
  for (const o of objs) {
    if (!CLUSTER_SCOPED.includes(o.kind) && o.metadata.namespace !== NAMESPACE)
      report(o, `namespace is ${String(o.metadata.namespace)}, not ${NAMESPACE}`);
  }
  return out;
}

/** A Service port's target as a container port number of the given container. */
export function targetPortNumber(port: IServicePort, c: IContainer | undefined): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return (c?.ports ?? []).some((p) => p.containerPort === target) ? target : undefined;
  return (c?.ports ?? []).find((p) => p.name === target)?.containerPort;
}

function serviceWorkloads(all: readonly Workload[], svc: K8sObject): Workload[] {
  return matchingWorkloads(all, mapSelector(spec<IServiceSpec>(svc).selector));
}

/** `selectors` + `ports`: every selector picks real pods; every referenced port exists. */
export function checkSelectorsAndPorts(objs: readonly K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const sel = reporter('selectors', out);
  const ports = reporter('ports', out);
  const all = workloads(objs);
  for (const svc of byKind(objs, 'Service')) {
    const picked = serviceWorkloads(all, svc);
    const components = new Set(picked.map((w) => w.component));
    if (picked.length === 0) sel(svc, 'selector matches no workload');
    else if (components.size > 1) sel(svc, `selector spans components ${[...components].join(', ')}`);
    for (const p of spec<IServiceSpec>(svc).ports ?? []) {
      for (const w of picked) {
        if (targetPortNumber(p, appContainer(w)) === undefined)
          ports(svc, `port ${p.name ?? p.port}: targetPort ${String(p.targetPort ?? p.port)} is not a port of ${w.obj.metadata.name}`);
      }
    }
  }
  for (const pdb of byKind(objs, 'PodDisruptionBudget')) {
    const n = matchingWorkloads(all, spec<{ selector?: ILabelSelector }>(pdb).selector).length;
    if (n !== 1) sel(pdb, `selector must match exactly one workload, matches ${n}`);
  }
  for (const np of byKind(objs, 'NetworkPolicy')) {
    const s = spec<INetworkPolicySpec>(np);
    if (Object.keys(s.podSelector ?? {}).length > 0 && matchingWorkloads(all, s.podSelector).length === 0)
      sel(np, 'spec.podSelector matches no workload');
    const peers = [...(s.ingress ?? []).flatMap((r) => r.from ?? []), ...(s.egress ?? []).flatMap((r) => r.to ?? [])];
    for (const peer of peers) {
      if (peer.podSelector && !peer.namespaceSelector && matchingWorkloads(all, peer.podSelector).length === 0) {
        sel(np, `peer podSelector ${JSON.stringify(peer.podSelector.matchLabels ?? {})} matches no workload in the namespace`);
      }
    }
  }
  for (const w of all) {
    for (const t of w.pod.topologySpreadConstraints ?? []) {
      if (!selectorMatches(t.labelSelector, w.podLabels)) sel(w.obj, 'topologySpreadConstraints labelSelector does not match its own pods');
    }
  }
  for (const pm of byKind(objs, 'PodMonitor')) {
    const s = spec<{ selector?: ILabelSelector; podMetricsEndpoints?: { port?: string }[] }>(pm);
    const picked = matchingWorkloads(all, s.selector);
    if (picked.length === 0) sel(pm, 'selector matches no workload');
    for (const ep of s.podMetricsEndpoints ?? []) {
      for (const w of picked) {
        if (!(appContainer(w)?.ports ?? []).some((p) => p.name === ep.port))
          ports(pm, `port "${String(ep.port)}" is not a named port of ${w.obj.metadata.name}`);
      }
    }
  }
  for (const sm of byKind(objs, 'ServiceMonitor')) {
    const s = spec<{ selector?: ILabelSelector; endpoints?: { port?: string }[] }>(sm);
    const svcs = byKind(objs, 'Service').filter((svc) => selectorMatches(s.selector, svc.metadata.labels ?? {}));
    if (svcs.length === 0) sel(sm, 'selector matches no Service (it selects Services by their own labels)');
    for (const ep of s.endpoints ?? []) {
      for (const svc of svcs) {
        if (!(spec<IServiceSpec>(svc).ports ?? []).some((p) => p.name === ep.port))
          ports(sm, `port "${String(ep.port)}" is not a named port of Service/${svc.metadata.name}`);
      }
    }
  }
  return out;
}

/** `config`: env resolves, names are known settings, values agree with ports and Services. */
export function checkConfig(objs: readonly K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const report = reporter('config', out);
  for (const w of workloads(objs)) {
    const c = appContainer(w);
    if (!w.component || !c) continue;
    const contract = CONTRACT[w.component];
    const r = (m: string): void => report(w.obj, m);
    const env = resolveEnv(objs, c);
    for (const name of env.missingConfigMaps) r(`envFrom ConfigMap ${name} is not in the render`);
    if (JSON.stringify(c.args ?? []) !== JSON.stringify([contract.arg]) || c.command)
      r(`container must run the image entrypoint with args ["${contract.arg}"]`);
    for (const name of env.vars.keys()) {
      if (!contract.settings.includes(name) && !OTHER_ENV.includes(name)) r(`unknown setting ${name} for the ${w.component}`);
    }
    for (const [name, want] of Object.entries(contract.required)) {
      const v = envValue(env, name);
      if (v === undefined) r(`${name} must be set`);
      else if (want !== null && v !== want) r(`${name} must be ${want}, is ${v}`);
    }
    for (const [portName, setting] of Object.entries(contract.portSettings)) {
      const port = (c.ports ?? []).find((p) => p.name === portName);
      const v = envValue(env, setting);
      if (!port) r(`container port "${portName}" is missing`);
      else if (v !== undefined && Number(v) !== port.containerPort)
        r(`${setting}=${v} but container port "${portName}" is ${port.containerPort}`);
    }
    if (w.component === 'coordinator') checkDbPath(w, c, envValue(env, 'PIGRID_DB_PATH'), r);
    if (w.component === 'worker') {
      const id = env.vars.get('PIGRID_WORKER_ID') ?? env.vars.get('POD_NAME');
      if (id?.kind !== 'field' || id.fieldPath !== 'metadata.name')
        r('POD_NAME (or PIGRID_WORKER_ID) must come from the downward API metadata.name');
    }
    if (w.component === 'gateway') {
      checkCoordinatorAddress(objs, envValue(env, 'PIGRID_COORDINATOR'), r);
      const ns = env.vars.get('PIGRID_K8S_NAMESPACE');
      if (
        ns &&
        !(ns.kind === 'field' && ns.fieldPath === 'metadata.namespace') &&
        envValue(env, 'PIGRID_K8S_NAMESPACE') !== w.obj.metadata.namespace
      ) {
        r('PIGRID_K8S_NAMESPACE must be the pod namespace');
      }
    }
  }
  return out;
}

function checkDbPath(w: Workload, c: IContainer, dbPath: string | undefined, r: (m: string) => void): void {
  if (!dbPath) return;
  const vcts = ((w.obj.spec ?? {}) as { volumeClaimTemplates?: { metadata?: { name?: string } }[] }).volumeClaimTemplates ?? [];
  const persistent = new Set([
    ...vcts.map((v) => v.metadata?.name),
    ...(w.pod.volumes ?? []).filter((v) => v.persistentVolumeClaim).map((v) => v.name),
  ]);
  const mount = (c.volumeMounts ?? []).find((m) => dbPath.startsWith(`${m.mountPath.replace(/\/$/, '')}/`));
  if (!mount || !persistent.has(mount.name)) r(`PIGRID_DB_PATH ${dbPath} is not on a persistent volume`);
}

/** Splits `svc[.ns[.svc[.cluster.domain]]]` into Service name and namespace. */
export function parseServiceDns(host: string, defaultNs: string): { name: string; namespace: string } | undefined {
  const parts = host.split('.');
  if (parts.length > 2 && parts[2] !== 'svc') return undefined;
  return { name: parts[0] ?? '', namespace: parts[1] ?? defaultNs };
}

function checkCoordinatorAddress(objs: readonly K8sObject[], address: string | undefined, r: (m: string) => void): void {
  if (!address) return;
  const m = /^([^:]+):(\d+)$/.exec(address);
  const dns = m ? parseServiceDns(m[1] ?? '', NAMESPACE) : undefined;
  if (!m || !dns) return r(`PIGRID_COORDINATOR "${address}" is not <service>.<namespace>.svc...:<port>`);
  const svc = objs.find((o) => o.kind === 'Service' && o.metadata.name === dns.name && o.metadata.namespace === dns.namespace);
  if (!svc) return r(`PIGRID_COORDINATOR names Service ${dns.namespace}/${dns.name}, which is not in the render`);
  const coordinator = serviceWorkloads(workloads(objs), svc).find((w) => w.component === 'coordinator');
  if (!coordinator) return r(`PIGRID_COORDINATOR: Service ${dns.name} does not select the coordinator`);
  const port = (spec<IServiceSpec>(svc).ports ?? []).find((p) => p.port === Number(m[2]));
  const grpc = (appContainer(coordinator)?.ports ?? []).find((p) => p.name === 'grpc')?.containerPort;
  if (!port || targetPortNumber(port, appContainer(coordinator)) !== grpc)
    r(`PIGRID_COORDINATOR port ${m[2]} does not reach the coordinator's gRPC port ${String(grpc)}`);
}

/**
 * `worker-discovery`: PIGRID_WORKER_SERVICE names the headless worker Service, which
 * publishes ready pods only and has the port PIGRID_WORKER_PORT_NAME; SRV and the A-record
 * fallback (PIGRID_WORKER_PORT) both land on the worker's gRPC port.
 */
export function checkWorkerDiscovery(objs: readonly K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const report = reporter('worker-discovery', out);
  const all = workloads(objs);
  const coordinator = all.find((w) => w.component === 'coordinator');
  const worker = all.find((w) => w.component === 'worker');
  const cc = coordinator && appContainer(coordinator);
  const wc = worker && appContainer(worker);
  if (!coordinator || !cc || !worker || !wc) return out;
  const r = (m: string): void => report(coordinator.obj, m);
  const cenv = resolveEnv(objs, cc);
  const host = envValue(cenv, 'PIGRID_WORKER_SERVICE') ?? '';
  const portName = envValue(cenv, 'PIGRID_WORKER_PORT_NAME') ?? 'grpc';
  const dns = parseServiceDns(host, coordinator.obj.metadata.namespace ?? NAMESPACE);
  const named = dns && objs.find((o) => o.kind === 'Service' && o.metadata.name === dns.name && o.metadata.namespace === dns.namespace);
  if (!named) r(`PIGRID_WORKER_SERVICE "${host}" names no Service in the render`);
  // Without the named Service, still vet the Services that select workers.
  const candidates = named
    ? [named]
    : byKind(objs, 'Service').filter((svc) => serviceWorkloads(all, svc).some((w) => w.component === 'worker'));
  if (candidates.length === 0) report(worker.obj, 'no Service selects the workers');
  for (const svc of candidates) headlessWorkerService(objs, svc, { all, wc, cenv, portName, report });
  return out;
}

interface DiscoveryContext {
  readonly all: readonly Workload[];
  readonly wc: IContainer;
  readonly cenv: ReturnType<typeof resolveEnv>;
  readonly portName: string;
  readonly report: ReturnType<typeof reporter>;
}

function headlessWorkerService(objs: readonly K8sObject[], svc: K8sObject, ctx: DiscoveryContext): void {
  const { all, wc, cenv, portName } = ctx;
  const s = spec<IServiceSpec>(svc);
  const rs = (m: string): void => ctx.report(svc, m);
  if (s.clusterIP !== 'None') rs('worker discovery needs a headless Service (clusterIP: None)');
  if (s.publishNotReadyAddresses !== false) rs('publishNotReadyAddresses must be false: draining (not ready) workers must leave DNS');
  const picked = serviceWorkloads(all, svc);
  if (picked.length !== 1 || picked[0]?.component !== 'worker') rs('selector must pick the worker pods only');
  const port = (s.ports ?? []).find((p) => p.name === portName);
  if (!port) {
    rs(`no port named "${portName}" (the coordinator's PIGRID_WORKER_PORT_NAME): SRV _${portName}._tcp finds nothing`);
    return;
  }
  const target = targetPortNumber(port, wc);
  const workerGrpc = Number(envValue(resolveEnv(objs, wc), 'PIGRID_GRPC_PORT'));
  const fallback = Number(envValue(cenv, 'PIGRID_WORKER_PORT'));
  if ((port.protocol ?? 'TCP') !== 'TCP') rs(`port ${portName} must be TCP`);
  if (target !== workerGrpc) rs(`port ${portName} targets ${String(target)}, the worker serves gRPC on ${workerGrpc}`);
  if (port.port !== target)
    rs(`port ${portName}: port ${port.port} != targetPort ${String(target)}; SRV and the A-record fallback would disagree`);
  if (fallback !== workerGrpc) rs(`the coordinator's PIGRID_WORKER_PORT ${fallback} != worker PIGRID_GRPC_PORT ${workerGrpc}`);
}
