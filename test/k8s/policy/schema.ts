import { ConfigMap, Namespace, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { Role, RoleBinding, ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import type { K8sObject, Violation } from './types.js';
import { reporter } from './types.js';

type Validatable = new (data: never) => { validate(): void };

/** Built-in kinds pigrid may render, with their OpenAPI schema (kubernetes-models). */
const BUILT_IN: Record<string, Validatable> = {
  'v1/Namespace': Namespace,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
};

/** Custom resources we know the shape of (their CRDs are not installed here). */
const CUSTOM: Record<string, (spec: Record<string, unknown>, report: (m: string) => void) => void> = {
  'monitoring.coreos.com/v1/ServiceMonitor': serviceMonitorShape,
  'monitoring.coreos.com/v1/PodMonitor': podMonitorShape,
  'monitoring.coreos.com/v1/PrometheusRule': prometheusRuleShape,
  'keda.sh/v1alpha1/ScaledObject': scaledObjectShape,
  'cert-manager.io/v1/Certificate': certificateShape,
  'cert-manager.io/v1/Issuer': issuerShape,
};

/**
 * `schema`: every built-in object validates against the Kubernetes OpenAPI schema; a kind
 * without a registered schema is itself a violation, so new kinds get validated deliberately.
 * `crd-shape`: custom resources have the structure their operator expects.
 */
export function checkSchemas(objs: readonly K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const schema = reporter('schema', out);
  const crd = reporter('crd-shape', out);
  for (const obj of objs) {
    const key = `${obj.apiVersion}/${obj.kind}`;
    const model = BUILT_IN[key];
    if (model) {
      try {
        new model(obj as never).validate();
      } catch (err) {
        schema(obj, (err as Error).message.split('\n').slice(0, 3).join('; '));
      }
      continue;
    }
    const shape = CUSTOM[key];
    if (!shape) {
      (isBuiltInGroup(obj.apiVersion) ? schema : crd)(obj, `no schema registered for ${key}`);
      continue;
    }
    if (!isRecord(obj.spec)) crd(obj, 'spec is missing');
    else shape(obj.spec, (m) => crd(obj, m));
  }
  return out;
}

/** Core, `apps`-style and `*.k8s.io` groups are Kubernetes' own; anything else is a CRD. */
function isBuiltInGroup(apiVersion: string): boolean {
  const group = apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
  return !group.includes('.') || group.endsWith('.k8s.io');
}

const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function onlyKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string, report: (m: string) => void): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) report(`${where}: unknown field "${k}"`);
}

function selectorShape(v: unknown, where: string, report: (m: string) => void): void {
  if (!isRecord(v) || (v.matchLabels === undefined && v.matchExpressions === undefined)) {
    report(`${where} must be a label selector with matchLabels or matchExpressions`);
  }
}

const ENDPOINT_KEYS = [
  'port',
  'targetPort',
  'portNumber',
  'path',
  'scheme',
  'interval',
  'scrapeTimeout',
  'honorLabels',
  'honorTimestamps',
  'relabelings',
  'metricRelabelings',
  'tlsConfig',
  'bearerTokenSecret',
  'authorization',
  'basicAuth',
  'params',
  'followRedirects',
  'enableHttp2',
  'filterRunning',
  'proxyUrl',
  'oauth2',
];

function endpointShape(ep: unknown, where: string, needsPortName: boolean, report: (m: string) => void): void {
  if (!isRecord(ep)) return report(`${where} must be an object`);
  onlyKeys(ep, ENDPOINT_KEYS, where, report);
  if (needsPortName && typeof ep.port !== 'string') report(`${where}.port must name a port`);
  if (ep.path !== undefined && (typeof ep.path !== 'string' || !ep.path.startsWith('/'))) report(`${where}.path must start with /`);
  for (const f of ['interval', 'scrapeTimeout']) {
    if (ep[f] !== undefined && !(typeof ep[f] === 'string' && DURATION.test(ep[f]))) report(`${where}.${f} is not a Prometheus duration`);
  }
}

