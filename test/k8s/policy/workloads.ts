import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { K8sObject, Violation, Workload, Report } from './types.js';
import { byKind, cpuMillis, memoryBytes, reporter, selectorKeys, selectorMatches, workloads } from './types.js';
import { resolveEnv, envValue } from './env.js';
import { CONTRACT, IMAGE_USER, LABEL, PART_OF_SELECTOR, SHUTDOWN_OVERHEAD_MS, STABLE_SELECTOR_KEYS, COMPONENTS } from '../app-contract.js';

/** Every container of a pod, init containers included. */
export function allContainers(w: Workload): IContainer[] {
  return [...(w.pod.initContainers ?? []), ...w.pod.containers];
}

/** The container that runs pigrid (its single container in our manifests). */
export function appContainer(w: Workload): IContainer | undefined {
  return w.pod.containers.find((c) => c.name === w.component) ?? w.pod.containers[0];
}

/**
 * `labels`: each component runs in exactly one workload; selectors use only stable labels and
 * match the pod template; pods carry part-of=pigrid (the gateway lists pods by it).
 */
export function checkLabels(objs: readonly K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const report = reporter('labels', out);
  const all = workloads(objs);
  for (const c of COMPONENTS) {
    const n = all.filter((w) => w.component === c).length;
    if (n !== 1) report(`component/${c}`, `expected exactly one workload for component ${c}, found ${n}`);
  }
  for (const w of all) {
    if (!w.component) report(w.obj, `pod template lacks a known ${LABEL.component} label`);
    else if (w.obj.kind !== CONTRACT[w.component].workloadKind)
      report(w.obj, `${w.component} must run as a ${CONTRACT[w.component].workloadKind}`);
    if (w.podLabels[PART_OF_SELECTOR.key] !== PART_OF_SELECTOR.value)
      report(w.obj, `pod template lacks ${PART_OF_SELECTOR.key}=${PART_OF_SELECTOR.value}`);
    if (!selectorMatches(w.selector, w.podLabels)) report(w.obj, 'spec.selector does not match the pod template labels');
    unstableKeys(w.selector, (k) => report(w.obj, `spec.selector uses ${k}, which changes over time`));
  }
  for (const obj of [...byKind(objs, 'Service'), ...byKind(objs, 'PodDisruptionBudget')]) {
    const s = obj.spec as { selector?: Record<string, unknown> } | undefined;
    const sel = obj.kind === 'Service' ? { matchLabels: s?.selector as Record<string, string> } : (s?.selector as never);
    unstableKeys(sel, (k) => report(obj, `selector uses ${k}, which changes over time`));
  }
  return out;
}

function unstableKeys(selector: Parameters<typeof selectorKeys>[0], report: (key: string) => void): void {
  for (const k of selectorKeys(selector)) if (!STABLE_SELECTOR_KEYS.includes(k)) report(k);
}

const ALLOWED_VOLUMES = ['configMap', 'emptyDir', 'projected', 'secret', 'downwardAPI', 'persistentVolumeClaim', 'ephemeral', 'csi'];

/** `pod-security`: the "restricted" Pod Security Standard, plus read-only root and /tmp. */
export function checkPodSecurity(objs: readonly K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const report = reporter('pod-security', out);
  for (const ns of byKind(objs, 'Namespace')) {
    if (ns.metadata.labels?.['pod-security.kubernetes.io/enforce'] !== 'restricted')
      report(ns, 'namespace does not enforce the restricted Pod Security Standard');
  }
  for (const w of workloads(objs)) podSecurity(w, (m) => report(w.obj, m));
  return out;
}

