import type { IContainer } from 'kubernetes-models/v1/Container';
import type { K8sObject } from './types.js';

/** Where a container's env var comes from after envFrom and env are merged. */
export type EnvSource =
  | { readonly kind: 'value'; readonly value: string; readonly from: string }
  | { readonly kind: 'field'; readonly fieldPath: string }
  | { readonly kind: 'other' };

export interface ResolvedEnv {
  readonly vars: ReadonlyMap<string, EnvSource>;
  /** envFrom ConfigMaps that are not in the render. */
  readonly missingConfigMaps: readonly string[];
}

/** The container's environment as the kubelet would build it (envFrom first, env overrides). */
export function resolveEnv(objs: readonly K8sObject[], container: IContainer): ResolvedEnv {
  const vars = new Map<string, EnvSource>();
  const missingConfigMaps: string[] = [];
  for (const src of container.envFrom ?? []) {
    const name = src.configMapRef?.name;
    if (!name) continue;
    const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
    if (!cm) {
      if (!src.configMapRef?.optional) missingConfigMaps.push(name);
      continue;
    }
    for (const [k, v] of Object.entries((cm.data ?? {}) as Record<string, unknown>)) {
      vars.set(`${src.prefix ?? ''}${k}`, { kind: 'value', value: String(v), from: `ConfigMap/${name}` });
    }
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) vars.set(e.name, { kind: 'value', value: e.value, from: 'env' });
    else if (e.valueFrom?.fieldRef) vars.set(e.name, { kind: 'field', fieldPath: e.valueFrom.fieldRef.fieldPath });
    else vars.set(e.name, { kind: 'other' });
  }
  return { vars, missingConfigMaps };
}

/** A literal env value, or undefined when unset or not a literal. */
export function envValue(env: ResolvedEnv, name: string): string | undefined {
  const v = env.vars.get(name);
  return v?.kind === 'value' ? v.value : undefined;
}