function serviceMonitorShape(spec: Record<string, unknown>, report: (m: string) => void): void {
  onlyKeys(
    spec,
    ['selector', 'endpoints', 'namespaceSelector', 'jobLabel', 'targetLabels', 'podTargetLabels', 'sampleLimit', 'attachMetadata'],
    'spec',
    report,
  );
  selectorShape(spec.selector, 'spec.selector', report);
  if (!Array.isArray(spec.endpoints) || spec.endpoints.length === 0) return report('spec.endpoints must list at least one endpoint');
  spec.endpoints.forEach((ep, i) => endpointShape(ep, `spec.endpoints[${i}]`, false, report));
}

function podMonitorShape(spec: Record<string, unknown>, report: (m: string) => void): void {
  onlyKeys(
    spec,
    ['selector', 'podMetricsEndpoints', 'namespaceSelector', 'jobLabel', 'podTargetLabels', 'sampleLimit', 'attachMetadata'],
    'spec',
    report,
  );
  selectorShape(spec.selector, 'spec.selector', report);
  if (!Array.isArray(spec.podMetricsEndpoints) || spec.podMetricsEndpoints.length === 0) {
    return report('spec.podMetricsEndpoints must list at least one endpoint');
  }
  spec.podMetricsEndpoints.forEach((ep, i) => endpointShape(ep, `spec.podMetricsEndpoints[${i}]`, true, report));
}