function podSecurity(w: Workload, report: (m: string) => void): void {
  const psc = w.pod.securityContext ?? {};
  if (psc.runAsNonRoot !== true) report('pod securityContext.runAsNonRoot must be true');
  for (const f of ['runAsUser', 'runAsGroup', 'fsGroup'] as const) {
    if (psc[f] !== IMAGE_USER) report(`pod securityContext.${f} must be ${IMAGE_USER} (the image's numeric USER), got ${String(psc[f])}`);
  }
  if (w.pod.hostNetwork || w.pod.hostPID || w.pod.hostIPC) report('host namespaces are not allowed');
  for (const v of w.pod.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (!type || !ALLOWED_VOLUMES.includes(type)) report(`volume ${v.name} of type ${String(type)} is not allowed`);
  }
  for (const c of allContainers(w)) {
    const sc = c.securityContext ?? {};
    const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') report(`container ${c.name}: seccompProfile must be RuntimeDefault`);
    if (sc.allowPrivilegeEscalation !== false) report(`container ${c.name}: allowPrivilegeEscalation must be false`);
    if (sc.privileged === true) report(`container ${c.name}: privileged is not allowed`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) report(`container ${c.name}: capabilities must drop ALL`);
    for (const cap of sc.capabilities?.add ?? [])
      if (cap !== 'NET_BIND_SERVICE') report(`container ${c.name}: capability ${cap} is not allowed`);
    if (sc.readOnlyRootFilesystem !== true) report(`container ${c.name}: readOnlyRootFilesystem must be true`);
    if (sc.runAsUser === 0 || sc.runAsNonRoot === false) report(`container ${c.name}: must not run as root`);
    if ((c.ports ?? []).some((p) => p.hostPort !== undefined)) report(`container ${c.name}: hostPort is not allowed`);
    const tmp = (c.volumeMounts ?? []).find((m) => m.mountPath === '/tmp');
    const tmpVolume = (w.pod.volumes ?? []).find((v) => v.name === tmp?.name);
    if (!tmpVolume?.emptyDir) report(`container ${c.name}: /tmp must be an emptyDir (the root filesystem is read-only)`);
  }
}

/** `resources`: every container requests and limits CPU and memory, requests <= limits. */
export function checkResources(objs: readonly K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const report = reporter('resources', out);
  for (const w of workloads(objs)) {
    for (const c of allContainers(w)) {
      const r = c.resources ?? {};
      for (const kind of ['requests', 'limits'] as const) {
        for (const res of ['cpu', 'memory'] as const) {
          const q = r[kind]?.[res];
          const n = res === 'cpu' ? cpuMillis(q) : memoryBytes(q);
          if (q === undefined) report(w.obj, `container ${c.name}: ${kind}.${res} is missing`);
          else if (!(n > 0)) report(w.obj, `container ${c.name}: ${kind}.${res} "${String(q)}" is not a positive quantity`);
        }
      }
      if (cpuMillis(r.requests?.cpu) > cpuMillis(r.limits?.cpu)) report(w.obj, `container ${c.name}: requests.cpu exceeds limits.cpu`);
      if (memoryBytes(r.requests?.memory) > memoryBytes(r.limits?.memory))
        report(w.obj, `container ${c.name}: requests.memory exceeds limits.memory`);
    }
  }
  return out;
}

/** `images`: every image is pinned by a version tag or digest, never `latest` or untagged. */
export function checkImages(objs: readonly K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const report = reporter('images', out);
  for (const w of workloads(objs)) {
    for (const c of allContainers(w)) {
      const problem = imageProblem(c.image);
      if (problem) report(w.obj, `container ${c.name}: image "${String(c.image)}" ${problem}`);
      if (c.imagePullPolicy === 'Never') report(w.obj, `container ${c.name}: imagePullPolicy Never`);
    }
    const version = w.obj.metadata.labels?.[LABEL.version];
    const tag = tagOf(appContainer(w)?.image);
    if (version !== undefined && tag !== undefined && version !== tag)
      report(w.obj, `label ${LABEL.version}=${version} but the image tag is ${tag}`);
  }
  return out;
}

function tagOf(image: string | undefined): string | undefined {
  if (!image || image.includes('@')) return undefined;
  const last = image.split('/').pop() ?? '';
  return last.includes(':') ? last.split(':').pop() : undefined;
}

/** Why an image reference is not pinned, or undefined when it is. */
export function imageProblem(image: string | undefined): string | undefined {
  if (!image) return 'is missing';
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return undefined;
  const tag = tagOf(image);
  if (tag === undefined) return 'has no tag';
  if (tag === 'latest' || !/\d/.test(tag)) return `uses the floating tag "${tag}"`;
  return undefined;
}

/** `probes`: gRPC health probes on coordinator/worker, HTTP on the gateway; ports exist. */
export function checkProbes(objs: readonly K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const report = reporter('probes', out);
  for (const w of workloads(objs)) {
    const c = appContainer(w);
    if (!w.component || !c) continue;
    const want = CONTRACT[w.component].probes;
    const r = (m: string): void => report(w.obj, `container ${c.name}: ${m}`);
    for (const [name, probe] of [
      ['liveness', c.livenessProbe],
      ['readiness', c.readinessProbe],
      ['startup', c.startupProbe],
    ] as const) {
      if (!probe) {
        if (name !== 'startup') r(`${name}Probe is missing`);
        continue;
      }
      probePortExists(c, probe, (m) => r(`${name}Probe ${m}`));
      if (want.kind === 'grpc') {
        if (!probe.grpc) r(`${name}Probe must be a native gRPC probe`);
        const expected = name === 'readiness' ? want.readinessService : '';
        if (probe.grpc && (probe.grpc.service ?? '') !== expected)
          r(`${name}Probe must ask gRPC health service "${expected}", asks "${probe.grpc.service ?? ''}"`);
      } else {
        const path = name === 'readiness' ? want.readiness : want.liveness;
        if (name !== 'startup' && probe.httpGet?.path !== path) r(`${name}Probe must GET ${path}`);
      }
    }
  }
  return out;
}

