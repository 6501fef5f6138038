import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { K8sObject, Violation, Workload } from './types.js';
import { byKind, reporter, spec, workloads } from './types.js';
import { envValue, resolveEnv } from './env.js';
import { appContainer } from './workloads.js';
import { CONTRACT, TLS } from '../app-contract.js';

interface CertificateSpec {
  secretName?: string;
  uris?: string[];
  dnsNames?: string[];
  issuerRef?: { name?: string; kind?: string };
}

/**
 * `tls`: every gRPC server and client (coordinator, workers, gateway) runs mutual TLS: no PIGRID_INSECURE, the three
 * PIGRID_TLS_* files under a read-only mount (no subPath: rotation must reach it) of a Secret or cert-manager CSI
 * volume; where cert-manager Certificates are rendered, each mounted Secret is one, carrying the component's
 * spiffe://pigrid id (and the coordinator the DNS name the gateway dials); a CSI worker volume names the pod in its
 * URI SAN; gRPC probes use the plaintext health port, never the mTLS port.
 */
export function checkTls(objs: readonly K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const report = reporter('tls', out);
  const certificates = byKind(objs, 'Certificate');
  for (const w of workloads(objs)) {
    const c = appContainer(w);
    if (!w.component || !c) continue;
    const r = (m: string): void => report(w.obj, m);
    const env = resolveEnv(objs, c);
    const insecure = envValue(env, 'PIGRID_INSECURE');
    if (insecure !== undefined && !['false', '0', 'no'].includes(insecure.toLowerCase()))
      r(`runs gRPC in plaintext: PIGRID_INSECURE=${insecure}`);
    for (const setting of TLS.settings) {
      const path = envValue(env, setting);
      if (path === undefined) {
        r(`${setting} must be set (mutual TLS on every gRPC hop)`);
        continue;
      }
      const volume = volumeHolding(w, c, path, r);
      if (volume) checkVolume(w, volume, certificates, r);
    }
    if (w.component === 'gateway') checkCoordinatorName(objs, certificates, envValue(env, 'PIGRID_COORDINATOR'), r);
    if (CONTRACT[w.component].probes.kind === 'grpc') {
      const health = Number(envValue(env, 'PIGRID_HEALTH_PORT') ?? -1);
      for (const [name, probe] of [
        ['liveness', c.livenessProbe],
        ['readiness', c.readinessProbe],
        ['startup', c.startupProbe],
      ] as const) {
        if (probe?.grpc && probe.grpc.port !== health)
          r(`${name}Probe asks port ${probe.grpc.port}, which requires a client certificate; probe PIGRID_HEALTH_PORT (${health})`);
      }
    }
  }
  return out;
}

function volumeHolding(w: Workload, c: IContainer, path: string, r: (m: string) => void): IVolume | undefined {
  const mount = (c.volumeMounts ?? [])
    .filter((m) => path.startsWith(m.mountPath.endsWith('/') ? m.mountPath : `${m.mountPath}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  if (!mount) {
    r(`${path} is on no volume mount`);
    return undefined;
  }
  if (mount.subPath || mount.subPathExpr) r(`volume mount ${mount.mountPath} uses subPath: rotated certificates would never reach it`);
  if (!mount.readOnly) r(`volume mount ${mount.mountPath} of the certificates must be readOnly`);
  const volume = (w.pod.volumes ?? []).find((v) => v.name === mount.name);
  if (!volume) r(`volume ${mount.name} is not declared`);
  return volume;
}

function checkVolume(w: Workload, volume: IVolume, certificates: readonly K8sObject[], r: (m: string) => void): void {
  const want = TLS.ids[w.component!];
  if (volume.csi) {
    if (volume.csi.driver !== TLS.csiDriver)
      return r(`volume ${volume.name} is a CSI volume of ${volume.csi.driver}, not ${TLS.csiDriver}`);
    const attrs = volume.csi.volumeAttributes ?? {};
    if (!attrs['csi.cert-manager.io/issuer-name']) r(`volume ${volume.name} names no issuer`);
    const uri = attrs['csi.cert-manager.io/uri-sans'];
    const expected = w.component === 'worker' ? TLS.csiWorkerUri : want;
    if (uri !== expected) r(`volume ${volume.name} must carry URI SAN ${expected}, carries ${uri ?? 'none'}`);
    const fsGroup = w.pod.securityContext?.fsGroup;
    if (fsGroup !== undefined && attrs['csi.cert-manager.io/fs-group'] !== String(fsGroup))
      r(`volume ${volume.name} must set csi.cert-manager.io/fs-group "${fsGroup}" so the app user can read the key`);
    return;
  }
  const secretName = volume.secret?.secretName;
  if (!secretName) return r(`volume ${volume.name} must be a Secret or a ${TLS.csiDriver} CSI volume`);
  if (certificates.length === 0) return; // Secrets made outside the render (k3s: scripts/k8s-secrets.ts).
  const cert = certificates.find((x) => spec<CertificateSpec>(x).secretName === secretName);
  if (!cert) return r(`Secret ${secretName} is made by no cert-manager Certificate in the render`);
  const uris = spec<CertificateSpec>(cert).uris ?? [];
  if (uris.length !== 1 || uris[0] !== want)
    r(`Certificate/${cert.metadata.name} must carry exactly the URI SAN ${want}, carries ${uris.join(', ') || 'none'}`);
}

/** The coordinator's certificate must name the host the gateway dials, or hostname verification fails. */
function checkCoordinatorName(
  objs: readonly K8sObject[],
  certificates: readonly K8sObject[],
  address: string | undefined,
  r: (m: string) => void,
): void {
  if (!address || certificates.length === 0) return;
  const host = address.slice(0, address.lastIndexOf(':'));
  const coordinator = workloads(objs).find((x) => x.component === 'coordinator');
  const volumeSecret = coordinator?.pod.volumes?.find((v) => v.name === 'tls')?.secret?.secretName;
  const cert = certificates.find((x) => spec<CertificateSpec>(x).secretName === volumeSecret);
  if (cert && !(spec<CertificateSpec>(cert).dnsNames ?? []).includes(host))
    r(`PIGRID_COORDINATOR host ${host} is not a DNS name of Certificate/${cert.metadata.name}`);
}
