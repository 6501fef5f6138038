import type { K8sObject, Violation } from './types.js';
import { byKind, reporter } from './types.js';
import { autoscalers } from './autoscaling.js';
import { DEFAULT_METRIC_PREFIXES, HISTOGRAMS, METRICS, NAMESPACE, SCALING_GAUGES } from '../app-contract.js';

/** Every series name the app exports, histogram suffixes included. */
export function knownSeries(): Set<string> {
  const names = new Set<string>(Object.values(METRICS).flat());
  for (const h of HISTOGRAMS) for (const s of ['_bucket', '_sum', '_count']) names.add(`${h}${s}`);
  return names;
}

function queryProblems(expr: string): string[] {
  const known = knownSeries();
  const out: string[] = [];
  for (const m of expr.matchAll(/\bpigrid_[a-z0-9_]+/g)) {
    const isDefault = DEFAULT_METRIC_PREFIXES.some((p) => /^(process|nodejs)_/.test(m[0].slice(p.length)) && m[0].startsWith(p));
    if (!known.has(m[0]) && !isDefault) out.push(`unknown series ${m[0]}`);
  }
  for (const m of expr.matchAll(/namespace\s*=\s*"([^"]*)"/g))
    if (m[1] !== NAMESPACE) out.push(`matches namespace "${m[1]}", pigrid runs in ${NAMESPACE}`);
  return out;
}

/** A ConfigMap that Grafana's dashboard sidecar loads (label grafana_dashboard: "1"), its JSON files parsed. */
export interface GrafanaDashboardMap {
  readonly obj: K8sObject;
  readonly dashboards: ({ key: string; json: unknown } | { key: string; error: string })[];
}

export function grafanaDashboards(objs: readonly K8sObject[]): GrafanaDashboardMap[] {
  return byKind(objs, 'ConfigMap')
    .filter((cm) => cm.metadata.labels?.grafana_dashboard === '1')
    .map((cm) => ({
      obj: cm,
      dashboards: Object.entries((cm as { data?: Record<string, string> }).data ?? {}).map(([key, text]) => {
        try {
          return { key, json: JSON.parse(text) as unknown };
        } catch (err) {
          return { key, error: `not valid JSON: ${(err as Error).message}` };
        }
      }),
    }));
}

/** Every query of a Grafana dashboard (panels inside rows included), with its panel title and datasource uid. */
export function dashboardTargets(dashboard: unknown): { panel: string; expr: string; datasource: string }[] {
  type Panel = {
    title?: string;
    datasource?: { uid?: string };
    targets?: { expr?: string; datasource?: { uid?: string } }[];
    panels?: Panel[];
  };
  const out: { panel: string; expr: string; datasource: string }[] = [];
  const walk = (panels: Panel[] | undefined) => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? [])
        out.push({ panel: p.title ?? '?', expr: t.expr ?? '', datasource: t.datasource?.uid ?? p.datasource?.uid ?? '(none)' });
      walk(p.panels);
    }
  };
  walk((dashboard as { panels?: Panel[] } | null)?.panels);
  return out;
}

/** `monitoring-rules`: alert, scaler and Grafana dashboard queries use series the app really exports. */
export function checkMonitoringQueries(objs: readonly K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const report = reporter('monitoring-rules', out);
  for (const pr of byKind(objs, 'PrometheusRule')) {
    const groups = (pr.spec as { groups?: { rules?: { alert?: string; record?: string; expr?: unknown }[] }[] } | undefined)?.groups ?? [];
    for (const r of groups.flatMap((g) => g.rules ?? [])) {
      for (const p of queryProblems(typeof r.expr === 'string' ? r.expr : '')) report(pr, `${r.alert ?? r.record ?? '?'}: ${p}`);
    }
  }
  for (const cm of grafanaDashboards(objs)) {
    for (const d of cm.dashboards) {
      if ('error' in d) {
        report(cm.obj, `${d.key}: ${d.error}`);
        continue;
      }
      const targets = dashboardTargets(d.json);
      if (targets.length === 0) report(cm.obj, `${d.key}: no panel queries anything`);
      for (const t of targets) {
        for (const p of queryProblems(t.expr)) report(cm.obj, `${d.key} panel "${t.panel}": ${p}`);
        if (t.datasource !== '${datasource}')
          report(cm.obj, `${d.key} panel "${t.panel}": datasource must be the \${datasource} variable, not ${t.datasource}`);
      }
    }
  }
  for (const so of byKind(objs, 'ScaledObject')) {
    const triggers = (so.spec as { triggers?: { type: string; metadata?: Record<string, string> }[] } | undefined)?.triggers ?? [];
    for (const t of triggers.filter((x) => x.type === 'prometheus')) for (const p of queryProblems(t.metadata?.query ?? '')) report(so, p);
  }
  return out;
}

interface AdapterRule {
  seriesQuery?: string;
  resources?: { overrides?: Record<string, { resource?: string }>; template?: string; namespaced?: boolean };
  name?: { matches?: string; as?: string };
  metricsQuery?: string;
}

/** The API name a prometheus-adapter rule exposes its series under. */
export function exposedName(rule: AdapterRule): string | undefined {
  if (rule.name?.as && !rule.name.as.includes('$')) return rule.name.as;
  return /__name__="([^"]+)"/.exec(rule.seriesQuery ?? '')?.[1] ?? /^\s*'?([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(rule.seriesQuery ?? '')?.[1];
}

/**
 * `adapter-rule`: each External metric an HPA uses is a coordinator gauge that a
 * prometheus-adapter `external` rule (Helm values `rules.external`) exposes under that name,
 * scoped to the HPA's namespace, with a query the adapter can template.
 */
export function checkAdapterRules(objs: readonly K8sObject[], adapterValues: unknown): Violation[] {
  const out: Violation[] = [];
  const report = reporter('adapter-rule', out);
  const rules = (adapterValues as { rules?: { external?: AdapterRule[] } } | undefined)?.rules?.external ?? [];
  for (const a of autoscalers(objs).filter((x) => x.obj.kind === 'HorizontalPodAutoscaler')) {
    for (const ext of a.externals) {
      if (!SCALING_GAUGES.includes(ext.metric))
        report(a.obj, `External metric ${ext.metric} is not a coordinator gauge (${SCALING_GAUGES.join(', ')})`);
      if (ext.targetType !== 'AverageValue')
        report(a.obj, `External metric ${ext.metric} must target AverageValue (per replica), not ${ext.targetType}`);
      const rule = rules.find((r) => exposedName(r) === ext.metric);
      if (!rule) {
        report(a.obj, `no prometheus-adapter external rule exposes ${ext.metric}`);
        continue;
      }
      const where = `adapter rule for ${ext.metric}`;
      if (!(rule.seriesQuery ?? '').includes(ext.metric)) report(a.obj, `${where}: seriesQuery does not select ${ext.metric}`);
      if (rule.resources?.namespaced === false || rule.resources?.overrides?.namespace?.resource !== 'namespace') {
        report(a.obj, `${where}: must map the namespace label to resource "namespace", so the HPA's namespace scopes the query`);
      }
      for (const t of ['<<.Series>>', '<<.LabelMatchers>>'])
        if (!(rule.metricsQuery ?? '').includes(t)) report(a.obj, `${where}: metricsQuery lacks ${t}`);
    }
  }
  return out;
}