function probePortExists(c: IContainer, probe: IProbe, report: (m: string) => void): void {
  const port = probe.grpc?.port ?? probe.httpGet?.port ?? probe.tcpSocket?.port;
  if (port === undefined) return report('has no port');
  const ports = c.ports ?? [];
  const ok = typeof port === 'number' ? ports.some((p) => p.containerPort === port) : ports.some((p) => p.name === port);
  if (!ok) report(`port ${String(port)} is not a port of the container`);
}

/**
 * `drain-grace`: terminationGracePeriodSeconds outlasts PIGRID_DRAIN_GRACE_MS plus the
 * shutdown that follows it, so SIGKILL never lands while chunks or cleanup are running.
 */
export function checkDrainGrace(objs: readonly K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const report = reporter('drain-grace', out);
  for (const w of workloads(objs)) {
    const c = appContainer(w);
    if (!w.component || !c) continue;
    const def = CONTRACT[w.component].drainGraceDefaultMs;
    if (def === null) continue;
    const drainMs = Number(envValue(resolveEnv(objs, c), 'PIGRID_DRAIN_GRACE_MS') ?? def);
    const graceS = w.pod.terminationGracePeriodSeconds ?? 30;
    if (!(graceS * 1000 >= drainMs + SHUTDOWN_OVERHEAD_MS)) {
      report(
        w.obj,
        `terminationGracePeriodSeconds ${graceS}s must exceed PIGRID_DRAIN_GRACE_MS ${drainMs}ms + ${SHUTDOWN_OVERHEAD_MS}ms of shutdown, or in-flight chunks are killed`,
      );
    }
  }
  return out;
}

/** `service-account-token`: only the gateway mounts an API token. */
export function checkServiceAccountTokens(objs: readonly K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const report = reporter('service-account-token', out);
  for (const w of workloads(objs)) {
    if (!w.component) continue;
    const saName = w.pod.serviceAccountName ?? 'default';
    const sa = objs.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === saName);
    if (saName !== 'default' && !sa) report(w.obj, `ServiceAccount ${saName} is not in the render`);
    const saAutomount = sa?.automountServiceAccountToken as boolean | undefined;
    const mounted = w.pod.automountServiceAccountToken ?? saAutomount ?? true;
    const projected = (w.pod.volumes ?? []).some((v) => (v.projected?.sources ?? []).some((s) => s.serviceAccountToken));
    const want = CONTRACT[w.component].mountsToken;
    if ((mounted || projected) !== want)
      report(w.obj, want ? 'the gateway must mount its token to call the API' : `${w.component} must not mount a service-account token`);
    if (!want && saName === 'default') report(w.obj, 'use a dedicated ServiceAccount, not "default"');
  }
  return out;
}

/** `service-links`: no Service env vars (<SERVICE>_PORT=tcp://…) in the pods. */
export function checkServiceLinks(objs: readonly K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const report = reporter('service-links', out);
  for (const w of workloads(objs)) {
    if (w.pod.enableServiceLinks !== false)
      report(w.obj, 'enableServiceLinks must be false: Service env vars (PIGRID_WORKER_PORT=tcp://…) would land among the app settings');
  }
  return out;
}

/** `immutable-templates`: volumeClaimTemplates carry nothing that changes per release. */
export function checkImmutableTemplates(objs: readonly K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const report: Report = reporter('immutable-templates', out);
  for (const sts of byKind(objs, 'StatefulSet')) {
    const vcts =
      ((sts.spec ?? {}) as { volumeClaimTemplates?: { metadata?: { name?: string; labels?: Record<string, string> } }[] })
        .volumeClaimTemplates ?? [];
    for (const vct of vcts) {
      if (vct.metadata?.labels?.[LABEL.version] !== undefined) {
        report(
          sts,
          `volumeClaimTemplate ${String(vct.metadata.name)} has label ${LABEL.version}: volumeClaimTemplates are immutable, every upgrade would be rejected`,
        );
      }
    }
  }
  return out;
}