function prometheusRuleShape(spec: Record<string, unknown>, report: (m: string) => void): void {
  onlyKeys(spec, ['groups'], 'spec', report);
  if (!Array.isArray(spec.groups) || spec.groups.length === 0) return report('spec.groups must not be empty');
  spec.groups.forEach((g, gi) => {
    if (!isRecord(g) || typeof g.name !== 'string') return report(`spec.groups[${gi}] needs a name`);
    const group = g.name;
    if (!Array.isArray(g.rules) || g.rules.length === 0) return report(`group ${group}: rules must not be empty`);
    g.rules.forEach((r, ri) => {
      const where = `group ${group} rule ${ri}`;
      if (!isRecord(r)) return report(`${where} must be an object`);
      onlyKeys(r, ['alert', 'record', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'], where, report);
      if ((r.alert === undefined) === (r.record === undefined)) report(`${where} needs exactly one of alert/record`);
      if (typeof r.expr !== 'string' || r.expr.trim() === '') report(`${where} needs an expr`);
      if (r.for !== undefined && !(typeof r.for === 'string' && DURATION.test(r.for))) report(`${where}: "for" is not a duration`);
      if (r.alert !== undefined) {
        const labels = isRecord(r.labels) ? r.labels : {};
        const alert = JSON.stringify(r.alert);
        if (!(typeof labels.severity === 'string' && ['critical', 'warning', 'info'].includes(labels.severity)))
          report(`${where} (${alert}) needs labels.severity`);
        if (!isRecord(r.annotations) || typeof r.annotations.summary !== 'string') report(`${where} (${alert}) needs annotations.summary`);
      }
    });
  });
}

function scaledObjectShape(spec: Record<string, unknown>, report: (m: string) => void): void {
  onlyKeys(
    spec,
    [
      'scaleTargetRef',
      'minReplicaCount',
      'maxReplicaCount',
      'pollingInterval',
      'cooldownPeriod',
      'idleReplicaCount',
      'advanced',
      'triggers',
      'fallback',
      'initialCooldownPeriod',
    ],
    'spec',
    report,
  );
  if (!isRecord(spec.scaleTargetRef) || typeof spec.scaleTargetRef.name !== 'string') report('spec.scaleTargetRef.name is required');
  const min = Number(spec.minReplicaCount ?? 0);
  const max = Number(spec.maxReplicaCount ?? 100);
  if (!(min <= max)) report(`minReplicaCount ${min} > maxReplicaCount ${max}`);
  if (!Array.isArray(spec.triggers) || spec.triggers.length === 0) return report('spec.triggers must not be empty');
  spec.triggers.forEach((t, i) => {
    if (!isRecord(t) || typeof t.type !== 'string') return report(`spec.triggers[${i}].type is required`);
    if (!isRecord(t.metadata)) return report(`spec.triggers[${i}].metadata is required`);
    for (const [k, v] of Object.entries(t.metadata))
      if (typeof v !== 'string') report(`spec.triggers[${i}].metadata.${k} must be a string`);
  });
}

/** A scalar as text (objects as JSON), for messages about manifest values. */
function str(v: unknown): string {
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

const KEY_USAGES = [
  'signing',
  'digital signature',
  'content commitment',
  'key encipherment',
  'key agreement',
  'data encipherment',
  'cert sign',
  'crl sign',
  'encipher only',
  'decipher only',
  'any',
  'server auth',
  'client auth',
  'code signing',
  'email protection',
  's/mime',
  'ipsec end system',
  'ipsec tunnel',
  'ipsec user',
  'timestamping',
  'ocsp signing',
  'microsoft sgc',
  'netscape sgc',
];

function certificateShape(spec: Record<string, unknown>, report: (m: string) => void): void {
  onlyKeys(
    spec,
    [
      'secretName',
      'commonName',
      'dnsNames',
      'uris',
      'ipAddresses',
      'emailAddresses',
      'isCA',
      'usages',
      'duration',
      'renewBefore',
      'privateKey',
      'issuerRef',
      'subject',
      'secretTemplate',
      'revisionHistoryLimit',
      'keystores',
      'encodeUsagesInRequest',
      'literalSubject',
      'additionalOutputFormats',
      'nameConstraints',
      'otherNames',
      'renewBeforePercentage',
    ],
    'spec',
    report,
  );
  if (typeof spec.secretName !== 'string') report('spec.secretName is required');
  if (!isRecord(spec.issuerRef) || typeof spec.issuerRef.name !== 'string') report('spec.issuerRef.name is required');
  else if (spec.issuerRef.kind !== undefined && !['Issuer', 'ClusterIssuer'].includes(str(spec.issuerRef.kind)))
    report(`spec.issuerRef.kind ${str(spec.issuerRef.kind)} is not Issuer or ClusterIssuer`);
  for (const f of ['duration', 'renewBefore'])
    if (spec[f] !== undefined && !/^(\d+(\.\d+)?(h|m|s))+$/.test(str(spec[f]))) report(`spec.${f} is not a Go duration`);
  if (Array.isArray(spec.usages))
    for (const u of spec.usages) if (!KEY_USAGES.includes(String(u))) report(`spec.usages: unknown usage "${String(u)}"`);
  if (isRecord(spec.privateKey)) {
    onlyKeys(spec.privateKey, ['algorithm', 'size', 'encoding', 'rotationPolicy'], 'spec.privateKey', report);
    if (spec.privateKey.algorithm !== undefined && !['RSA', 'ECDSA', 'Ed25519'].includes(str(spec.privateKey.algorithm)))
      report('spec.privateKey.algorithm must be RSA, ECDSA or Ed25519');
    if (spec.privateKey.rotationPolicy !== undefined && !['Always', 'Never'].includes(str(spec.privateKey.rotationPolicy)))
      report('spec.privateKey.rotationPolicy must be Always or Never');
  }
  if (!spec.isCA && !spec.commonName && !Array.isArray(spec.dnsNames) && !Array.isArray(spec.uris))
    report('a Certificate needs at least one of commonName, dnsNames, uris');
}

function issuerShape(spec: Record<string, unknown>, report: (m: string) => void): void {
  const kinds = ['selfSigned', 'ca', 'vault', 'venafi', 'acme'].filter((k) => spec[k] !== undefined);
  if (kinds.length !== 1)
    report(`spec must configure exactly one issuer type (selfSigned, ca, vault, venafi, acme); has ${kinds.join(', ') || 'none'}`);
  if (spec.ca !== undefined && (!isRecord(spec.ca) || typeof spec.ca.secretName !== 'string')) report('spec.ca.secretName is required');
}
