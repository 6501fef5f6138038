import type { IPolicyRule } from 'kubernetes-models/rbac.authorization.k8s.io/v1/PolicyRule';
import type { ISubject } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Subject';
import type { IRoleRef } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleRef';
import type { K8sObject, Violation } from './types.js';
import { byKind, reporter, workloads } from './types.js';
import { GATEWAY_RBAC } from '../app-contract.js';

/** `group/resource:verb` triples a rule grants (wildcards kept as "*"). */
export function ruleGrants(rule: IPolicyRule): string[] {
  const out: string[] = [];
  for (const g of rule.apiGroups ?? []) for (const r of rule.resources ?? []) for (const v of rule.verbs) out.push(`${g}/${r}:${v}`);
  return out;
}

/**
 * `rbac`: the gateway's ServiceAccount is granted exactly GATEWAY_RBAC through namespaced
 * Roles; nothing cluster-wide, no wildcards, no resourceNames or URLs, nobody else bound.
 */
export function checkRbac(objs: readonly K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const report = reporter('rbac', out);
  for (const o of [...byKind(objs, 'ClusterRole'), ...byKind(objs, 'ClusterRoleBinding')]) report(o, 'pigrid needs no cluster-wide RBAC');
  const gateway = workloads(objs).find((w) => w.component === 'gateway');
  const gatewaySa = gateway?.pod.serviceAccountName;
  if (!gateway || !gatewaySa) {
    report('component/gateway', 'the gateway must run under its own ServiceAccount');
    return out;
  }
  const granted = new Set<string>();
  for (const rb of byKind(objs, 'RoleBinding')) {
    const subjects = (rb.subjects ?? []) as ISubject[];
    const roleRef = rb.roleRef as IRoleRef;
    for (const s of subjects) {
      if (!(s.kind === 'ServiceAccount' && s.name === gatewaySa && s.namespace === rb.metadata.namespace)) {
        report(rb, `binds ${s.kind} ${s.namespace ?? ''}/${s.name}: only the gateway ServiceAccount may be bound`);
      }
    }
    const role = objs.find((o) => o.kind === roleRef.kind && o.metadata.name === roleRef.name);
    if (roleRef.kind !== 'Role' || !role) {
      report(rb, `roleRef ${roleRef.kind}/${roleRef.name} must be a Role in the render`);
      continue;
    }
    for (const rule of (role.rules ?? []) as IPolicyRule[]) {
      if (rule.resourceNames?.length || rule.nonResourceURLs?.length) report(role, 'resourceNames/nonResourceURLs are not expected');
      for (const g of ruleGrants(rule)) granted.add(g);
    }
  }
  const want = new Set(GATEWAY_RBAC);
  for (const g of granted) if (!want.has(g)) report(`ServiceAccount/${gatewaySa}`, `grants ${g}, which the gateway does not need`);
  for (const g of want) if (!granted.has(g)) report(`ServiceAccount/${gatewaySa}`, `does not grant ${g}, which the gateway calls`);
  for (const role of byKind(objs, 'Role')) {
    const bound = byKind(objs, 'RoleBinding').some((rb) => (rb.roleRef as IRoleRef).name === role.metadata.name);
    if (!bound) report(role, 'Role is not bound to anything');
  }
  return out;
}
